// repair/actions/index.ts — every action kind, a plain array: the planner gives each finding to the first kind
// that lists its check and acts on it (a kind may decline a finding with a reason, and the next kind that lists
// the check gets it). Adding a kind is one import and one line here.

import type { ActionKind } from "../action.js";
import { apiContentAbort } from "./api-content-abort.js";
import { apiContentDelete } from "./api-content-delete.js";
import { apiPodmanOpenStore } from "./api-podman-open-store.js";
import { apiSnapshotRemove } from "./api-snapshot-remove.js";
import { quarantine } from "./quarantine.js";
import { shortLink } from "./short-link.js";

export const actionKinds: readonly ActionKind[] = [
  // file-level leftovers, moved aside (an ingest dir WITH a record is declined: content.abort's)
  quarantine,
  // l/<short> links of the overlay drivers, rebuilt from each layer's link file
  shortLink,
  // records only the runtime may change, through its own API
  apiSnapshotRemove,
  apiContentAbort,
  apiContentDelete,
  apiPodmanOpenStore,
];
