// fs/read-exact.ts — readdir and readlink that keep names as bytes (fs/name-codec.ts), for the walkers that are
// not the scanner (overlay view, links' layer files, du's home listing, overlay homes).
//
// Node hands names back as UTF-8 strings, with U+FFFD for a byte that is not UTF-8: such a name can neither be
// shown as it is nor stat'ed by that string. Each call here asks for strings first (the common case costs
// nothing more than a plain readdir plus one scan for U+FFFD), and only when one holds U+FFFD asks again for
// Buffers and decodes them with decodeName. Paths in go through fsPath, so a dir named in no UTF-8 is read too.

import { type Dirent, readdirSync, readlinkSync } from "node:fs";
import { decodeName, fsPath } from "./name-codec.js";

/** The names in host dir `dir`, exact (decodeName). Throws what readdirSync throws. Cost: one readdir (two then). */
export function readNames(dir: string): string[] {
  const path = fsPath(dir);
  const names = readdirSync(path);
  for (const n of names)
    if (n.includes("\uFFFD")) return readdirSync(path, { encoding: "buffer" }).map(decodeName);
  return names;
}

/**
 * The entries of host dir `dir` with their d_type. When a name is not UTF-8 the Dirents hold Buffers:
 * read names with direntName(). Throws what readdirSync throws. Cost: one readdir (two then).
 */
export function readDirents(dir: string): (Dirent | Dirent<Buffer>)[] {
  const path = fsPath(dir);
  const dirents = readdirSync(path, { withFileTypes: true });
  for (const d of dirents)
    if (d.name.includes("\uFFFD")) return readdirSync(path, { withFileTypes: true, encoding: "buffer" });
  return dirents;
}

/** The exact name of a Dirent from readDirents. */
export function direntName(d: Dirent | Dirent<Buffer>): string {
  return typeof d.name === "string" ? d.name : decodeName(d.name);
}

/** The target of the symlink at host path `path`, exact. Throws what readlinkSync throws. Cost: one readlink (two then). */
export function readLinkExact(path: string): string {
  const p = fsPath(path);
  const target = readlinkSync(p);
  return target.includes("\uFFFD") ? decodeName(readlinkSync(p, { encoding: "buffer" })) : target;
}
