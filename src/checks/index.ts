// checks/index.ts — every doctor check, in the order doctor runs and reports them. A plain array: adding a
// check is one import and one line here.

import { blobDigestMismatch } from "./blob-digest-mismatch.js";
import { brokenLower } from "./broken-lower.js";
import { brokenSymlink } from "./broken-symlink.js";
import type { Check } from "./check.js";
import { containerMissingLayer } from "./container-missing-layer.js";
import { danglingLogLink } from "./dangling-log-link.js";
import { danglingParent } from "./dangling-parent.js";
import { danglingShortLink } from "./dangling-short-link.js";
import { imageMissingLayer } from "./image-missing-layer.js";
import { incompleteLayer } from "./incomplete-layer.js";
import { layerContentMismatch } from "./layer-content-mismatch.js";
import { logLinkMismatch } from "./log-link-mismatch.js";
import { metadataCorrupt } from "./metadata-corrupt.js";
import { metadataMismatch } from "./metadata-mismatch.js";
import { missingBlob } from "./missing-blob.js";
import { missingLayerDir } from "./missing-layer-dir.js";
import { missingShortLink } from "./missing-short-link.js";
import { missingSnapshotDir } from "./missing-snapshot-dir.js";
import { orphanLayerDir } from "./orphan-layer-dir.js";
import { orphanLogDir } from "./orphan-log-dir.js";
import { orphanSnapshotDir } from "./orphan-snapshot-dir.js";
import { rootLinkUnsafe } from "./root-link-unsafe.js";
import { staleIngest } from "./stale-ingest.js";
import { staleMount } from "./stale-mount.js";
import { tmpmountLeftover } from "./tmpmount-leftover.js";
import { unreadablePath } from "./unreadable-path.js";
import { unreferencedBlob } from "./unreferenced-blob.js";
import { unreferencedSnapshot } from "./unreferenced-snapshot.js";

export const checks: readonly Check[] = [
  metadataCorrupt,
  unreadablePath,
  rootLinkUnsafe,
  missingSnapshotDir,
  danglingParent,
  metadataMismatch,
  orphanSnapshotDir,
  // overlay driver homes (containers/storage, docker overlay2): nothing for containerd
  missingLayerDir,
  incompleteLayer,
  missingShortLink,
  brokenLower,
  danglingShortLink,
  orphanLayerDir,
  imageMissingLayer,
  containerMissingLayer,
  unreferencedSnapshot,
  missingBlob,
  unreferencedBlob,
  blobDigestMismatch,
  layerContentMismatch,
  staleIngest,
  tmpmountLeftover,
  staleMount,
  brokenSymlink,
  // kubelet's pod log dirs and /var/log/containers links (src/logs): host-wide, checked with one store
  danglingLogLink,
  logLinkMismatch,
  orphanLogDir,
];

export function checkById(id: string): Check | undefined {
  return checks.find((c) => c.id === id);
}
