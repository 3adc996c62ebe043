// parse.ts — parseBolt: a whole bbolt file image in, the tree of the current meta page out.
//
//   ┌────────┬────────┬──────────┬──────────────────────────────────────┬─────────────┐
//   │ meta 0 │ meta 1 │ freelist │ branch / leaf / overflow / free pages │ unused tail │
//   └────────┴────────┴──────────┴──────────────────────────────────────┴─────────────┘
//   page 0   page 1   (anywhere)                     high-water mark ───┘   (file grows in steps)
//
// Everything is read at once (meta.db files are small), so every structural problem shows at parse
// time and a parsed tree never fails later. Values are views into `bytes`, not copies.

import { CrifsError } from "../../errors.js";
import { TreeReader } from "./bucket.js";
import { readFreelist } from "./freelist.js";
import { chooseMeta, noFreelist } from "./meta.js";
import { corruptRemedy, PageFile } from "./page.js";
import type { BoltDb } from "./types.js";

/**
 * Parses a whole file image (pure). `name` is used in error messages. Throws CrifsError("corrupt")
 * with a one-line message. Cost: one pass over every reachable page.
 */
export function parseBolt(bytes: Uint8Array, name: string): BoltDb {
  try {
    return parseImage(bytes, name);
  } catch (err) {
    throw asCorrupt(err, name);
  }
}

function parseImage(input: Uint8Array, name: string): BoltDb {
  // A plain Uint8Array view, so values handed out are not Buffers whatever the caller passed.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const meta = chooseMeta(bytes, name);
  const file = new PageFile(bytes, name, meta.pageSize, meta.pgid);
  const reader = new TreeReader(file);
  const root = reader.readBucket(meta.root, meta.sequence, []);
  // After the tree: a broken tree is the more useful message.
  const free = meta.freelist === noFreelist ? [] : readFreelist(file, meta.freelist);
  const counted = new Uint8Array(file.seen); // 1 = freelist page or tree page
  let freePages = 0;
  for (const id of free) {
    if (id < counted.length && counted[id] === 0) counted[id] = 2;
    freePages++;
  }
  let unaccountedPages = file.highWater - counted.length; // pages past the end of a short file
  for (let id = 2; id < counted.length; id++) if (counted[id] === 0) unaccountedPages++;
  return {
    path: name,
    pageSize: meta.pageSize,
    txid: meta.txid,
    metaPage: meta.page,
    root,
    stats: {
      fileBytes: bytes.length,
      pages: file.highWater,
      ...reader.counts,
      freePages,
      unaccountedPages,
    },
  };
}

/** Anything unexpected (a RangeError from a bad offset the checks missed, …) becomes "corrupt". */
function asCorrupt(err: unknown, name: string): CrifsError {
  if (err instanceof CrifsError) return err.path === undefined ? err.withPath(name) : err;
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const message = `cannot parse the file: unexpected ${what.replace(/\s+/g, " ").slice(0, 200)}`;
  return new CrifsError("corrupt", message, { path: name, remedy: corruptRemedy, cause: err });
}
