// checks/driver-home.ts — what the overlay-driver checks share: the store's layers of the driver that
// owns the home, by id, and the short id a `lower` entry names. Pure.

import type { OverlayDriverFacts } from "../model/doctor-facts.js";
import type { Snapshot, Store } from "../model/store.js";
import type { DoctorInput } from "./doctor-input.js";

export interface OverlayView {
  readonly store: Store;
  readonly od: OverlayDriverFacts;
  /** The driver's layers (snapshots) by id. */
  readonly layers: ReadonlyMap<string, Snapshot>;
  /** Ids some layer record names as its parent. */
  readonly parents: ReadonlySet<string>;
}

/** The store and overlay home of an overlay-driver store, or null (containerd, or metadata unreadable). */
export function overlayView(input: DoctorInput): OverlayView | null {
  const od = input.overlayDriver;
  const store = input.store;
  if (od === undefined || store === null) return null;
  const mine = store.snapshots.filter((s) => s.snapshotter === od.driver);
  return {
    store,
    od,
    layers: new Map(mine.map((s) => [s.id, s])),
    parents: new Set(mine.flatMap((s) => (s.parent === null ? [] : [s.parent]))),
  };
}

/** "l/<short>" → "<short>", or null when the entry has another shape. */
export function shortOfLower(entry: string): string | null {
  const m = /^l\/([^/]+)$/.exec(entry);
  return m?.[1] ?? null;
}
