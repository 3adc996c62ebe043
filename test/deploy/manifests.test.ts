// test/deploy/manifests.test.ts — deploy/ checked offline (issue 19 part 3), no cluster needed:
//   - every manifest the kustomization lists validates against the Kubernetes OpenAPI schemas shipped by
//     kubernetes-models (compiled ajv validators of the upstream OpenAPI spec; the ServiceMonitor and
//     PrometheusRule against the prometheus-operator CRD schemas of @kubernetes-models/prometheus-operator);
//     those schemas let unknown fields through, as the API server's non-strict decoding does, so every
//     manifest is also type-checked against the same packages' TypeScript types, whose excess-property
//     check rejects a misspelt field at any depth (kubectl --validate=strict's job);
//   - the DaemonSet keeps what docs/deploy.md promises (read-only, no privileged, one capability, limits);
//   - promtool check rules and promtool test rules (deploy/tests/) pass on the PrometheusRule's groups;
//   - every query of the rules and of the Grafana dashboard names only metrics of docs/metrics.md.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import ts from "typescript";
import { parse, parseAllDocuments, stringify } from "yaml";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "deploy", "kustomization.yaml"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find deploy/kustomization.yaml above this file");
}
const REPO = repoRoot();
const DEPLOY = join(REPO, "deploy");

interface Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** The models of the kinds deploy/ uses: validate() throws with the schema's errors. Types for the strict check. */
const models: Record<string, { validate: (data: object) => void; type: string; from: string }> = {
  "v1/Namespace": {
    validate: (d) => new Namespace(d as never).validate(),
    type: "INamespace",
    from: "kubernetes-models/v1/Namespace",
  },
  "v1/Service": {
    validate: (d) => new Service(d as never).validate(),
    type: "IService",
    from: "kubernetes-models/v1/Service",
  },
  "apps/v1/DaemonSet": {
    validate: (d) => new DaemonSet(d as never).validate(),
    type: "IDaemonSet",
    from: "kubernetes-models/apps/v1/DaemonSet",
  },
  "monitoring.coreos.com/v1/ServiceMonitor": {
    validate: (d) => new ServiceMonitor(d as never).validate(),
    type: "IServiceMonitor",
    from: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
  },
  "monitoring.coreos.com/v1/PrometheusRule": {
    validate: (d) => new PrometheusRule(d as never).validate(),
    type: "IPrometheusRule",
    from: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
  },
};

const kustomization = parse(readFileSync(join(DEPLOY, "kustomization.yaml"), "utf8")) as {
  resources: string[];
  namespace: string;
};
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DEPLOY, file), "utf8")).map(
    (d) => ({ file, ...(d.toJS() as object) }) as Manifest,
  ),
);
const byKind = (kind: string): Manifest => {
  const m = manifests.find((x) => x.kind === kind);
  assert.ok(m !== undefined, `deploy/ has no ${kind}`);
  return m;
};

test("the kustomization lists every manifest of deploy/, and each is in namespace crifs-system", () => {
  const files = readdirSync(DEPLOY).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
  assert.deepEqual([...kustomization.resources].sort(), files.sort());
  assert.equal(kustomization.namespace, "crifs-system");
  for (const m of manifests)
    if (m.kind !== "Namespace") assert.equal(m.metadata.namespace, "crifs-system", `${m.file}: ${m.kind}`);
  assert.deepEqual(manifests.map((m) => m.kind).sort(), [
    "DaemonSet",
    "Namespace",
    "PrometheusRule",
    "Service",
    "ServiceMonitor",
  ]);
});

test("every manifest validates against the Kubernetes OpenAPI schemas (and the CRDs' schemas)", () => {
  for (const m of manifests) {
    const { file, ...data } = m;
    const entry = models[`${m.apiVersion}/${m.kind}`];
    assert.ok(entry !== undefined, `${file}: no schema for ${m.apiVersion} ${m.kind}`);
    assert.doesNotThrow(() => entry.validate(data), `${file}: ${m.kind} ${m.metadata.name}`);
  }
  // the validators do reject: a port that is not a number, an unknown enum value
  const ds = structuredClone(byKind("DaemonSet")) as Record<string, unknown> & { file?: string };
  delete ds.file;
  const spec = (
    ds as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } }
  ).spec;
  const port = spec.template.spec.containers[0]?.ports[0];
  assert.ok(port !== undefined);
  port.containerPort = "9637";
  assert.throws(() => new DaemonSet(ds as never).validate(), /containerPort must be integer/);
});

test("no manifest has a field its kind does not define (strict, by the packages' TypeScript types)", () => {
  const file = join(REPO, "test", "deploy", "strict-manifests.ts");
  const lines = manifests.map((m, i) => {
    const entry = models[`${m.apiVersion}/${m.kind}`];
    assert.ok(entry !== undefined);
    const { file: _, ...data } = m;
    return `import type { ${entry.type} as T${i} } from ${JSON.stringify(entry.from)};\nexport const m${i}: T${i} = ${JSON.stringify(data, null, 1)};`;
  });
  const host = ts.createCompilerHost({});
  const read = host.readFile.bind(host);
  host.readFile = (f) => (f === file ? lines.join("\n") : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => f === file || exists(f);
  const program = ts.createProgram({
    rootNames: [file],
    options: {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    },
    host,
  });
  const errors = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n")[0]);
  assert.deepEqual(errors, []);
  // and it does catch a misspelt field
  const bad = lines.join("\n").replace('"readOnlyRootFilesystem"', '"readOnlyRootFileSystem"');
  host.readFile = (f) => (f === file ? bad : read(f));
  const again = ts.createProgram({
    rootNames: [file],
    options: program.getCompilerOptions(),
    host,
    oldProgram: program,
  });
  assert.match(
    ts
      .getPreEmitDiagnostics(again)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "))
      .join("\n"),
    /readOnlyRootFileSystem/,
  );
});

interface Container {
  args: string[];
  ports: { containerPort: number; name: string }[];
  securityContext: Record<string, unknown> & { capabilities: { drop: string[]; add: string[] } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; mountPropagation?: string }[];
}
interface PodSpec {
  containers: Container[];
  tolerations: { operator: string }[];
  hostPID?: boolean;
  hostNetwork?: boolean;
  volumes: { name: string; hostPath?: { path: string } }[];
}

function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m !== null, `memory quantity ${q} is not in Mi or Gi`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

test("the DaemonSet reads the node read-only, unprivileged, with DAC_READ_SEARCH only, on every node", () => {
  const pod = (byKind("DaemonSet") as unknown as { spec: { template: { spec: PodSpec } } }).spec.template
    .spec;
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0] as Container;
  assert.deepEqual(c.args.slice(0, 5), ["--host-root", "/host", "serve", "--listen", "0.0.0.0:9637"]);
  assert.equal(c.ports[0]?.containerPort, 9637);
  const sc = c.securityContext;
  assert.equal(sc.privileged, false);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.runAsUser, 0);
  assert.deepEqual(sc.capabilities, { drop: ["ALL"], add: ["DAC_READ_SEARCH"] });
  assert.notEqual(pod.hostPID, true);
  assert.notEqual(pod.hostNetwork, true);
  assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
  // the goal is under 200 MB of RSS: the limit leaves headroom and stays bounded
  const limit = mebibytes(c.resources.limits.memory ?? "");
  assert.ok(limit >= 256 && limit <= 512, `memory limit ${limit}Mi`);
  assert.ok(mebibytes(c.resources.requests.memory ?? "") <= limit);
  // the node's / read-only; the one writable mount is crifs's own cache dir
  const host = c.volumeMounts.find((v) => v.mountPath === "/host");
  assert.deepEqual(host, {
    name: "host",
    mountPath: "/host",
    readOnly: true,
    mountPropagation: "HostToContainer",
  });
  assert.deepEqual(
    c.volumeMounts.filter((v) => v.readOnly !== true).map((v) => v.mountPath),
    ["/var/cache/crifs"],
  );
  assert.deepEqual(
    pod.volumes.map((v) => v.hostPath?.path),
    ["/", "/var/cache/crifs"],
  );
});

/** The PrometheusRule's groups as the plain rule file promtool reads. */
function ruleGroups(): { groups: { name: string; rules: { alert: string; expr: string }[] }[] } {
  return (byKind("PrometheusRule") as unknown as { spec: ReturnType<typeof ruleGroups> }).spec;
}

test("promtool check rules and promtool test rules pass on the alert rules", (t) => {
  const which = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (which.error !== undefined) {
    if (process.env.CRIFS_SKIP_INTEGRATION === "1") {
      console.error(
        `${"!".repeat(80)}\n!! SKIPPED promtool (CRIFS_SKIP_INTEGRATION=1): install Debian's prometheus\n${"!".repeat(80)}`,
      );
      t.skip("promtool is missing (Debian package prometheus)");
      return;
    }
    assert.fail("promtool is missing: install Debian's prometheus package (scripts/test.sh does)");
  }
  const dir = mkdtempSync(join(tmpdir(), "crifs-rules-"));
  try {
    writeFileSync(join(dir, "crifs-rules.yaml"), stringify(ruleGroups()));
    copyFileSync(join(DEPLOY, "tests", "crifs-rules.test.yaml"), join(dir, "crifs-rules.test.yaml"));
    for (const args of [
      ["check", "rules", "crifs-rules.yaml"],
      ["test", "rules", "crifs-rules.test.yaml"],
    ]) {
      const r = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
      assert.equal(r.status, 0, `promtool ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the alerts are the issue's four: reclaimable bytes, error findings, failing scans, unattributed imagefs", () => {
  const alerts = ruleGroups().groups.flatMap((g) => g.rules.map((r) => r.alert));
  assert.deepEqual(alerts.sort(), [
    "CrifsErrorFinding",
    "CrifsImagefsUnattributed",
    "CrifsReclaimableBytesHigh",
    "CrifsScanStale",
    "CrifsScansFailing",
  ]);
});

/** The metric names of docs/metrics.md's table (the contract). */
function contractMetrics(): Set<string> {
  const text = readFileSync(join(REPO, "docs", "metrics.md"), "utf8");
  return new Set([...text.matchAll(/^\| `(crifs_[a-z_]+)` \|/gm)].map((m) => m[1] as string));
}

const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression selects: what is left once strings, label matchers, ranges,
 * grouping labels, Grafana variables, function names, keywords and numbers are taken out.
 */
function promqlMetricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ");
  const names: string[] = [];
  for (const m of s.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = s.slice((m.index ?? 0) + m[0].length).trimStart();
    if (rest.startsWith("(") || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

test("promqlMetricNames finds metrics, not functions, labels, keywords or numbers", () => {
  assert.deepEqual(
    promqlMetricNames(
      'sum without (check) (crifs_reclaimable_bytes{node=~"$node"}) > 10 * 1024 and on(x) up offset 5m',
    ),
    ["crifs_reclaimable_bytes", "up"],
  );
  assert.deepEqual(
    promqlMetricNames("time() - max by (node) (crifs_last_scan_success_timestamp_seconds[1h:1m])"),
    ["crifs_last_scan_success_timestamp_seconds"],
  );
});

test("every query of the alert rules and of the Grafana dashboard names a metric of docs/metrics.md, and only those", () => {
  const contract = contractMetrics();
  assert.equal(contract.size, 13, `docs/metrics.md lists ${contract.size} metrics`);
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, "grafana", "crifs.json"), "utf8")) as {
    panels: { title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; query?: string | { query: string } }[] };
  };
  const queries: [string, string[]][] = [];
  for (const r of ruleGroups().groups.flatMap((g) => g.rules))
    queries.push([`alert ${r.alert}`, promqlMetricNames(r.expr)]);
  for (const p of dashboard.panels)
    for (const t of p.targets ?? [])
      queries.push([`panel "${p.title}": ${t.expr}`, promqlMetricNames(t.expr)]);
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === "string" ? v.query : v.query?.query;
    const m = /^label_values\((\w+),/.exec(q ?? "");
    if (m !== null) queries.push([`variable ${v.name}`, [m[1] as string]]);
  }
  assert.ok(queries.length >= 20, `only ${queries.length} queries`);
  for (const [where, names] of queries) {
    assert.ok(names.length > 0, `${where} names no metric`);
    for (const n of names) assert.ok(contract.has(n), `${where} names ${n}, which crifs does not export`);
  }
  // every metric of the contract is shown somewhere on the dashboard
  const shown = new Set(queries.filter(([w]) => !w.startsWith("alert")).flatMap(([, n]) => n));
  assert.deepEqual(
    [...contract].filter((n) => !shown.has(n)),
    [],
  );
});
