// overlay/export-tar.ts — a merged root (overlay/merged-entries.ts) written as a tar stream, as `docker export`
// and `podman export` write a container's root: entries named relative to the root without "./" (the root
// itself left out, dirs with a trailing "/"), numeric uid/gid, permission bits (setuid, setgid, sticky too),
// whole-second mtimes, symlinks with their target as stored, a hard link's later names as link entries to
// its first, char and block devices with their numbers, fifos. Sockets cannot be archived and are left out
// (counted), as docker does. A whiteout is never an entry: the view has already applied it.
//
// The blocks are tar-stream's (ustar headers, padding, the end-of-archive blocks, back-pressure). What
// ustar cannot hold goes in a PAX extended header crifs builds itself, as bytes (paxBlocks), because tar-stream
// writes PAX values only as UTF-8 text and no body of its own: a path or link target longer than ustar's
// fields or not ASCII (`path`, `linkpath`: the name's bytes as they are, UTF-8 or not, which GNU tar and Go's
// archive/tar read back exactly), a uid/gid past ustar's 7 octal digits, and extended attributes as
// `SCHILY.xattr.<name>` records with their raw values (overlay's own trusted.overlay.* and user.overlay.*,
// which a mount hides, are left out). The ustar header after a PAX
// header carries an ASCII stand-in of the name for readers that ignore PAX.
//
// Memory: file contents are streamed in chunks of at most 1 MiB, waiting for the reader (never a whole file);
// one entry at a time.

import { once } from "node:events";
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Pack, pack } from "tar-stream";
import { fromFsError } from "../errors.js";
import { encodeName, fsPath } from "../fs/name-codec.js";
import { type MergedEntry, visibleXattrs } from "./merged-entries.js";

/** Options of writeTar. */
export interface WriteTarOptions {
  /** Called for each regular file that shrank while it was read (its missing tail is written as zeros, as
   * GNU tar does, so the archive stays well formed). Default: nothing. */
  onShrunk?: (entry: MergedEntry) => void;
  /** Include extended attributes as SCHILY.xattr records. Default true. */
  xattrs?: boolean;
}

/** What writeTar wrote. */
export interface TarSummary {
  readonly entries: number;
  /** Bytes of file contents. */
  readonly bytes: number;
  /** Sockets left out (tar has no type for them). */
  readonly sockets: number;
}

/** Largest uid/gid a ustar header holds (7 octal digits). */
const USTAR_MAX_ID = 0o7777777;
const CHUNK = 1 << 20;

/** One PAX record, "<len> <key>=<value>\n", with len counting itself. Pure. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.byteLength(key) + value.length + 3; // space, "=", newline
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from("\n")]);
}

function isAscii(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/** An ASCII stand-in for a name ustar cannot hold: printable ASCII kept, the rest "_", the last 99 bytes. */
function standIn(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_");
  return ascii.length > 99 ? ascii.slice(-99).replace(/^\/+/, "") || "_" : ascii;
}

/** True when ustar's name (100) and prefix (155) fields hold `name` split at a "/" (tar-stream's rule). */
function fitsUstar(name: Buffer): boolean {
  if (!isAscii(name)) return false;
  if (name.length <= 100) return true;
  const s = name.toString("latin1");
  for (let i = s.indexOf("/"); i >= 0; i = s.indexOf("/", i + 1)) {
    if (i <= 155 && s.length - i - 1 <= 100 && s.length - i - 1 > 0) return true;
  }
  return false;
}

/** tar's entry type per kind (a socket has none: writeTar leaves sockets out). */
const tarTypes = {
  file: "file",
  dir: "directory",
  symlink: "symlink",
  "char-device": "character-device",
  "block-device": "block-device",
  fifo: "fifo",
  socket: "file",
} as const;

/** The archive's parts of one entry: the ustar header and, when ustar cannot hold it all, the PAX records. */
export function tarHeaderOf(
  e: MergedEntry,
  xattrs: readonly (readonly [string, Buffer])[],
): { header: Parameters<Pack["entry"]>[0]; pax: Buffer | null } {
  const st = e.stats;
  const name = e.kind === "dir" ? `${e.rel}/` : e.rel;
  const type = e.hardLinkTo !== null ? "link" : e.kind === "dir" ? "directory" : tarTypes[e.kind];
  const linkname = e.hardLinkTo ?? e.linkTarget ?? "";
  const records: Buffer[] = [];
  const nameBytes = encodeName(name);
  let headerName = name;
  if (!fitsUstar(nameBytes)) {
    records.push(paxRecord("path", nameBytes));
    headerName = standIn(name);
    if (e.kind === "dir" && !headerName.endsWith("/")) headerName = `${headerName.slice(0, 98)}/`;
  }
  const linkBytes = encodeName(linkname);
  let headerLink = linkname;
  if (linkname !== "" && (linkBytes.length > 100 || !isAscii(linkBytes))) {
    records.push(paxRecord("linkpath", linkBytes));
    headerLink = standIn(linkname);
  }
  if (st.uid > USTAR_MAX_ID) records.push(paxRecord("uid", Buffer.from(String(st.uid))));
  if (st.gid > USTAR_MAX_ID) records.push(paxRecord("gid", Buffer.from(String(st.gid))));
  for (const [k, v] of xattrs) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const rdev = st.rdev;
  // glibc's major()/minor() of a 64-bit dev_t, in arithmetic that holds past 32 bits
  const major = (Math.floor(rdev / 256) % 4096) + Math.floor(rdev / 2 ** 32 / 4096) * 4096;
  const minor = (rdev % 256) + (Math.floor(rdev / 2 ** 20) % 2 ** 24) * 256;
  const isDevice = e.kind === "char-device" || e.kind === "block-device";
  return {
    header: {
      name: headerName,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid > USTAR_MAX_ID ? 0 : st.uid,
      gid: st.gid > USTAR_MAX_ID ? 0 : st.gid,
      size: type === "file" ? st.size : 0,
      mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
      linkname: headerLink,
      devmajor: isDevice ? major : 0,
      devminor: isDevice ? minor : 0,
    },
    pax: records.length === 0 ? null : Buffer.concat(records),
  };
}

/**
 * The blocks of a PAX extended header ("x") holding `records`: a ustar header block, the records, zeros up to
 * the next 512-byte boundary. tar-stream has no way to write one with a body it did not encode as UTF-8 text.
 */
export function paxBlocks(records: Buffer): Buffer[] {
  const h = Buffer.alloc(512);
  h.write("PaxHeader", 0, "ascii");
  h.write("0000644\0", 100, "ascii"); // mode
  h.write("0000000\0", 108, "ascii"); // uid
  h.write("0000000\0", 116, "ascii"); // gid
  h.write(`${records.length.toString(8).padStart(11, "0")}\0`, 124, "ascii"); // size
  h.write("00000000000\0", 136, "ascii"); // mtime
  h.write("x", 156, "ascii"); // typeflag: extended header for the next entry
  h.write("ustar\x0000", 257, "latin1"); // magic "ustar\0", version "00"
  h.fill(" ", 148, 156); // the checksum counts its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  const pad = (512 - (records.length % 512)) % 512;
  return pad === 0 ? [h, records] : [h, records, Buffer.alloc(pad)];
}

/** Writes one entry without contents and waits until the pack has taken it. */
function addEntry(p: Pack, header: Parameters<Pack["entry"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = p.entry(header, (err?: Error | null) => (err ? reject(err) : resolve()));
    sink.on("error", () => {}); // reported through the callback; unheard, streamx would throw it
  });
}

/** Streams `size` bytes of the open file into the entry's sink; pads with zeros when the file is shorter. */
async function copyContent(
  p: Pack,
  header: Parameters<Pack["entry"]>[0],
  fh: FileHandle,
  size: number,
): Promise<boolean> {
  let shrunk = false;
  const done = new Promise<void>((resolve, reject) => {
    const sink = p.entry(header, (err?: Error | null) => (err ? reject(err) : resolve()));
    sink.on("error", () => {}); // reported through the callback; unheard, streamx would throw it
    (async () => {
      let left = size;
      while (left > 0) {
        const want = Math.min(CHUNK, left);
        let chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = shrunk ? { bytesRead: 0 } : await fh.read(chunk, 0, want, null);
        if (bytesRead === 0) {
          shrunk = true;
          chunk.fill(0);
        } else if (bytesRead < want) chunk = chunk.subarray(0, bytesRead);
        left -= chunk.length;
        if (!sink.write(chunk)) await once(sink, "drain");
      }
      sink.end(undefined);
    })().catch((err: unknown) => {
      sink.destroy(err as Error);
      reject(err);
    });
  });
  await done;
  return shrunk;
}

/**
 * Writes `entries` (overlay/merged-entries.ts, in walk order) to `out` as a tar archive and ends `out`. The root
 * entry (rel "") is left out, as docker and podman leave it. Resolves when the last byte is handed to `out`;
 * rejects with CrifsError naming the host file when one cannot be read, or with `out`'s error (EPIPE: the
 * reader went away). Cost: one open and read of every regular file, one xattr listing per entry.
 */
export async function writeTar(
  entries: Iterable<MergedEntry>,
  out: Writable,
  options: WriteTarOptions = {},
): Promise<TarSummary> {
  const p = pack();
  const piped = pipeline(p as unknown as NodeJS.ReadableStream, out);
  // a failed output (EPIPE) must stop the walk, not leave it waiting for a drain that never comes
  let failure: unknown;
  piped.catch((err: unknown) => {
    failure = err;
  });
  let count = 0;
  let bytes = 0;
  let sockets = 0;
  const withXattrs = options.xattrs ?? true;
  try {
    for (const e of entries) {
      if (failure !== undefined) break;
      if (e.rel === "") continue;
      if (e.kind === "socket") {
        sockets++;
        continue;
      }
      const xattrs = withXattrs ? visibleXattrs(e) : [];
      const { header, pax } = tarHeaderOf(e, xattrs);
      // the pack is idle here (each entry is awaited): the extended header goes in as blocks of its own
      if (pax !== null) for (const block of paxBlocks(pax)) p.push(block);
      if (header.type === "file") {
        let fh: FileHandle;
        try {
          fh = await open(fsPath(e.hostPath), constants.O_RDONLY | constants.O_NOFOLLOW);
        } catch (err) {
          throw fromFsError(err, e.hostPath, "open");
        }
        try {
          const shrunk = await copyContent(p, header, fh, header.size ?? 0);
          if (shrunk) options.onShrunk?.(e);
        } catch (err) {
          if (failure !== undefined) break;
          throw fromFsError(err, e.hostPath, "read");
        } finally {
          await fh.close();
        }
        bytes += header.size ?? 0;
      } else await addEntry(p, header);
      count++;
    }
  } catch (err) {
    p.destroy(err as Error);
    await piped.catch(() => {});
    throw err;
  }
  if (failure === undefined) p.finalize();
  await piped;
  return { entries: count, bytes, sockets };
}
