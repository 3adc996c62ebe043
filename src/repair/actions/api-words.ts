// repair/actions/api-words.ts — what the API action kinds share: the record a finding's subject names, and
// the same change in the words of the runtime's own CLI (a plan's `call`), quoted for a POSIX shell so an
// operator whose daemon is down can paste it once it is up.

import type { Finding } from "../../checks/check.js";
import type { PlanContext } from "../action.js";

/** `s` as one POSIX shell word: bare when it holds only safe characters, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_.:@%+=,/-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** A containerd record a finding's subject names: `<what> <namespace>/<rest>` (a namespace never holds "/"). */
export function containerdSubject(
  finding: Finding,
  what: string,
): { namespace: string; rest: string } | null {
  const m = new RegExp(`^${what} ([^/ ]+)/(.+)$`).exec(finding.subject);
  return m === null ? null : { namespace: m[1] as string, rest: m[2] as string };
}

/** The reason a containerd API action will not be planned on this store, or null. */
export function notContainerd(ctx: PlanContext, finding: Finding): string | null {
  return ctx.store.location.runtime === "containerd"
    ? null
    : `only containerd's records are changed through its API here; ${finding.remedy}`;
}

/** `ctr -n <ns> <args…>`, each word quoted. */
export function ctrCall(namespace: string, args: readonly string[]): string {
  return ["ctr", "-n", namespace, ...args].map(shellWord).join(" ");
}
