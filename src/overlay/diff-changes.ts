// overlay/diff-changes.ts — what a container changed against its image: A (added), C (changed), D (deleted) per
// path, from its upper dir (layers[0] of the view) against the merged lower layers, as `docker diff` and
// `podman diff` report it. The two runtimes disagree in places, so the rules are named and chosen by the
// caller (the runtime's adapter says which it uses):
//
//   "merged"  docker's (daemon/graphdriver overlay2 → archive.ChangesDirs: the merged image and the merged
//             container compared as trees). A name only the container has is A, and so is everything below
//             it; a name only the image has is D (its contents are not listed); a name both have is C when
//             its type, permission bits, owner or device number differ, or, for a non-dir, its size or mtime
//             (whole seconds match when either side has no nanoseconds), or its security.capability; a dir
//             holding any change is C too. A dir deleted and made again (opaque) is C, its old names D.
//   "upper"   containers/storage's (pkg/archive OverlayChanges, podman's): the upper dir walked. A whiteout is
//             D; an opaque dir is D when the image had that path (and what is in it now is A); any other
//             entry is A when the image lacks the path, else C, except a dir whose size, mode and mtime equal
//             the image's (left out, its contents still walked); an A or D makes each ancestor not yet listed
//             C, listed just before it. A dir changed only in its mtime is C here, not in "merged".
//
// Deliberate differences from both: a lower path is looked up in the merged lower layers, never through a
// symlink (containers/storage stat()s each lower layer's path following symlinks, so a lower symlink to a
// host path decides what it reports; and it ignores a lower opaque dir), and names are bytes throughout.
//
// Order: depth first, the names of each dir in byte order, a dir before what it holds: the order
// `podman diff` prints (docker's has none: Go map order). Memory: one dir listing of the upper per level
// being walked, and the dirs already listed (upper rules); never the whole tree.

import { type BigIntStats, lstatSync } from "node:fs";
import { fromFsError } from "../errors.js";
import { encodeName, fsPath } from "../fs/name-codec.js";
import { type OverlayEntry, OverlayView } from "../fs/overlay-view.js";
import { direntName, readDirents } from "../fs/read-exact.js";
import { isOpaqueDir, isWhiteout, readXattr } from "../fs/xattr.js";

export type ChangeKind = "A" | "C" | "D";

/** One change (JSON contract: docs/json.md#diff). */
export interface Change {
  readonly kind: ChangeKind;
  /** Container path, "/etc/passwd" (bytes that are not UTF-8 in decodeName's form). */
  readonly path: string;
}

/** Whose rules (see the header). */
export type DiffRules = "merged" | "upper";

/** How a runtime's own diff reports a container's changes. */
export interface DiffConvention {
  readonly rules: DiffRules;
  /** Paths it leaves out of its report, exactly these (podman: the files it writes into every container's
   * upper dir at start, /etc/hosts, /run/.containerenv…). Their parents' C still shows. */
  readonly hidden: readonly string[];
}

/** Options of diffChanges. */
export interface DiffOptions extends Partial<DiffConvention> {
  /** True when layers[0] is the container's own writable layer. Default true; false: no changes. */
  hasUpper?: boolean;
}

interface UpperChild {
  readonly name: string;
  readonly path: string;
  readonly host: string;
  readonly st: BigIntStats;
}

function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

function lstatBig(host: string): BigIntStats | null {
  try {
    return lstatSync(fsPath(host), { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw fromFsError(err, host, "stat");
  }
}

/** The entries of one upper dir, names in byte order, each lstat'ed (whiteouts included). */
function listUpper(host: string, path: string): UpperChild[] {
  let dirents: ReturnType<typeof readDirents>;
  try {
    dirents = readDirents(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return []; // removed since it was listed
    throw fromFsError(err, host, "read directory");
  }
  const out: (UpperChild & { key: Buffer })[] = [];
  for (const d of dirents) {
    const name = direntName(d);
    const childHost = `${host}/${name}`;
    const st = lstatBig(childHost);
    if (st === null) continue;
    out.push({ name, path: childPath(path, name), host: childHost, st, key: encodeName(name) });
  }
  return out.sort((a, b) => Buffer.compare(a.key, b.key));
}

/** Names of a lower listing in byte order. */
function byteSorted(names: readonly string[]): string[] {
  return names
    .map((n) => ({ n, k: encodeName(n) }))
    .sort((a, b) => Buffer.compare(a.k, b.k))
    .map((x) => x.n);
}

const NS = 1_000_000_000n;

/** Go's sameFsTime: equal, or the same second with either side's nanoseconds 0 (a tar without them). */
function sameTime(a: bigint, b: bigint): boolean {
  return a === b || (a / NS === b / NS && (a % NS === 0n || b % NS === 0n));
}

/**
 * Every change of the container whose merged root is `view` (layers[0]: its upper dir; the rest: the image),
 * in the order of the header, under `options.rules` (default "merged"); paths in `options.hidden` are left
 * out. A view whose top layer is not a writable layer (hasUpper false) has no changes. Cost: a walk of the
 * upper dir (one lstat per entry, one xattr read per dir), and a lookup in the lower layers per upper entry;
 * "merged" also lists the lower dir of each opaque dir.
 */
export function* diffChanges(view: OverlayView, options: DiffOptions = {}): Generator<Change> {
  if (options.hasUpper === false) return;
  const hidden = new Set(options.hidden ?? []);
  const upper = view.layers[0] as string;
  const lowerDirs = view.layers.slice(1);
  const lower =
    lowerDirs.length === 0
      ? null
      : new OverlayView(lowerDirs, { opaqueXattrs: view.opaqueXattrs, immutable: lowerDirs.map(() => true) });
  const ctx: Ctx = { view, lower, hidden };
  const changes = options.rules === "upper" ? upperRules(ctx, upper) : mergedRules(ctx, upper);
  for (const c of changes) if (!hidden.has(c.path)) yield c;
}

interface Ctx {
  readonly view: OverlayView;
  readonly lower: OverlayView | null;
  readonly hidden: ReadonlySet<string>;
}

function lowerAt(ctx: Ctx, path: string): OverlayEntry | null {
  return ctx.lower?.lookup(path) ?? null;
}

function isOpaque(ctx: Ctx, c: UpperChild): boolean {
  return c.st.isDirectory() && isOpaqueDir(c.host, { xattrs: ctx.view.opaqueXattrs });
}

// ---- containers/storage's rules ----------------------------------------------------------------------------

function* upperRules(ctx: Ctx, upperRoot: string): Generator<Change> {
  const listed = new Set<string>(); // dirs already reported (c/storage's changedDirs)
  // depth first, each dir's entries in byte order: a stack of pending child lists
  const pending: UpperChild[][] = [listUpper(upperRoot, "/").reverse()];
  while (pending.length > 0) {
    const top = pending.at(-1) as UpperChild[];
    const c = top.pop();
    if (c === undefined) {
      pending.pop();
      continue;
    }
    let kind: ChangeKind | null;
    if (isWhiteout(c.st)) kind = "D";
    else if (isOpaque(ctx, c) && lowerAt(ctx, c.path) !== null) kind = "D";
    else {
      const low = lowerAt(ctx, c.path);
      if (low === null) kind = "A";
      else if (low.kind === "dir" && c.st.isDirectory() && sameDirStats(low, c.st)) kind = null;
      else kind = "C";
    }
    if (kind !== null) {
      if (c.st.isDirectory()) listed.add(c.path);
      if (kind === "A" || kind === "D") {
        const ancestors: string[] = [];
        for (let p = parentOf(c.path); p !== "/"; p = parentOf(p)) if (!listed.has(p)) ancestors.push(p);
        for (const p of ancestors.reverse()) {
          listed.add(p);
          yield { kind: "C", path: p };
        }
      }
      yield { kind, path: c.path };
    }
    if (c.st.isDirectory()) pending.push(listUpper(c.host, c.path).reverse());
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** c/storage's "both dirs are the same": size, mode and mtime (sameFsTime). */
function sameDirStats(low: OverlayEntry, st: BigIntStats): boolean {
  const l = lstatBig(low.hostPath);
  return l !== null && l.size === st.size && l.mode === st.mode && sameTime(l.mtimeNs, st.mtimeNs);
}

// ---- docker's rules ----------------------------------------------------------------------------------------

/** A dir being compared: its C is announced before the first change inside it, unless it was reported. */
interface Frame {
  readonly path: string;
  announced: boolean;
}

function* mergedRules(ctx: Ctx, upperRoot: string): Generator<Change> {
  const frames: Frame[] = [{ path: "/", announced: true }];
  function* emit(change: Change): Generator<Change> {
    for (const f of frames) {
      if (f.announced) continue;
      f.announced = true;
      yield { kind: "C", path: f.path };
    }
    yield change;
  }
  function* added(c: UpperChild): Generator<Change> {
    yield* emit({ kind: "A", path: c.path });
    if (!c.st.isDirectory()) return;
    frames.push({ path: c.path, announced: true });
    for (const k of listUpper(c.host, c.path)) if (!isWhiteout(k.st)) yield* added(k);
    frames.pop();
  }
  /** `merges`: the container's dir at `path` merges with the image's (no opaque dir at or above it). */
  function* compareDir(host: string, path: string, merges: boolean, oldIsDir: boolean): Generator<Change> {
    const kids = listUpper(host, path);
    const byName = new Map(kids.map((k) => [k.name, k]));
    // the names whose fate is decided here: the upper's, plus (not merged) every name the image had
    let names = kids.map((k) => k.name);
    if (!merges && oldIsDir && ctx.lower !== null) {
      const old = ctx.lower.readdir(path).map((d) => d.name);
      names = byteSorted([...new Set([...names, ...old])]);
    }
    for (const name of names) {
      const k = byName.get(name);
      const p = childPath(path, name);
      const old = oldIsDir ? lowerAt(ctx, p) : null;
      if (k === undefined || isWhiteout(k.st)) {
        if (old !== null) yield* emit({ kind: "D", path: p });
        continue;
      }
      if (old === null) {
        yield* added(k);
        continue;
      }
      const changed = statDifferent(old, k);
      if (changed) yield* emit({ kind: "C", path: p });
      if (!k.st.isDirectory()) continue;
      frames.push({ path: p, announced: changed });
      // below an opaque dir nothing merges any more: a plain dir there hides the image's one too
      if (old.kind === "dir") yield* compareDir(k.host, p, merges && !isOpaque(ctx, k), true);
      else for (const kk of listUpper(k.host, p)) if (!isWhiteout(kk.st)) yield* added(kk);
      frames.pop();
    }
  }
  yield* compareDir(upperRoot, "/", true, ctx.lower !== null);
}

/** Docker's statDifferent plus its capability check, between the image's entry and the container's. */
function statDifferent(old: OverlayEntry, k: UpperChild): boolean {
  const o = lstatBig(old.hostPath);
  if (o === null) return true;
  const n = k.st;
  if (o.mode !== n.mode || o.uid !== n.uid || o.gid !== n.gid || o.rdev !== n.rdev) return true;
  if (!n.isDirectory() && (!sameTime(o.mtimeNs, n.mtimeNs) || o.size !== n.size)) return true;
  const capOld = readXattr(old.hostPath, "security.capability");
  const capNew = readXattr(k.host, "security.capability");
  return capOld === null ? capNew !== null : capNew === null || !capOld.equals(capNew);
}
