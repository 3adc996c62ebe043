// checks/driver-home.ts — what the overlay-driver checks share: the store's layers of the driver that
// owns the home, by id, the short id a `lower` entry names, and defineOverlayCheck, which runs a check on
// overlay-driver stores only (and on docker's, where it has one, its docker part). Pure.

import type { OverlayDriverFacts } from "../model/doctor-facts.js";
import type { Snapshot, Store } from "../model/store.js";
import type { Check, CheckDefinition, CheckInput, Found, Need } from "./check.js";
import { defineCheck } from "./check.js";
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

/** Whether the store keeps one entry per image layer (docker's) and its overlay home was read. */
export function isDockerInput(input: DoctorInput): boolean {
  return input.words.layerEntry !== null && input.store !== null && input.overlayDriver !== undefined;
}

/** What an overlay-driver check finds in a view of the home; on docker stores `onDocker` instead, when given. */
export interface OverlayCheckDefinition<N extends Need> extends Omit<CheckDefinition<N>, "find"> {
  find(input: CheckInput<N>, v: OverlayView): Iterable<Found>;
  onDocker?(input: CheckInput<N>, v: OverlayView): Iterable<Found>;
}

/** A check of the overlay driver's home: it finds nothing on a store without one (containerd's). */
export function defineOverlayCheck<N extends Need>(d: OverlayCheckDefinition<N>): Check {
  const { find, onDocker, ...rest } = d;
  return defineCheck<N>({
    ...rest,
    find(input) {
      const v = overlayView(input);
      if (v === null) return [];
      return onDocker !== undefined && isDockerInput(input) ? onDocker(input, v) : find(input, v);
    },
  });
}
