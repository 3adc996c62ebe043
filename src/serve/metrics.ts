// serve/metrics.ts — the metric families crifs exports (docs/serve.md, the metrics contract shared with
// deploy/'s alert rules and dashboard), in one prom-client registry: `crifs serve`'s /metrics and `crifs
// doctor -o prometheus` print the same families.
//
// Every series is labelled runtime and root; none is per file or per layer. Per-image series exist only for
// each store's N largest images (--top-images), so the number of series is bounded by the stores, namespaces,
// du's categories, doctor's checks and N, never by what a store holds.
//
//   ScanModel ─▶ metricSamples (pure: the gauges' series) ─▶ ServeMetrics.update (reset, set) ─▶ text format

import { Counter, Gauge, Registry } from "prom-client";
import type { Severity } from "../checks/check.js";
import type { MetricRuntime, ScanModel, StoreScan } from "./scan.js";

/** Default of --top-images: per store, the N largest images get a crifs_image_bytes series. */
export const DEFAULT_TOP_IMAGES = 10;

const severities: readonly Severity[] = ["error", "warning", "info"];

/** The gauges a scan sets, with their help text and labels (the metrics contract). */
const gauges = {
  crifs_store_bytes: {
    help: 'Bytes allocated on disk under the store\'s root, by namespace and du category (as `crifs du`; namespace "": what no namespace owns)',
    labels: ["runtime", "root", "namespace", "category"],
  },
  crifs_store_inodes: {
    help: "Inodes under the store's root, by namespace and du category (as `crifs du`)",
    labels: ["runtime", "root", "namespace", "category"],
  },
  crifs_reclaimable_bytes: {
    help: "Bytes a repair of the doctor check's findings would free",
    labels: ["runtime", "root", "check"],
  },
  crifs_findings: {
    help: "Doctor findings by check and severity",
    labels: ["runtime", "root", "check", "severity"],
  },
  crifs_objects: {
    help: "Objects the runtime has, by namespace and kind",
    labels: ["runtime", "root", "namespace", "kind"],
  },
  crifs_image_bytes: {
    help: "Bytes on disk of an image's layers, for the store's largest images only (--top-images)",
    labels: ["runtime", "root", "namespace", "image"],
  },
  crifs_imagefs_used_bytes: {
    help: "Bytes in use on the filesystem holding the store's root (statvfs)",
    labels: ["runtime", "root"],
  },
  crifs_imagefs_unattributed_bytes: {
    help: "Bytes under the store's root that no du category accounts for (du's other)",
    labels: ["runtime", "root"],
  },
  crifs_scan_duration_seconds: {
    help: "Duration of the store's last good scan (its load and du, plus the doctor run shared by every store)",
    labels: ["runtime", "root"],
  },
  crifs_last_scan_success_timestamp_seconds: {
    help: "When the store's last good scan finished, seconds since the epoch",
    labels: ["runtime", "root"],
  },
} as const;

export type GaugeName = keyof typeof gauges;

export interface Sample {
  readonly name: GaugeName;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A label value as text a person and a parser can take: a name byte that is not UTF-8 (carried as U+DC80+byte,
 * fs/name-codec.ts) becomes `\xNN`, as the terminal shows it; Prometheus's text format is UTF-8 only.
 */
export function labelValue(s: string): string {
  return s.replace(
    /[\udc80-\udcff]/g,
    (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, "0")}`,
  );
}

/** The store's N largest images (largest first, then by namespace and name: the same N every scan). */
export function topImages(s: StoreScan, n: number): StoreScan["images"] {
  if (n <= 0) return [];
  return [...s.images]
    .sort(
      (a, b) =>
        b.bytes - a.bytes ||
        (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0) ||
        (a.image < b.image ? -1 : a.image > b.image ? 1 : 0),
    )
    .slice(0, n);
}

/** Every gauge series of one scan. Pure. */
export function metricSamples(model: ScanModel, options: { topImages: number }): Sample[] {
  const out: Sample[] = [];
  for (const s of model.stores) {
    const base = { runtime: s.runtime, root: labelValue(s.root) };
    const add = (name: GaugeName, labels: Record<string, string>, value: number) =>
      out.push({ name, labels: { ...base, ...labels }, value });
    for (const c of s.categories) {
      const labels = { namespace: labelValue(c.namespace), category: c.category };
      add("crifs_store_bytes", labels, c.allocatedBytes);
      add("crifs_store_inodes", labels, c.inodes);
    }
    // every check that ran has its series, 0 when it found nothing: an alert sees a value fall, not vanish
    const checks = [...new Set([...s.checksRun, ...s.findings.map((f) => f.check)])].sort();
    for (const check of checks) {
      const of = s.findings.filter((f) => f.check === check);
      add(
        "crifs_reclaimable_bytes",
        { check },
        of.reduce((n, f) => n + f.bytes, 0),
      );
      for (const severity of severities)
        add("crifs_findings", { check, severity }, of.find((f) => f.severity === severity)?.findings ?? 0);
    }
    for (const o of s.objects)
      add("crifs_objects", { namespace: labelValue(o.namespace), kind: o.kind }, o.count);
    for (const i of topImages(s, options.topImages))
      add("crifs_image_bytes", { namespace: labelValue(i.namespace), image: labelValue(i.image) }, i.bytes);
    if (s.imagefsUsedBytes !== null) add("crifs_imagefs_used_bytes", {}, s.imagefsUsedBytes);
    add("crifs_imagefs_unattributed_bytes", {}, s.unattributedBytes);
    add("crifs_scan_duration_seconds", {}, s.durationSeconds);
    add("crifs_last_scan_success_timestamp_seconds", {}, model.finishedAtMs / 1000);
  }
  return out;
}

/** crifs's metrics registry: the gauges of the last good scan, and the scan counters. */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly #gauges: Record<GaugeName, Gauge>;
  readonly #scans: Counter;
  readonly #storeErrors: Counter;
  readonly #topImages: number;
  /** The text of the registry as it is now, made on the first scrape after a change (a scrape costs a copy). */
  #text: Promise<string> | null = null;

  constructor(options: { version: string; topImages: number }) {
    this.#topImages = options.topImages;
    const registers = [this.registry];
    new Gauge({ name: "crifs_build_info", help: "crifs's version", labelNames: ["version"], registers }).set(
      { version: options.version },
      1,
    );
    this.#gauges = Object.fromEntries(
      Object.entries(gauges).map(([name, g]) => [
        name,
        new Gauge({ name, help: g.help, labelNames: [...g.labels], registers }),
      ]),
    ) as Record<GaugeName, Gauge>;
    this.#scans = new Counter({
      name: "crifs_scans_total",
      help: "Scans made, by result",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["success", "failure"]) this.#scans.inc({ result }, 0);
    this.#storeErrors = new Counter({
      name: "crifs_scan_errors_total",
      help: "Scans that failed, per store",
      labelNames: ["runtime", "root"],
      registers,
    });
  }

  /** Replaces every gauge series with those of `model` (synchronous: a scrape sees one scan or the other). */
  update(model: ScanModel): void {
    this.#text = null;
    for (const g of Object.values(this.#gauges)) g.reset();
    for (const s of metricSamples(model, { topImages: this.#topImages }))
      this.#gauges[s.name].set(s.labels, s.value);
    // a store's error counter exists from its first good scan on, at 0
    for (const s of model.stores) this.#storeErrors.inc({ runtime: s.runtime, root: labelValue(s.root) }, 0);
  }

  countScan(result: "success" | "failure"): void {
    this.#text = null;
    this.#scans.inc({ result });
  }

  countStoreError(store: { runtime: MetricRuntime; root: string }): void {
    this.#text = null;
    this.#storeErrors.inc({ runtime: store.runtime, root: labelValue(store.root) });
  }

  /** The text format (version 0.0.4), made once per change: the series change only with a scan. */
  text(): Promise<string> {
    this.#text ??= this.registry.metrics();
    return this.#text;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The metrics of one scan as text (`crifs doctor -o prometheus`, --textfile). */
export function renderMetrics(
  model: ScanModel,
  options: { version: string; topImages: number },
): Promise<string> {
  const m = new ServeMetrics(options);
  m.update(model);
  m.countScan("success");
  return m.text();
}
