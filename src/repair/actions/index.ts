// repair/actions/index.ts — every action kind, a plain array: the planner gives each finding to the first kind
// that lists its check and acts on it (a kind may decline a finding with a reason, and the next kind that lists
// the check gets it). Adding a kind is one import and one line here.

import type { ActionKind } from "../action.js";
import { quarantine } from "./quarantine.js";

export const actionKinds: readonly ActionKind[] = [quarantine];
