// links/file-index.ts — the regular files of the layers links --shared looks at, under one index (typed
// arrays over the layers' tables, layer-files.ts): what shared-files.ts sorts and groups, with no object per
// file. A name becomes an object only when it is shown.

import { encodeName } from "../fs/name-codec.js";
import type { Snapshot } from "../model/store.js";
import type { LayerFileTable } from "./layer-files.js";

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
  /** Per file, copied out of the tables: what sorting compares millions of times. */
  readonly #size: Float64Array;
  readonly #dev: Float64Array;
  readonly #ino: Float64Array;

  constructor(readonly layers: readonly LayerInventory[]) {
    let n = 0;
    for (const inv of layers) n += inv.files.length;
    this.layerOf = new Uint32Array(n);
    this.local = new Uint32Array(n);
    this.dirOf = new Uint32Array(layers.length);
    this.#size = new Float64Array(n);
    this.#dev = new Float64Array(n);
    this.#ino = new Float64Array(n);
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
        this.#size[g] = t.size(i);
        this.#dev[g] = t.dev(i);
        this.#ino[g] = t.ino(i);
      }
    });
  }

  get length(): number {
    return this.layerOf.length;
  }
  table(g: number): LayerFileTable {
    return (this.layers[this.layerOf[g] as number] as LayerInventory).files;
  }
  dev(g: number): number {
    return this.#dev[g] as number;
  }
  ino(g: number): number {
    return this.#ino[g] as number;
  }
  size(g: number): number {
    return this.#size[g] as number;
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
