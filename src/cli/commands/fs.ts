// cli/commands/fs.ts — `crifs fs <container> ls|stat|cat|find [PATH]`: the container's merged root read
// straight from its snapshot dirs, nothing mounted. Paths are container paths; symlinks resolve inside the
// container root (never on the host); whiteouts and opaque dirs hide what they hide, so `cat` of a deleted
// file fails as it would in the container. Each entry names the layer that provides it.

import type { Stats } from "node:fs";
import { CrifsError, errnoWords } from "../../errors.js";
import type { OverlayEntry } from "../../fs/overlay-view.js";
import { type ContainerView, containerView } from "../../links/container-view.js";
import type { Store } from "../../model/store.js";
import {
  type OutputFormat,
  render,
  renderJsonStream,
  renderTableStream,
  renderYamlStream,
} from "../render/format.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { resolveRef } from "../resolve-ref.js";

export const fsActions = ["ls", "stat", "cat", "find"] as const;
export type FsAction = (typeof fsActions)[number];

/** The layer an entry comes from. */
export interface FsLayer {
  /** 0 = top (the container's own snapshot). */
  readonly index: number;
  readonly key: string;
  readonly id: string;
  /** The container's own writable snapshot, not an image layer. */
  readonly isUpper: boolean;
}

/** One entry of the merged tree (JSON contract: docs/json.md#fs). */
export interface FsEntry {
  readonly path: string;
  readonly kind: "file" | "dir" | "symlink" | "char-device" | "block-device" | "fifo" | "socket";
  /** As `ls -l` prints it: "drwxr-xr-x". */
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly mtime: string;
  /** The symlink's target as stored, else null. */
  readonly target: string | null;
  readonly layer: FsLayer;
  /** The host file behind the entry (in its layer dir). */
  readonly hostPath: string;
}

function kindOf(st: Stats): FsEntry["kind"] {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char-device";
  if (st.isBlockDevice()) return "block-device";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

/** `ls -l`'s mode column for lstat output. Pure. */
export function modeString(st: Stats): string {
  const type = {
    file: "-",
    dir: "d",
    symlink: "l",
    "char-device": "c",
    "block-device": "b",
    fifo: "p",
    socket: "s",
  }[kindOf(st)];
  const m = st.mode;
  const bit = (mask: number, c: string) => (m & mask ? c : "-");
  const special = (exec: number, sp: number, on: string, off: string) =>
    m & sp ? (m & exec ? on : off) : m & exec ? "x" : "-";
  return (
    type +
    bit(0o400, "r") +
    bit(0o200, "w") +
    special(0o100, 0o4000, "s", "S") +
    bit(0o40, "r") +
    bit(0o20, "w") +
    special(0o10, 0o2000, "s", "S") +
    bit(0o4, "r") +
    bit(0o2, "w") +
    special(0o1, 0o1000, "t", "T")
  );
}

function layerOf(view: ContainerView, index: number): FsLayer {
  const s = view.snapshots[index];
  return { index, key: s?.key ?? "", id: s?.id ?? "", isUpper: view.isUpper(index) };
}

function fsEntry(view: ContainerView, e: OverlayEntry): FsEntry {
  const st = e.stats;
  return {
    path: e.path,
    kind: kindOf(st),
    mode: modeString(st),
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    nlink: st.nlink,
    mtime: st.mtime.toISOString(),
    target: e.kind === "symlink" ? view.readLinkTarget(e) : null,
    layer: layerOf(view, e.layerIndex),
    hostPath: e.hostPath,
  };
}

function where(view: ContainerView): string {
  return `container ${view.container.namespace}/${view.container.id}`;
}

/** Resolves `path` in the view or throws the error the container's kernel would give, in one line. */
function resolveOrThrow(view: ContainerView, path: string, followLast: boolean, verb: string): OverlayEntry {
  const r = view.resolve(path, { followLast });
  if (r.ok) return r.entry;
  const at = r.at === path ? "" : ` (at ${JSON.stringify(r.at)})`;
  throw new CrifsError(
    "not-found",
    `cannot ${verb} ${JSON.stringify(path)} in ${where(view)}: ${errnoWords(r.error)}${at}`,
  );
}

/**
 * `ls -la PATH` in batches, read as they are asked for (bounded memory: a dir of millions of names is never
 * held whole): a dir's entries sorted by name (in sorted runs of OverlayView.entryBatches past 50,000 names),
 * in chunks of 1,000, or the entry itself (a symlink is not followed unless PATH ends in "/").
 */
export function* fsListBatches(view: ContainerView, path: string): Generator<FsEntry[]> {
  const entry = resolveOrThrow(view, path, false, "access");
  if (entry.kind !== "dir") {
    yield [fsEntry(view, entry)];
    return;
  }
  for (const batch of view.entryBatches(entry)) yield batch.map((e) => fsEntry(view, e));
}

/** `ls -la PATH` (fsListBatches, gathered). */
export function fsList(view: ContainerView, path: string): FsEntry[] {
  return [...fsListBatches(view, path)].flat();
}

/** `stat PATH` (the link itself), plus its merged layers and where it resolves inside the container. */
export function fsStat(view: ContainerView, path: string) {
  const entry = resolveOrThrow(view, path, false, "stat");
  const r = view.resolve(path);
  return {
    ...fsEntry(view, entry),
    ino: entry.stats.ino,
    dev: entry.stats.dev,
    mergedLayers: entry.mergedLayers.map((i) => layerOf(view, i)),
    resolved: r.ok
      ? {
          ok: true as const,
          path: r.path,
          kind: kindOf(r.entry.stats),
          layer: layerOf(view, r.entry.layerIndex),
          hostPath: r.entry.hostPath,
          hops: r.hops,
        }
      : { ok: false as const, error: r.error, at: r.at, hops: r.hops },
  };
}

/** `cat PATH`: the bytes of the regular file PATH resolves to inside the container. */
export function fsRead(view: ContainerView, path: string): Buffer {
  const entry = resolveOrThrow(view, path, true, "read");
  if (entry.kind === "dir") {
    throw new CrifsError("usage", `cannot read ${JSON.stringify(path)} in ${where(view)}: is a directory`);
  }
  if (entry.kind !== "file") {
    throw new CrifsError(
      "unsupported",
      `cannot read ${JSON.stringify(path)} in ${where(view)}: not a regular file`,
    );
  }
  return view.readFile(entry.path);
}

/**
 * `find PATH` as it walks: PATH and every entry below it, depth first, names sorted (in sorted runs in a huge
 * dir); symlinks are listed, not followed. Memory: one run of names per dir level (OverlayView.walkFrom).
 */
export function fsFindEntries(view: ContainerView, path: string): Generator<OverlayEntry> {
  return view.walkFrom(resolveOrThrow(view, path, false, "find"));
}

/** `find PATH` (fsFindEntries, gathered, as FsEntry). */
export function fsFind(view: ContainerView, path: string): FsEntry[] {
  return [...fsFindEntries(view, path)].map((e) => fsEntry(view, e));
}

const listHead = ["mode", "uid", "gid", "size", "mtime", "layer", "name"];

function listRow(e: FsEntry): string[] {
  return [
    e.mode,
    String(e.uid),
    String(e.gid),
    String(e.size),
    e.mtime.slice(0, 19).replace("T", " "),
    `${e.layer.id}${e.layer.isUpper ? " (upper)" : ""}`,
    e.target === null ? e.path : `${e.path} -> ${e.target}`,
  ];
}

/** Rows of `entries` in groups of `size`: output is written a group at a time. */
function* groups<T>(entries: Iterable<T>, size = 1024): Generator<T[]> {
  let group: T[] = [];
  for (const e of entries) {
    group.push(e);
    if (group.length >= size) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

function* mapEach<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

function* flat<T>(batches: Iterable<readonly T[]>): Generator<T> {
  for (const b of batches) yield* b;
}

/** The text of a streamed listing in `output`'s format, as chunks; tree is refused at once (usage). */
function streamed(
  output: OutputFormat,
  entries: () => Iterable<readonly FsEntry[]>,
  table: () => Iterable<string>,
): Iterable<string> {
  switch (output) {
    case "json":
      return renderJsonStream(flat(entries()));
    case "yaml":
      return renderYamlStream(flat(entries()));
    case "tree":
      throw new CrifsError("usage", "this command has no tree output", {
        remedy: "use -o table, json or yaml",
      });
    case "table":
      return table();
  }
}

function statTable(s: ReturnType<typeof fsStat>): string {
  const layer = (l: FsLayer) => `${l.index} (dir ${l.id}${l.isUpper ? ", upper" : ""}, key ${l.key})`;
  const lines = [
    `  path: ${s.path}${s.target === null ? "" : ` -> ${s.target}`}`,
    `  kind: ${s.kind}  mode: ${s.mode}  uid: ${s.uid}  gid: ${s.gid}  size: ${s.size}  links: ${s.nlink}`,
    ` mtime: ${s.mtime}`,
    ` layer: ${layer(s.layer)}`,
    `  host: ${s.hostPath}`,
  ];
  if (s.kind === "dir") lines.push(`merged: ${s.mergedLayers.map((l) => l.id).join(", ")}`);
  lines.push(
    s.resolved.ok
      ? `resolves to: ${s.resolved.path} (${s.resolved.kind}) in layer ${layer(s.resolved.layer)}: ${s.resolved.hostPath}`
      : `resolves to: nothing: ${errnoWords(s.resolved.error)} at ${s.resolved.at}`,
  );
  return `${lines.join("\n")}\n`;
}

function viewOf(stores: readonly Store[], ref: string): ContainerView {
  const t = resolveRef(stores, ref, ["container"]);
  if (t.type !== "container") throw new Error(`resolveRef returned a ${t.type} for kind container`);
  return containerView(t.store, t.container);
}

/**
 * Runs one fs action; `cat` returns bytes, `stat` text, `ls` and `find` their text as chunks to write as they
 * come (bounded memory: nothing below gathers a listing).
 */
export function fsCommand(
  stores: readonly Store[],
  args: { ref: string; action: FsAction; path: string | undefined; output: OutputFormat },
): string | Buffer | Iterable<string> {
  const view = viewOf(stores, args.ref);
  const path = args.path ?? "/";
  switch (args.action) {
    case "ls":
      return streamed(
        args.output,
        () => fsListBatches(view, path),
        () =>
          renderTableStream(
            listHead,
            mapEach(fsListBatches(view, path), (b) => b.map(listRow)),
          ),
      );
    case "stat": {
      const s = fsStat(view, path);
      return render(args.output, s, { table: () => statTable(s) });
    }
    case "cat":
      if (args.path === undefined)
        throw new CrifsError("usage", "cannot cat: no PATH given", {
          remedy: "crifs fs <container> cat /etc/os-release",
        });
      return fsRead(view, path);
    case "find":
      return streamed(
        args.output,
        () => mapEach(groups(fsFindEntries(view, path)), (g) => g.map((e) => fsEntry(view, e))),
        // a path as find prints it, but terminal-safe: a name cannot forge a line or move the cursor
        () =>
          mapEach(groups(fsFindEntries(view, path)), (g) =>
            g.map((e) => `${terminalSafe(e.path)}\n`).join(""),
          ),
      );
  }
}
