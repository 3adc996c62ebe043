// page.ts — bbolt pages: the 16-byte header every page starts with, and bounds-checked access to the
// pages of one file image. All integers are little-endian.
//
//   page N starts at byte N * pageSize and spans (1 + overflow) * pageSize bytes
//   ┌───────────┬───────────┬───────────┬──────────────┬─────────────────────────────────┐
//   │ id u64    │ flags u16 │ count u16 │ overflow u32 │ body: elements, keys, values, … │
//   └───────────┴───────────┴───────────┴──────────────┴─────────────────────────────────┘
//   0           8           10          12             16
//
//   flags: 0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist. Pages 0 and 1 are the meta pages; every
//   other page below the meta's high-water mark is a tree page, the freelist, or free.

import { CrifsError } from "../../errors.js";
import { quoteShort } from "./bytes.js";

export const pageHeaderSize = 16;
export const branchFlag = 0x01;
export const leafFlag = 0x02;
export const metaFlag = 0x04;
export const freelistFlag = 0x10;

/** The remedy printed with every "corrupt" error of this module. */
export const corruptRemedy =
  "if the file was copied while its owner (containerd, podman) ran, copy it again; else restore it from a backup";

/** A corrupt-file error that names the file. */
export function corrupt(name: string, message: string): CrifsError {
  return new CrifsError("corrupt", message, { path: name, remedy: corruptRemedy });
}

/** `"v1"/"default"/"leases"`, or `the root bucket`, for messages. */
export function bucketPath(path: readonly Uint8Array[]): string {
  return path.length === 0 ? "the root bucket" : `bucket ${path.map((k) => quoteShort(k, 40)).join("/")}`;
}

export function flagWords(flags: number): string {
  switch (flags) {
    case branchFlag:
      return "branch";
    case leafFlag:
      return "leaf";
    case metaFlag:
      return "meta";
    case freelistFlag:
      return "freelist";
    default:
      return `0x${flags.toString(16)}`;
  }
}

/** A validated page: where it is in the image and what its header says. */
export interface PageRef {
  readonly id: number;
  /** Byte offset of the page header in the image. */
  readonly offset: number;
  /** Bytes the page spans: (1 + overflow) * pageSize. */
  readonly span: number;
  readonly flags: number;
  readonly count: number;
  readonly overflow: number;
}

/** What a page is expected to be: a tree page (branch or leaf) or the freelist. */
export type PageKind = "tree" | "freelist";

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The pages of one file image, below the chosen meta's high-water mark. Each page may be handed out
 * once: a second request for a page (or for a page inside another's overflow span) is a cycle or a
 * page shared by two parents, which bbolt never writes.
 */
export class PageFile {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly name: string;
  readonly pageSize: number;
  /** The meta's high-water mark (pages in use), capped at what a number holds exactly. */
  readonly highWater: number;
  /** Whole pages in the image. */
  readonly filePages: number;
  /** Per page below min(highWater, filePages): 0 unseen, 1 handed out. */
  readonly seen: Uint8Array;
  readonly #highWaterId: bigint;

  constructor(bytes: Uint8Array, name: string, pageSize: number, highWater: bigint) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.name = name;
    this.pageSize = pageSize;
    this.highWater = highWater > maxSafe ? Number.MAX_SAFE_INTEGER : Number(highWater);
    this.#highWaterId = BigInt(this.highWater);
    this.filePages = Math.floor(bytes.length / pageSize);
    this.seen = new Uint8Array(Math.min(this.highWater, this.filePages));
  }

  /** Reads a pgid (u64) as a bigint; callers check it with page(). */
  pgidAt(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }

  /**
   * Validates and hands out page `id`: inside the high-water mark and the file, header id equal to
   * `id`, flags of the expected kind, element array inside the page, not handed out before.
   * `where` names the bucket for messages.
   */
  page(id: bigint, kind: PageKind, where: () => string): PageRef {
    const fail = (state: string) => corrupt(this.name, `cannot read page ${id} (${where()}): ${state}`);
    if (id < 2n) throw fail("ids 0 and 1 are the meta pages (torn or corrupt file)");
    if (id >= this.#highWaterId) {
      throw fail(`beyond the high-water mark of the meta page (${this.highWater} pages in use)`);
    }
    const n = Number(id); // < highWater <= MAX_SAFE_INTEGER
    if (n >= this.filePages) throw fail(`past the end of the file (${this.filePages} pages)`);
    const offset = n * this.pageSize;
    const headerId = this.view.getBigUint64(offset, true);
    if (headerId !== id) throw fail(`page header says id ${headerId} (torn or corrupt file)`);
    const flags = this.view.getUint16(offset + 8, true);
    const count = this.view.getUint16(offset + 10, true);
    const overflow = this.view.getUint32(offset + 12, true);
    const ok = kind === "tree" ? flags === branchFlag || flags === leafFlag : flags === freelistFlag;
    if (!ok) {
      const expected = kind === "tree" ? "a branch or leaf page" : "the freelist page";
      throw fail(`flags say ${flagWords(flags)}, expected ${expected}`);
    }
    const last = n + overflow;
    if (last >= this.highWater) {
      throw fail(`overflow of ${overflow} pages runs beyond the high-water mark (${this.highWater} pages)`);
    }
    if (last >= this.filePages) {
      throw fail(`overflow of ${overflow} pages runs past the end of the file (${this.filePages} pages)`);
    }
    const span = (overflow + 1) * this.pageSize;
    if (kind === "tree" && pageHeaderSize + count * 16 > span) {
      throw fail(`${count} elements do not fit in ${span} bytes`);
    }
    for (let p = n; p <= last; p++) {
      if (this.seen[p] !== 0) {
        const how = p === n ? "" : ` (inside the overflow of page ${n})`;
        throw corrupt(
          this.name,
          `cannot read page ${p}${how} (${where()}): reached twice in one tree walk (a cycle or a shared page)`,
        );
      }
    }
    this.seen.fill(1, n, last + 1);
    return { id: n, offset, span, flags, count, overflow };
  }
}
