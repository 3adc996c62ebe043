// cli/row-filter.ts — crictl's filters of ps, containers and pods: --name (a regular expression, as crictl's),
// --label k=v (every one must match; `k` alone: the label is set), --pod (a pod sandbox id prefix, or the
// pod's name). Applied to the listing's rows, live or from disk alike.

import { CrifsError } from "../errors.js";

export interface RowFilter {
  readonly name?: RegExp;
  readonly labels: readonly (readonly [string, string | undefined])[];
  readonly pod?: string;
}

/** What a row shows the filters: its names, its labels, its pod's ids (matched by prefix) and names. */
export interface FilterFields<R> {
  names(row: R): readonly string[];
  labels(row: R): Readonly<Record<string, string>>;
  podIds(row: R): readonly string[];
  podNames(row: R): readonly string[];
}

/** The filter of a command's parsed options (`name`, `label`); undefined when none is given. */
export function parseRowFilter(o: Record<string, unknown>): RowFilter | undefined {
  const labels = (Array.isArray(o.label) ? (o.label as string[]) : []).map((l) => {
    const eq = l.indexOf("=");
    if (eq === 0)
      throw new CrifsError("usage", `cannot use label filter "${l}": the key is empty`, {
        remedy: "pass --label key=value, or --label key for any value",
      });
    return eq < 0 ? ([l, undefined] as const) : ([l.slice(0, eq), l.slice(eq + 1)] as const);
  });
  let name: RegExp | undefined;
  if (typeof o.name === "string") {
    try {
      name = new RegExp(o.name);
    } catch (err) {
      throw new CrifsError("usage", `cannot use name filter "${o.name}": not a regular expression`, {
        remedy: "pass --name with a valid regular expression (as crictl ps --name), e.g. --name '^web'",
        cause: err,
      });
    }
  }
  if (name === undefined && labels.length === 0 && typeof o.pod !== "string") return undefined;
  return {
    ...(name === undefined ? {} : { name }),
    labels,
    ...(typeof o.pod === "string" ? { pod: o.pod } : {}),
  };
}

/** A predicate keeping the rows every filter matches. */
export function rowFilter<R>(f: RowFilter, fields: FilterFields<R>): (row: R) => boolean {
  return (row) => {
    const name = f.name;
    if (name !== undefined && !fields.names(row).some((n) => name.test(n))) return false;
    const labels = fields.labels(row);
    for (const [k, v] of f.labels) {
      if (!Object.hasOwn(labels, k) || (v !== undefined && labels[k] !== v)) return false;
    }
    const pod = f.pod;
    if (
      pod !== undefined &&
      !fields.podIds(row).some((id) => id !== "" && id.startsWith(pod)) &&
      !fields.podNames(row).includes(pod)
    )
      return false;
    return true;
  };
}
