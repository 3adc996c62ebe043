// runtimes/store-location.ts — the optional half of a StoreLocation, which every loader fills the same way.

import type { RootLink, StoreLocation } from "../model/store.js";

/** hostRoot and rootLink as a StoreLocation carries them: present only when set. Pure. */
export function locationExtras(
  hostRoot: string | undefined,
  rootLink: RootLink | null,
): Pick<StoreLocation, "hostRoot" | "rootLink"> {
  return {
    ...(hostRoot === undefined ? {} : { hostRoot }),
    ...(rootLink === null ? {} : { rootLink }),
  };
}
