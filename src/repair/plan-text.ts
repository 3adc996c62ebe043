// repair/plan-text.ts — the JSON text of a planned action, byte for byte what JSON.stringify(action) makes,
// built from its parts for the usual action (a quarantine of one or more paths with the guards the quarantine
// kind gives it). Such an action names its path six times (its own, its step's, four guards'); JSON.stringify
// quotes each, character by character: 10^4 actions are ~10 MB of plan.json, and the quoting was most of the
// cost of writing it. Here each distinct string of an action is quoted once. Any other shape (another kind,
// another key, a key order not the usual one, a value of an unexpected type) goes to JSON.stringify.

import type { PlannedAction } from "./action.js";

const ACTION_KEYS = ["seq", "kind", "check", "subject", "path", "why", "bytes", "daemon", "steps", "guards"];

/** Whether `o`'s own enumerable keys are `want`, in that order (JSON.stringify's order is theirs). */
function hasKeys(o: object, want: readonly string[]): boolean {
  const keys = Object.keys(o);
  if (keys.length !== want.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== want[i]) return false;
  return true;
}

const STEP_KEYS = ["op", "path"];
const FOUND_KEYS = ["guard", "check", "path"];
const PATH_KEYS = ["guard", "path"];
const IDENTITY_KEYS = ["guard", "path", "dev", "ino", "ctimeMs"];

/** A number as JSON.stringify writes it (NaN and the infinities are null). */
function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : "null";
}

/** Short strings met again and again (the check's and the daemon's names), quoted once per process. */
const quotedNames = new Map<string, string>();

function quoteName(s: string): string {
  let q = quotedNames.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (quotedNames.size < 256) quotedNames.set(s, q);
  }
  return q;
}

/** The text JSON.stringify(a) makes. */
export function actionText(a: PlannedAction): string {
  if (
    a.kind !== "quarantine" ||
    typeof a.seq !== "number" ||
    typeof a.check !== "string" ||
    typeof a.subject !== "string" ||
    typeof a.path !== "string" ||
    typeof a.why !== "string" ||
    (a.bytes !== null && typeof a.bytes !== "number") ||
    typeof a.daemon !== "string" ||
    !Array.isArray(a.steps) ||
    !Array.isArray(a.guards) ||
    !hasKeys(a, ACTION_KEYS)
  )
    return JSON.stringify(a);
  const path = a.path;
  const quotedPath = JSON.stringify(path);
  const quote = (p: string) => (p === path ? quotedPath : JSON.stringify(p));
  let steps = "";
  for (const st of a.steps) {
    if (st.op !== "quarantine" || typeof st.path !== "string" || !hasKeys(st, STEP_KEYS))
      return JSON.stringify(a);
    steps += `${steps === "" ? "" : ","}{"op":"quarantine","path":${quote(st.path)}}`;
  }
  let guards = "";
  for (const g of a.guards) {
    if (typeof g.path !== "string") return JSON.stringify(a);
    let text: string;
    if (g.guard === "still-found" && typeof g.check === "string" && hasKeys(g, FOUND_KEYS))
      text = `{"guard":"still-found","check":${quoteName(g.check)},"path":${quote(g.path)}}`;
    else if ((g.guard === "not-mounted" || g.guard === "unreferenced") && hasKeys(g, PATH_KEYS))
      text = `{"guard":"${g.guard}","path":${quote(g.path)}}`;
    else if (
      g.guard === "unchanged" &&
      typeof g.dev === "number" &&
      typeof g.ino === "number" &&
      typeof g.ctimeMs === "number" &&
      hasKeys(g, IDENTITY_KEYS)
    )
      text = `{"guard":"unchanged","path":${quote(g.path)},"dev":${num(g.dev)},"ino":${num(g.ino)},"ctimeMs":${num(g.ctimeMs)}}`;
    else return JSON.stringify(a);
    guards += guards === "" ? text : `,${text}`;
  }
  return `{"seq":${num(a.seq)},"kind":"quarantine","check":${quoteName(a.check)},"subject":${JSON.stringify(a.subject)},"path":${quotedPath},"why":${JSON.stringify(a.why)},"bytes":${a.bytes === null ? "null" : num(a.bytes)},"daemon":${quoteName(a.daemon)},"steps":[${steps}],"guards":[${guards}]}`;
}
