import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../errors.js";
import { parseRowFilter, rowFilter } from "./row-filter.js";

interface Row {
  name: string;
  labels: Record<string, string>;
  pod: string;
  podName: string;
}
const rows: Row[] = [
  { name: "web", labels: { app: "a", tier: "front" }, pod: "abc123", podName: "web-0" },
  { name: "db", labels: { app: "b" }, pod: "def456", podName: "db-0" },
];
const fields = {
  names: (r: Row) => [r.name],
  labels: (r: Row) => r.labels,
  podIds: (r: Row) => [r.pod],
  podNames: (r: Row) => [r.podName],
};
const keep = (o: Record<string, unknown>) => {
  const f = parseRowFilter(o);
  return f === undefined ? rows.map((r) => r.name) : rows.filter(rowFilter(f, fields)).map((r) => r.name);
};

test("crictl's filters: --name is a regular expression, --label k=v or k, --pod an id prefix or the pod's name", () => {
  assert.deepEqual(keep({}), ["web", "db"]);
  assert.deepEqual(keep({ name: "^w" }), ["web"]);
  assert.deepEqual(keep({ label: ["app=b"] }), ["db"]);
  assert.deepEqual(keep({ label: ["tier"] }), ["web"]);
  assert.deepEqual(keep({ label: ["app=a", "tier=back"] }), []);
  assert.deepEqual(keep({ pod: "def" }), ["db"]);
  assert.deepEqual(keep({ pod: "web-0" }), ["web"]);
  assert.deepEqual(keep({ pod: "web" }), [], "a name matches whole, not as a prefix");
});

test("a filter that cannot be used is a usage error", () => {
  assert.throws(
    () => parseRowFilter({ name: "(" }),
    (e: unknown) => e instanceof CrifsError && e.code === "usage",
  );
  assert.throws(
    () => parseRowFilter({ label: ["=x"] }),
    (e: unknown) => e instanceof CrifsError && e.code === "usage",
  );
});
