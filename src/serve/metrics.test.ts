import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { categories } from "../disk/du.js";
import { labelValue, metricSamples, renderMetrics, ServeMetrics, topImages } from "./metrics.js";
import type { ScanModel, StoreScan } from "./scan.js";

/** A store of `images` images in two namespaces, one finding of each of two checks. */
function store(images: number, root = "/var/lib/containerd"): StoreScan {
  return {
    runtime: "containerd",
    root,
    durationSeconds: 1.5,
    categories: categories.map((category, i) => ({
      namespace: "",
      category,
      allocatedBytes: i * 4096,
      inodes: i,
    })),
    images: Array.from({ length: images }, (_, i) => ({
      namespace: i % 2 === 0 ? "default" : "k8s.io",
      image: `docker.io/library/img-${i}:latest`,
      bytes: (i + 1) * 1000,
    })),
    objects: [
      { namespace: "default", kind: "image", count: Math.ceil(images / 2) },
      { namespace: "default", kind: "snapshot_committed", count: 7 },
    ],
    checksRun: ["orphan-snapshot-dir", "missing-blob", "stale-ingest"],
    findings: [
      { check: "orphan-snapshot-dir", severity: "warning", findings: 2, bytes: 300_000 },
      { check: "orphan-snapshot-dir", severity: "info", findings: 1, bytes: 4096 },
      { check: "missing-blob", severity: "error", findings: 1, bytes: 0 },
    ],
    imagefsUsedBytes: 10_000_000,
    unattributedBytes: 45_056,
  };
}

function model(stores: StoreScan[]): ScanModel {
  return { finishedAtMs: 1_700_000_000_000, durationSeconds: 2, stores, api: null };
}

test("per-image series only for each store's N largest images: 5,000 images give N series, the largest", () => {
  const samples = metricSamples(model([store(5000)]), { topImages: 10 });
  const images = samples.filter((s) => s.name === "crifs_image_bytes");
  assert.equal(images.length, 10);
  assert.deepEqual(
    images.map((s) => s.value),
    [5000, 4999, 4998, 4997, 4996, 4995, 4994, 4993, 4992, 4991].map((n) => n * 1000),
  );
  assert.equal(images[0]?.labels.image, "docker.io/library/img-4999:latest");
  assert.equal(
    metricSamples(model([store(5000)]), { topImages: 0 }).filter((s) => s.name === "crifs_image_bytes")
      .length,
    0,
  );
});

test("the number of series does not grow with what a store holds: 10 images or 5,000 give the same count", () => {
  const count = (n: number) => metricSamples(model([store(n)]), { topImages: 10 }).length;
  assert.equal(count(5000), count(10));
  // per store: 14 categories × 2 (bytes, inodes), 3 checks × (1 + 3 severities), 2 object kinds, 10 images, 4 more
  assert.equal(count(10), 14 * 2 + 3 * 4 + 2 + 10 + 4);
});

test("every check that ran has a reclaimable series and one per severity, 0 when it found nothing", () => {
  const samples = metricSamples(model([store(1)]), { topImages: 10 });
  const of = (name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;
  assert.equal(of("crifs_reclaimable_bytes", { check: "orphan-snapshot-dir" }), 304_096);
  assert.equal(of("crifs_reclaimable_bytes", { check: "stale-ingest" }), 0);
  assert.equal(of("crifs_findings", { check: "orphan-snapshot-dir", severity: "warning" }), 2);
  assert.equal(of("crifs_findings", { check: "orphan-snapshot-dir", severity: "error" }), 0);
  assert.equal(of("crifs_findings", { check: "missing-blob", severity: "error" }), 1);
  assert.equal(of("crifs_findings", { check: "stale-ingest", severity: "info" }), 0);
  assert.equal(of("crifs_last_scan_success_timestamp_seconds", {}), 1_700_000_000);
  for (const s of samples)
    assert.deepEqual([s.labels.runtime, s.labels.root], ["containerd", "/var/lib/containerd"]);
});

test("the top N are the same N every scan when sizes tie: by namespace, then name", () => {
  const s = {
    ...store(0),
    images: ["b", "a", "c"].map((image) => ({ namespace: "default", image, bytes: 1 })),
  };
  assert.deepEqual(
    topImages(s, 2).map((i) => i.image),
    ["a", "b"],
  );
});

test("a name byte that is not UTF-8 becomes \\xNN in a label; other text is kept", () => {
  assert.equal(labelValue("/data/\udcffroot"), "/data/\\xffroot");
  assert.equal(labelValue("ünïcode"), "ünïcode");
});

test("the text format of two stores: every family once, the scan counters, and promtool accepts it", async () => {
  const text = await renderMetrics(model([store(3), store(2, "/data/containerd")]), {
    version: "1.2.3",
    topImages: 10,
  });
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(families, [
    "crifs_build_info gauge",
    "crifs_store_bytes gauge",
    "crifs_store_inodes gauge",
    "crifs_reclaimable_bytes gauge",
    "crifs_findings gauge",
    "crifs_objects gauge",
    "crifs_image_bytes gauge",
    "crifs_imagefs_used_bytes gauge",
    "crifs_imagefs_unattributed_bytes gauge",
    "crifs_scan_duration_seconds gauge",
    "crifs_last_scan_success_timestamp_seconds gauge",
    "crifs_scans_total counter",
    "crifs_scan_errors_total counter",
  ]);
  assert.match(text, /^crifs_build_info\{version="1\.2\.3"\} 1$/m);
  assert.match(text, /^crifs_scans_total\{result="success"\} 1$/m);
  assert.match(text, /^crifs_scans_total\{result="failure"\} 0$/m);
  assert.match(text, /^crifs_scan_errors_total\{runtime="containerd",root="\/data\/containerd"\} 0$/m);
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
  } catch {
    return; // promtool (Debian's prometheus package) checks it in the serve suite too
  }
  assert.equal(execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" }), "");
});

test("a new scan replaces every gauge series: a check's findings that are gone leave 0, an image that left the top N leaves", async () => {
  const m = new ServeMetrics({ version: "1", topImages: 1 });
  m.update(model([store(2)]));
  assert.match(await m.text(), /image="docker\.io\/library\/img-1:latest"/);
  const next = { ...store(2), images: [{ namespace: "default", image: "other:1", bytes: 1 }], findings: [] };
  m.update(model([next]));
  const text = await m.text();
  assert.doesNotMatch(text, /img-1/);
  assert.match(
    text,
    /^crifs_findings\{runtime="containerd",root="\/var\/lib\/containerd",check="missing-blob",severity="error"\} 0$/m,
  );
  m.countScan("failure");
  m.countStoreError({ runtime: "containerd", root: "/var/lib/containerd" });
  assert.match(
    await m.text(),
    /^crifs_scan_errors_total\{runtime="containerd",root="\/var\/lib\/containerd"\} 1$/m,
  );
});
