// collect-garbage.ts — a full garbage collection on demand, for the idle moments of long commands.
//
// V8 collects the old generation only when it has grown by a margin, so a command that builds and drops a
// lot (doctor's first read) carries that garbage into its next phase and its peak RSS. `--expose-gc` can be
// turned on after start-up; the `gc` function then exists in contexts made afterwards.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadNativeScanner } from "./fs/walk-native.js";

let gc: (() => void) | null | undefined;

/** Runs a full, synchronous collection (tens of ms on a heap of ~100 MB); does nothing where it cannot. */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const found: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
      gc = typeof found === "function" ? (found as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/**
 * collectGarbage, then what malloc holds free handed back to the kernel (the native scanner's releaseMemory:
 * malloc_trim). glibc keeps freed memory mapped: the backing stores of dropped ArrayBuffers, the arenas of
 * exited workers and of native indexes. Tens of ms; between the phases of a long command.
 */
export function releaseFreeMemory(): void {
  collectGarbage();
  loadNativeScanner().scanner?.releaseMemory?.();
}
