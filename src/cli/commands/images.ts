// cli/commands/images.ts — `crifs images`: every image record, all namespaces unless -n.

import type { Store } from "../../model/store.js";
import { humanBytes, render, renderNamespacedTable, shortDigest, UNREADABLE } from "../render/format.js";
import { type GlobalOptions, namespaceField, noteReadErrors } from "../stores.js";

/** JSON contract: docs/json.md#images. */
export function imageRows(stores: readonly Store[]) {
  return stores.flatMap((s) =>
    s.images.map((i) => ({
      runtime: s.location.runtime,
      ...namespaceField(s, i.namespace),
      name: i.name,
      digest: i.digest,
      mediaType: i.mediaType,
      size: i.size,
      configDigest: i.configDigest,
      snapshotKeys: i.snapshotKeys,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
      labels: i.labels,
      ...(i.readError === undefined ? {} : { error: i.readError }),
    })),
  );
}

export function imagesCommand(stores: readonly Store[], g: GlobalOptions): string {
  noteReadErrors(stores);
  const rows = imageRows(stores);
  return render(g.output, rows, {
    table: () =>
      renderNamespacedTable(
        ["namespace", "ref", "digest", "size", "layers", "type"],
        rows.map((r) => [
          r.namespace ?? "",
          r.name,
          shortDigest(r.digest),
          r.error === undefined ? humanBytes(r.size) : UNREADABLE,
          r.error === undefined ? String(r.snapshotKeys.length) : UNREADABLE,
          r.mediaType,
        ]),
      ),
  });
}
