// checks/testing-docker.ts — a docker (overlay2) store as doctor input, for the checks' unit tests: bb:latest =
// chain sha256:c1 (cache dir "cache1") ← sha256:c2 ("cache2"); container dc1 with layers m1-init ← m1 on
// sha256:c2; every overlay2 dir present unless `gone` says otherwise. Not used outside tests.

import { join } from "node:path";
import type { OverlayLayerDirFact } from "../model/doctor-facts.js";
import type { Anomaly, Container, Image, Snapshot } from "../model/store.js";
import { emptyStore } from "../model/testing.js";
import { dockerTestPaths, dockerWords } from "../runtimes/testing.js";
import type { DoctorInput } from "./doctor-input.js";
import { overlayDriverFacts } from "./testing.js";

export const ROOT = "/d";
/** Docker's paths under ROOT (the driver's home, repositories.json, layer entries). */
export const PATHS = dockerTestPaths(ROOT);
export const HOME = PATHS.home;
const NOW = Date.parse("2026-01-01T12:00:00Z");
const OLD = "2026-01-01T11:00:00Z";

/** The store; `gone`: overlay2 dirs removed; `images`: more images; `noLayer`: snapshot keys left out of the
 * model; `anomalies`: what the loader could not place; `corrupt`: a file that stopped the load (store null). */
export function docker(
  o: {
    gone?: string[];
    images?: Image[];
    noLayer?: string[];
    anomalies?: Anomaly[];
    corrupt?: { path: string; message: string };
  } = {},
): DoctorInput {
  const layer = (key: string, id: string, parent: string | null, kind: Snapshot["kind"]): Snapshot => ({
    namespace: "",
    snapshotter: PATHS.driver,
    key,
    parent,
    kind,
    id,
    path: join(HOME, id, "diff"),
    dir: join(HOME, id),
    workPath: null,
    createdAt: OLD,
    updatedAt: OLD,
    labels: {},
    recordedSize: null,
    runtimeKey: key,
  });
  const snapshots = [
    layer("sha256:c1", "cache1", null, "committed"),
    layer("sha256:c2", "cache2", "sha256:c1", "committed"),
    layer("m1-init", "m1-init", "sha256:c2", "active"),
    layer("m1", "m1", "m1-init", "active"),
  ].filter((s) => !(o.noLayer ?? []).includes(s.key));
  const image = (name: string, keys: string[]): Image => ({
    namespace: "",
    name,
    digest: `sha256:id-${name}`,
    mediaType: "application/vnd.docker.container.image.v1+json",
    size: 1,
    createdAt: OLD,
    updatedAt: OLD,
    labels: {},
    configDigest: `sha256:id-${name}`,
    snapshotKeys: keys,
  });
  const container: Container = {
    namespace: "",
    id: "ctr1",
    names: ["dc1"],
    image: "bb:latest",
    snapshotter: PATHS.driver,
    snapshotKey: "m1",
    runtime: "runc",
    createdAt: OLD,
    updatedAt: OLD,
    labels: {},
    spec: null,
    task: null,
  };
  const store = emptyStore(
    { runtime: "docker", root: ROOT, state: "/run/d" },
    {
      namespaces: [{ name: "", labels: {} }],
      images: [image("bb:latest", ["sha256:c1", "sha256:c2"]), ...(o.images ?? [])],
      snapshots,
      containers: [container],
      anomalies: o.anomalies ?? [],
    },
  );
  const dirs = new Map<string, OverlayLayerDirFact>();
  for (const id of ["cache1", "cache2", "m1-init", "m1"]) {
    if ((o.gone ?? []).includes(id)) continue;
    dirs.set(id, {
      id,
      dir: join(HOME, id),
      isDir: true,
      link: `S${id}`,
      lower: null,
      hasDiff: true,
      mtimeMs: Date.parse(OLD),
      ctimeMs: Date.parse(OLD),
    });
  }
  return {
    root: ROOT,
    contentRoot: ROOT,
    now: NOW,
    graceMs: 60_000,
    store: o.corrupt === undefined ? store : null,
    words: dockerWords,
    metadataProblems: o.corrupt === undefined ? [] : [o.corrupt],
    ...overlayDriverFacts(ROOT, 0o710),
    readErrors: [],
    blobHashes: null,
    overlayDriver: {
      driver: PATHS.driver,
      home: HOME,
      ignore: ["l"],
      layers: dirs,
      shortLinks: new Map(),
      incompleteLayers: new Set(),
    },
  };
}
