// checks/testing-overlay.ts — scenario builder for the overlay-driver checks' unit tests (containers/storage
// layout): one line per layer, image or container, then `input()` gives the DoctorInput a real read of
// layers.json + images.json + containers.json + the overlay home would have produced. Not used outside tests.
//
//   const input = overlayScenario()
//     .layer("base").layer("top", { parent: "base" })
//     .image("bb:latest", "top")
//     .layer("c1-layer", { parent: "top" }).container("c1", "c1-layer")
//     .input();
// Layer X's short id is "S-X"; its l/ link is "../X/diff".

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { OverlayLayerDirFact, ShortLinkFact } from "../model/doctor-facts.js";
import type { Container, Image, Snapshot } from "../model/store.js";
import { emptyStore } from "../model/testing.js";
import { containersStorageTestPaths, podmanWords } from "../runtimes/testing.js";
import type { Check, Finding } from "./check.js";
import type { DoctorInput } from "./doctor-input.js";
import { brief, overlayDriverFacts } from "./testing.js";

export const CS_ROOT = "/g";
/** containers/storage's paths under CS_ROOT (the overlay home, layers.json). */
export const PATHS = containersStorageTestPaths(CS_ROOT);
export const HOME = PATHS.home;
export const NOW = Date.parse("2026-01-01T12:00:00Z");
export const OLD = "2026-01-01T11:00:00Z";
const OLD_MS = Date.parse(OLD);

export function shortOf(id: string): string {
  return `S-${id}`;
}

export function linkPath(short: string): string {
  return join(HOME, "l", short);
}

export interface OverlayLayerOptions {
  parent?: string;
  /** The record is not in layers.json (the dir and links stay). */
  noRecord?: boolean;
  /** The dir <home>/<id> is gone (its l/ link stays, dangling). */
  noDir?: boolean;
  /** The l/ link of its short id is gone. */
  noShortLink?: boolean;
  /** Its dir has no diff/. */
  noDiff?: boolean;
  /** layers.json flags it incomplete. */
  incomplete?: boolean;
  /** Its l/ link points to this layer dir instead. */
  linkTo?: string;
  /** Its `lower` file, instead of the one its parents give. */
  lower?: string[];
  createdAt?: string;
}

export class OverlayScenario {
  readonly #layers: { id: string; o: OverlayLayerOptions }[] = [];
  readonly #images: Image[] = [];
  readonly #containers: Container[] = [];
  readonly #extraLinks: ShortLinkFact[] = [];
  readonly #extraDirs: OverlayLayerDirFact[] = [];

  layer(id: string, o: OverlayLayerOptions = {}): this {
    this.#layers.push({ id, o });
    return this;
  }

  image(name: string, top: string): this {
    const keys: string[] = [];
    let cur: string | undefined = top;
    while (cur !== undefined && !keys.includes(cur)) {
      keys.unshift(cur);
      const id: string = cur;
      const l = this.#layers.find((x) => x.id === id && x.o.noRecord !== true);
      cur = l?.o.parent;
    }
    this.#images.push({
      namespace: "",
      name,
      digest: `sha256:m-${name}`,
      mediaType: "",
      size: 0,
      createdAt: OLD,
      updatedAt: OLD,
      labels: {},
      configDigest: null,
      snapshotKeys: keys,
    });
    return this;
  }

  container(id: string, layer: string): this {
    this.#containers.push({
      namespace: "",
      id,
      image: "bb:latest",
      snapshotter: "overlay",
      snapshotKey: layer,
      runtime: "podman",
      createdAt: OLD,
      updatedAt: OLD,
      labels: {},
      spec: null,
      task: null,
    });
    return this;
  }

  /** A link in l/ to `targetId`'s diff that no layer dir claims. */
  strayLink(name: string, targetId: string, resolves = false): this {
    this.#extraLinks.push({
      name,
      path: linkPath(name),
      target: `../${targetId}/diff`,
      targetId,
      resolves,
      mtimeMs: OLD_MS,
      ctimeMs: OLD_MS,
    });
    return this;
  }

  /** A dir in the home that no record names. */
  orphanDir(id: string, o: { mtimeMs?: number } = {}): this {
    this.#extraDirs.push({
      id,
      dir: join(HOME, id),
      isDir: true,
      link: "ZZZZ",
      lower: null,
      hasDiff: true,
      mtimeMs: o.mtimeMs ?? OLD_MS,
      ctimeMs: o.mtimeMs ?? OLD_MS,
    });
    return this;
  }

  input(o: { now?: number } = {}): DoctorInput {
    const byId = new Map(this.#layers.map((l) => [l.id, l]));
    const active = new Set(this.#containers.map((c) => c.snapshotKey));
    const snapshots: Snapshot[] = this.#layers
      .filter((l) => l.o.noRecord !== true)
      .map(({ id, o: lo }) => ({
        namespace: "",
        snapshotter: "overlay",
        key: id,
        parent: lo.parent ?? null,
        kind: active.has(id) ? "active" : "committed",
        id,
        path: join(HOME, id, "diff"),
        dir: join(HOME, id),
        workPath: join(HOME, id, "work"),
        createdAt: lo.createdAt ?? OLD,
        updatedAt: lo.createdAt ?? OLD,
        labels: {},
        recordedSize: null,
        runtimeKey: id,
        lowerPath: linkPath(shortOf(id)),
      }));
    const lowerOf = (id: string): string[] | null => {
      const out: string[] = [];
      let p = byId.get(id)?.o.parent;
      while (p !== undefined && out.length < 100) {
        out.push(`l/${shortOf(p)}`);
        p = byId.get(p)?.o.parent;
      }
      return out.length === 0 ? null : out;
    };
    const layers = new Map<string, OverlayLayerDirFact>();
    const links = new Map<string, ShortLinkFact>();
    for (const { id, o: lo } of this.#layers) {
      if (lo.noDir !== true)
        layers.set(id, {
          id,
          dir: join(HOME, id),
          isDir: true,
          link: shortOf(id),
          lower: lo.lower ?? lowerOf(id),
          hasDiff: lo.noDiff !== true,
          mtimeMs: OLD_MS,
          ctimeMs: OLD_MS,
        });
    }
    for (const { id, o: lo } of this.#layers) {
      if (lo.noShortLink === true) continue;
      const target = lo.linkTo ?? id;
      links.set(shortOf(id), {
        name: shortOf(id),
        path: linkPath(shortOf(id)),
        target: `../${target}/diff`,
        targetId: target,
        resolves: layers.get(target)?.hasDiff === true,
        mtimeMs: OLD_MS,
        ctimeMs: OLD_MS,
      });
    }
    for (const d of this.#extraDirs) layers.set(d.id, d);
    for (const l of this.#extraLinks) links.set(l.name, l);
    const store = emptyStore(
      { runtime: "podman", root: CS_ROOT, state: "/run/g" },
      {
        settings: { snapshotter: "overlay" },
        namespaces: [{ name: "", labels: {} }],
        images: this.#images,
        snapshots,
        containers: this.#containers,
        areas: [{ role: "snapshot-home", path: HOME, ignore: ["l"] }],
      },
    );
    return {
      root: CS_ROOT,
      contentRoot: join(CS_ROOT, "no-content"),
      now: o.now ?? NOW,
      graceMs: 60_000,
      store,
      words: podmanWords,
      metadataProblems: [],
      ...overlayDriverFacts(CS_ROOT, 0o700),
      readErrors: [],
      blobHashes: null,
      overlayDriver: {
        driver: "overlay",
        home: HOME,
        ignore: ["l", ".has-mount-program"],
        layers,
        shortLinks: links,
        incompleteLayers: new Set(this.#layers.filter((l) => l.o.incomplete === true).map((l) => l.id)),
      },
    };
  }
}

export function overlayScenario(): OverlayScenario {
  return new OverlayScenario();
}

/** A healthy store: base ← mid ← top (image bb:latest), and container c1 on layer c1-layer above top;
 * `faults` break the named layers, e.g. `{ "c1-layer": { noDir: true } }`. */
export function healthy(faults: Readonly<Record<string, OverlayLayerOptions>> = {}): OverlayScenario {
  return overlayScenario()
    .layer("base", faults.base)
    .layer("mid", { parent: "base", ...faults.mid })
    .layer("top", { parent: "mid", ...faults.top })
    .image("bb:latest", "top")
    .layer("c1-layer", { parent: "top", ...faults["c1-layer"] })
    .container("c1", "c1-layer");
}

/** One store an overlay-driver check's unit test judges: exactly the findings `expect` (brief, in sorted
 * order) are reported on it; `also` asserts more of them. */
export interface OverlayCase {
  readonly title: string;
  readonly store: OverlayScenario;
  readonly expect: readonly string[];
  readonly also?: (found: readonly Finding[]) => void;
}

/** The unit tests of an overlay-driver check: nothing found on the healthy store (`healthyTitle`), and
 * each case's findings exactly. */
export function testOverlayCheck(check: Check, healthyTitle: string, cases: readonly OverlayCase[]): void {
  test(healthyTitle, () => {
    assert.deepEqual(check.run(healthy().input()), []);
  });
  for (const c of cases) {
    test(c.title, () => {
      const found = check.run(c.store.input());
      assert.deepEqual(found.map(brief).sort(), c.expect);
      c.also?.(found);
    });
  }
}
