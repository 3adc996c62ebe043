// cli/commands/images.ts — `crifs images`: every image record, all namespaces unless -n.

import type { Store } from "../../model/store.js";
import { humanBytes, shortDigest, UNREADABLE } from "../render/format.js";
import { type GlobalOptions, recordRow, renderRecords } from "../stores.js";

/** JSON contract: docs/json.md#images. */
export function imageRows(stores: readonly Store[]) {
  return stores.flatMap((s) =>
    s.images.map((i) =>
      recordRow(s, i, {
        name: i.name,
        digest: i.digest,
        mediaType: i.mediaType,
        size: i.size,
        configDigest: i.configDigest,
        snapshotKeys: i.snapshotKeys,
      }),
    ),
  );
}

export function imagesCommand(stores: readonly Store[], g: GlobalOptions): string {
  return renderRecords(stores, {
    g,
    rows: imageRows,
    id: (r) => r.name,
    columns: {
      ref: (r) => r.name,
      digest: (r) => shortDigest(r.digest),
      size: (r) => (r.error === undefined ? humanBytes(r.size) : UNREADABLE),
      layers: (r) => (r.error === undefined ? String(r.snapshotKeys.length) : UNREADABLE),
      type: (r) => r.mediaType,
    },
  });
}
