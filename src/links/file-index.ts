// links/file-index.ts — the regular files of the layers links --shared looks at, under one index (typed
// arrays over the layers' tables, layer-files.ts): what shared-files.ts sorts and groups, with no object per
// file. A name becomes an object only when it is shown.

import { encodeName } from "../fs/name-codec.js";
import type { Snapshot } from "../model/store.js";
import { prefixFreeRanks } from "../model/text.js";
import type { LayerFileTable } from "./layer-files.js";

/** Numbers per file in a LayerFileTable's facts. */
const FACTS = 5;

/** A layer dir and the snapshot it belongs to. */
export type LayerSnapshot = Pick<Snapshot, "namespace" | "key" | "id" | "path">;

/** The regular files of one layer (from readLayerFiles). */
export interface LayerInventory {
  readonly layer: LayerSnapshot;
  readonly files: LayerFileTable;
}

/** One name of a shared file. */
export interface SharedFileName {
  readonly namespace: string;
  /** Snapshot key and dir id of the layer that holds the name. */
  readonly key: string;
  readonly id: string;
  /** Path inside the layer (the path in a container). */
  readonly path: string;
  readonly hostPath: string;
}

/**
 * Every file of every layer under one index: file g is file local[g] of layers[layerOf[g]]. Sorting and
 * grouping work on arrays of these indexes.
 */
export class FileIndex {
  readonly layerOf: Uint32Array;
  readonly local: Uint32Array;
  /** Per layer: the first layer with the same dir (a dir listed twice is one layer). */
  readonly dirOf: Uint32Array;
  /** Per layer: its table's facts (LayerFileTable.facts), read in place rather than copied (10^6 files). */
  readonly #facts: Float64Array[];

  constructor(readonly layers: readonly LayerInventory[]) {
    let n = 0;
    for (const inv of layers) n += inv.files.length;
    this.layerOf = new Uint32Array(n);
    this.local = new Uint32Array(n);
    this.dirOf = new Uint32Array(layers.length);
    this.#facts = layers.map((inv) => inv.files.facts);
    const firstOfDir = new Map<string, number>();
    let g = 0;
    layers.forEach((inv, l) => {
      const first = firstOfDir.get(inv.layer.path);
      if (first === undefined) firstOfDir.set(inv.layer.path, l);
      this.dirOf[l] = first ?? l;
      const t = inv.files;
      for (let i = 0; i < t.length; i++, g++) {
        this.layerOf[g] = l;
        this.local[g] = i;
      }
    });
  }

  /** Fact `k` (0 dev, 1 ino, 2 nlink, 3 size, 4 allocated) of file g. */
  #fact(g: number, k: number): number {
    const facts = this.#facts[this.layerOf[g] as number] as Float64Array;
    return facts[(this.local[g] as number) * FACTS + k] as number;
  }

  get length(): number {
    return this.layerOf.length;
  }
  table(g: number): LayerFileTable {
    return (this.layers[this.layerOf[g] as number] as LayerInventory).files;
  }
  dev(g: number): number {
    return this.#fact(g, 0);
  }
  ino(g: number): number {
    return this.#fact(g, 1);
  }
  nlink(g: number): number {
    return this.#fact(g, 2);
  }
  size(g: number): number {
    return this.#fact(g, 3);
  }
  /** Allocated bytes (st_blocks × 512). */
  allocated(g: number): number {
    return this.#fact(g, 4);
  }
  /** The layer dir that holds file g (as the index of its first listing). */
  dir(g: number): number {
    return this.dirOf[this.layerOf[g] as number] as number;
  }
  /** Each layer's dir as bytes: the first part of its files' host paths (index: the layer). */
  dirBytes(): Buffer[] {
    return this.layers.map((inv) => encodeName(inv.layer.path));
  }
  /** Length of file g's rel in bytes. */
  relLength(g: number): number {
    return (this.layers[this.layerOf[g] as number] as LayerInventory).files.relLength(
      this.local[g] as number,
    );
  }
  /** Copies file g's rel's bytes into `into` at `at`. */
  writeRel(g: number, into: Uint8Array, at: number): void {
    (this.layers[this.layerOf[g] as number] as LayerInventory).files.copyRel(
      this.local[g] as number,
      into,
      at,
    );
  }

  /**
   * Per layer: its dir's rank among the layers' dirs by code-unit order (a dir listed twice: one rank), or null
   * when one dir is a prefix of another (then a dir alone does not order two host paths).
   */
  dirRanks(): Uint32Array | null {
    if (this.#dirRanks === undefined) {
      const rank = prefixFreeRanks(this.layers.map((inv) => inv.layer.path));
      this.#dirRanks =
        rank === null ? null : Uint32Array.from(this.layers, (inv) => rank.get(inv.layer.path) as number);
    }
    return this.#dirRanks;
  }
  #dirRanks: Uint32Array | null | undefined;

  hostPath(g: number): string {
    const inv = this.layers[this.layerOf[g] as number] as LayerInventory;
    return `${inv.layer.path}${inv.files.rel(this.local[g] as number)}`;
  }
  name(g: number): SharedFileName {
    const inv = this.layers[this.layerOf[g] as number] as LayerInventory;
    const path = inv.files.rel(this.local[g] as number);
    return {
      namespace: inv.layer.namespace,
      key: inv.layer.key,
      id: inv.layer.id,
      path,
      hostPath: `${inv.layer.path}${path}`,
    };
  }
}
