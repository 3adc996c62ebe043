// resolve-in-root.ts — path resolution inside a root, as the kernel does it when that root is `/`
// (openat2 RESOLVE_IN_ROOT, or a chroot): absolute symlink targets restart at the root, `..` at the root
// stays there, at most 40 symlinks are followed in one resolution (then ELOOP).
//
// It works over RootTree, a three-call lookup interface, so the same code resolves in a plain host dir
// (plainDirTree, below) and in an overlay layer stack (OverlayView). It never asks the host to follow a
// symlink or to resolve a path: every host path it builds is a tree's dir plus one name, checked by lstat.
// Container images hold absolute symlinks (`/etc/alternatives/…`) that point somewhere else on the host;
// following them with stat/realpath is the "works on my machine" bug this file exists to avoid.

import { lstatSync, type Stats } from "node:fs";
import { join } from "node:path";
import { CrifsError, fromFsError } from "../errors.js";
import { fsPath } from "./name-codec.js";
import { readLinkExact } from "./read-exact.js";

/** What an entry is, as lstat says (a whiteout never reaches this level). */
export type EntryKind = "file" | "dir" | "symlink" | "other";

/** The least a tree entry carries. */
export interface TreeEntry {
  readonly kind: EntryKind;
  /** Canonical path inside the root: starts with "/", no ".", "..", symlinks or double slashes. */
  readonly path: string;
}

/** An entry backed by one host file. */
export interface HostEntry extends TreeEntry {
  /** The host file that provides it (never reached through a symlink). */
  readonly hostPath: string;
  /** lstat of hostPath. */
  readonly stats: Stats;
}

/** A tree resolveInRoot can walk. Every call is a lookup of one name; none follows a symlink. */
export interface RootTree<E extends TreeEntry> {
  /** The root directory (path "/"). */
  readonly root: E;
  /**
   * The entry `name` in directory `dir`, without following a symlink at `name`; null when absent.
   * `name` is one component: never "", "." or "..", never holds "/".
   */
  lookupChild(dir: E, name: string): E | null;
  /** The target of symlink `link`, as stored. */
  readLinkTarget(link: E): string;
}

/** How resolveInRoot treats the last component. */
export interface ResolveOptions {
  /** Follow a symlink in the last component (stat rather than lstat). Default true. A trailing "/" always follows. */
  followLast?: boolean;
}

/** Why a resolution failed, as the kernel's errno would say it. */
export type ResolveError = "ENOENT" | "ENOTDIR" | "ELOOP";

/** The entry a path resolves to with its canonical path, or where and why resolution stopped. */
export type ResolveResult<E> =
  | {
      ok: true;
      /** Canonical path inside the root. */
      path: string;
      entry: E;
      /** Canonical paths of the symlinks followed, in order. */
      hops: string[];
    }
  | {
      ok: false;
      error: ResolveError;
      /** Where it failed: the missing path (ENOENT), the non-dir (ENOTDIR), the 41st link (ELOOP). */
      at: string;
      /** ENOENT: the components still to walk below `at`, joined by "/" ("" when `at` was the last). */
      rest?: string;
      hops: string[];
    };

/** The kernel's MAXSYMLINKS: symlinks followed in one resolution, nested or one after another. */
export const maxSymlinkHops = 40;

/** Maps lstat output to an EntryKind. Pure. */
export function entryKind(stats: Stats): EntryKind {
  if (stats.isFile()) return "file";
  if (stats.isDirectory()) return "dir";
  if (stats.isSymbolicLink()) return "symlink";
  return "other";
}

/** Throws unless `name` is one plain path component: the guard that keeps host paths inside a tree. */
export function assertComponent(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new CrifsError("usage", `cannot look up ${JSON.stringify(name)}: not a single path component`);
  }
}

/** Splits a path (or a symlink body) into components, last one first, so pop() yields them in order. */
function pushComponents(todo: string[], path: string): void {
  const parts = path.split("/");
  // A trailing slash means "must be a dir, follow it": the same as a trailing "." component.
  if (path.endsWith("/") && parts.length > 1) parts.push(".");
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (p !== undefined && p !== "") todo.push(p);
  }
}

function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/**
 * Resolves `path` inside `tree` as the kernel would with the tree's root as `/`: relative paths start at
 * the root too, absolute symlink targets restart at the root, `..` at the root stays there, at most
 * maxSymlinkHops (40) symlinks are followed in all (the 41st gives ELOOP), the empty path is ENOENT,
 * a non-dir followed by more components is ENOTDIR.
 * Cost: one lookupChild per component walked (symlink bodies included) and one readLinkTarget per hop.
 */
export function resolveInRoot<E extends TreeEntry>(
  tree: RootTree<E>,
  path: string,
  options: ResolveOptions = {},
): ResolveResult<E> {
  const followLast = options.followLast ?? true;
  const hops: string[] = [];
  if (path === "") return { ok: false, error: "ENOENT", at: "", hops };
  // Where we are: the dirs from the root down (the root itself is not on the stack). `current` is the
  // top of the stack, or a non-dir reached last (anything after it is ENOTDIR).
  const stack: E[] = [];
  let current: E = tree.root;
  const todo: string[] = [];
  pushComponents(todo, path);
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (current.kind !== "dir") return { ok: false, error: "ENOTDIR", at: current.path, hops };
    if (name === ".") continue;
    if (name === "..") {
      stack.pop(); // at the root, ".." stays at the root
      current = stack.at(-1) ?? tree.root;
      continue;
    }
    const child = tree.lookupChild(current, name);
    if (child === null) {
      const rest = todo
        .filter((c) => c !== ".")
        .reverse()
        .join("/");
      return { ok: false, error: "ENOENT", at: childPath(current.path, name), rest, hops };
    }
    if (child.kind === "symlink" && (todo.length > 0 || followLast)) {
      const at = child.path;
      hops.push(at);
      if (hops.length > maxSymlinkHops) return { ok: false, error: "ELOOP", at, hops };
      const target = tree.readLinkTarget(child);
      // An empty symlink body resolves to nothing (the kernel answers ENOENT).
      if (target === "") return { ok: false, error: "ENOENT", at, hops };
      if (target.startsWith("/")) {
        stack.length = 0;
        current = tree.root;
      }
      pushComponents(todo, target);
      continue;
    }
    if (child.kind === "dir") stack.push(child);
    current = child;
  }
  return { ok: true, path: current.path, entry: current, hops };
}

function lstatOrNull(hostPath: string): Stats | null {
  try {
    return lstatSync(fsPath(hostPath));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw fromFsError(err, hostPath, "stat");
  }
}

/**
 * A plain host directory as a root: lstat and readlink only, no overlay rules (a char device 0:0 is just
 * a device here). Cost: one lstat of `rootDir` now, one lstat per lookupChild.
 */
export function plainDirTree(rootDir: string): RootTree<HostEntry> {
  const stats = lstatOrNull(rootDir);
  if (stats === null || !stats.isDirectory()) {
    throw new CrifsError("not-found", "cannot use as a root: not a directory", { path: rootDir });
  }
  return {
    root: { kind: "dir", path: "/", hostPath: rootDir, stats },
    lookupChild(dir, name) {
      assertComponent(name);
      const hostPath = join(dir.hostPath, name);
      const st = lstatOrNull(hostPath);
      return st === null
        ? null
        : { kind: entryKind(st), path: childPath(dir.path, name), hostPath, stats: st };
    },
    readLinkTarget(link) {
      try {
        return readLinkExact(link.hostPath);
      } catch (err) {
        throw fromFsError(err, link.hostPath, "read symlink");
      }
    },
  };
}
