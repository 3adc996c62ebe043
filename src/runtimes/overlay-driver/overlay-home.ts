// runtimes/overlay-driver/overlay-home.ts — reads the home dir of an overlay graph driver, the layout that
// containers/storage's "overlay" driver and Docker's "overlay2" driver share:
//
//   <home>/<id>/            one dir per layer (docker: per cache-id, incl. "<id>-init")
//     link                  26-char base32 short id, no trailing newline
//     lower                 absent on a base layer; else "l/<short>:l/<short>:…", nearest parent first,
//                           relative to <home>, no trailing newline
//     diff/                 the layer's tree (a container's upperdir)
//     work/ merged/         overlay workdir and mount point (containers)
//     committed empty/      markers (docker; c/storage base layer)
//   <home>/l/<short>        symlink, relative: "../<id>/diff"
//
// A mount of layer X is built from the links: lowerdir=<home>/l/<short of parent>:…, upperdir=<home>/X/diff,
// workdir=<home>/X/work. Nothing here knows which runtime wrote the dir; the adapters join it with their
// metadata (layers.json, layerdb) and the checks compare the two.

import { lstatSync, statSync } from "node:fs";
import { join } from "node:path";
import { FactReader } from "../../fs/fact-reader.js";
import { fsPath } from "../../fs/name-codec.js";
import { readLinkExact } from "../../fs/read-exact.js";
import type { OverlayLayerDirFact, ShortLinkFact } from "../../model/doctor-facts.js";

/** The name of the dir of short links inside a driver home. */
export const SHORT_LINK_DIR = "l";
/** The longest `link`/`lower` file crifs reads (500 lowers × "l/" + 26 + ":" is ~15 kB). */
const MAX_SMALL_FILE = 64 * 1024;

/** A layer dir `<home>/<id>` (c/storage: the layer id; docker: the cache-id), with its `work/` dir. */
export interface OverlayLayerDir extends OverlayLayerDirFact {
  readonly hasWork: boolean;
}

/** A short link `<home>/l/<name>`. */
export type ShortLink = ShortLinkFact;

export interface OverlayHome {
  readonly home: string;
  /** Layer dirs by name (every entry of <home> except `l`). */
  readonly layers: ReadonlyMap<string, OverlayLayerDir>;
  /** Short links by name. */
  readonly shortLinks: ReadonlyMap<string, ShortLink>;
  /** Entries that could not be read (not merely absent), as "path: problem". */
  readonly readErrors: readonly { readonly path: string; readonly message: string }[];
}

/** The layer dir a short link's target names: "../<id>/diff" → "<id>", else null. */
export function parseShortLinkTarget(target: string): string | null {
  const m = /^\.\.\/([^/]+)\/diff\/?$/.exec(target);
  return m?.[1] ?? null;
}

/** The entries of a `lower` file ("l/A:l/B" → ["l/A", "l/B"]); empty entries are dropped. */
export function parseLower(text: string): string[] {
  return text
    .trim()
    .split(":")
    .filter((e) => e !== "");
}

/** The short id a `lower` entry names ("l/ABC" → "ABC"), or null when it is not of that shape. */
export function shortOfLowerEntry(entry: string): string | null {
  const m = /^l\/([^/]+)$/.exec(entry);
  return m?.[1] ?? null;
}

/** Reads one layer dir's `link`, `lower` and whether `diff`/`work` exist. Cost: a few small reads. */
export function readOverlayLayerDir(home: string, id: string): OverlayLayerDir | null {
  return readLayer(new FactReader(), home, id);
}

function readLayer(r: FactReader, home: string, id: string): OverlayLayerDir | null {
  const dir = join(home, id);
  const st = r.lstat(dir);
  if (st === null) return null;
  const isDir = st.isDirectory();
  const link = isDir ? (r.smallText(join(dir, "link"), MAX_SMALL_FILE)?.trim() ?? null) : null;
  const lowerText = isDir ? r.smallText(join(dir, "lower"), MAX_SMALL_FILE) : null;
  return {
    id,
    dir,
    isDir,
    link: link === "" ? null : link,
    lower: lowerText === null ? null : parseLower(lowerText),
    hasDiff: isDir && (r.lstat(join(dir, "diff"))?.isDirectory() ?? false),
    hasWork: isDir && (r.lstat(join(dir, "work"))?.isDirectory() ?? false),
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
  };
}

function readShortLinks(r: FactReader, home: string): Map<string, ShortLink> {
  const out = new Map<string, ShortLink>();
  const ldir = join(home, SHORT_LINK_DIR);
  for (const { name } of r.list(ldir)) {
    const path = join(ldir, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(fsPath(path));
    } catch {
      continue; // removed while we looked
    }
    let target: string | null = null;
    if (st.isSymbolicLink()) {
      try {
        target = readLinkExact(path);
      } catch {
        target = null;
      }
    }
    let resolves = false;
    try {
      statSync(fsPath(path));
      resolves = true;
    } catch {
      resolves = false;
    }
    out.set(name, {
      name,
      path,
      target,
      targetId: target === null ? null : parseShortLinkTarget(target),
      resolves,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
    });
  }
  return out;
}

/**
 * Reads a driver home: every layer dir's link/lower/diff and every short link. A home that does not exist
 * reads as empty. Cost: one readdir of <home> and of <home>/l, a few small reads and lstats per layer.
 */
export function readOverlayHome(home: string): OverlayHome {
  const r = new FactReader();
  const layers = new Map<string, OverlayLayerDir>();
  for (const { name } of r.list(home)) {
    if (name === SHORT_LINK_DIR) continue;
    const l = readLayer(r, home, name);
    if (l !== null) layers.set(name, l);
  }
  return { home, layers, shortLinks: readShortLinks(r, home), readErrors: r.errors };
}

/** Absolute lowerdirs of a layer as the driver mounts them: `<home>/l/<short>` per `lower` entry, nearest first. */
export function lowerDirsOf(home: string, layer: OverlayLayerDir): string[] {
  return (layer.lower ?? []).map((e) => join(home, e));
}
