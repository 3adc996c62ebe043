// fs/data-extents.ts — where a file's bytes are: its runs of data with the holes left out, found by
// lseek(SEEK_DATA) and lseek(SEEK_HOLE) in the native addon (native/scan.c dataExtent; Node's fs has no
// SEEK_DATA). A 16 TiB sparse file that holds 4 KiB is one run of 4 KiB, so reading it by its runs costs what
// it holds. Without the addon (or where the kernel refuses) the whole file is one run: the caller reads it all.

import { loadNativeScanner } from "./walk-native.js";

/** [start, end): a run of bytes the file holds (a hole reads as zeros and is not in any run). */
export type Extent = readonly [start: number, end: number];

/**
 * The runs of data of the open file `fd` whose size is `size`, in order, clipped to `size`. `seek: false`
 * (tests), CRIFS_ENGINE=js or no addon: one run [0, size). Cost: two lseeks per run. Moves fd's file position: read with
 * explicit positions.
 */
export function* dataExtents(fd: number, size: number, options: { seek?: boolean } = {}): Generator<Extent> {
  // CRIFS_ENGINE=js: the JS paths only, as for the scanner (fs/walk.ts selectScanEngine)
  const isJs = options.seek === false || process.env.CRIFS_ENGINE === "js";
  const seek = isJs ? undefined : loadNativeScanner().scanner?.dataExtent;
  if (seek === undefined) {
    if (size > 0) yield [0, size];
    return;
  }
  let at = 0;
  while (at < size) {
    const r = seek(fd, at);
    if (r === null) return; // only a hole follows
    if (typeof r === "number") {
      yield [at, size]; // the kernel would not say (-errno): the rest is read whole
      return;
    }
    const start = r[0];
    const end = Math.min(r[1], size);
    if (start >= size || end <= start) return;
    yield [start, end];
    at = end;
  }
}
