// fs/testing-overlay-view.ts — layer dirs for the overlay view tests, built from one line per entry, under
// /var/tmp; removeLayers() (in an after hook) takes them away.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const temps: string[] = [];

/** Removes every dir layers() made. */
export function removeLayers(): void {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}

/** A new empty dir under /var/tmp, removed by removeLayers(). */
export function tempDir(): string {
  const d = mkdtempSync("/var/tmp/crifs-overlay-");
  temps.push(d);
  return d;
}

/**
 * Fills a layer dir from lines: "d path", "f path contents…", "l path target", "w path" (whiteout),
 * "c path" (char device 1:3), "p path" (fifo), "x path name value" (xattr), "cp path hostfile".
 */
export function fill(layer: string, lines: string[]): void {
  mkdirSync(layer, { recursive: true });
  for (const line of lines) {
    const [type, path = "", ...rest] = line.split(" ");
    const host = path === "/" ? layer : join(layer, path);
    if (type !== "d" && type !== "x") mkdirSync(dirname(host), { recursive: true });
    if (type === "d") mkdirSync(host, { recursive: true });
    else if (type === "f") writeFileSync(host, rest.join(" "));
    else if (type === "l") symlinkSync(rest.join(" "), host);
    else if (type === "w") execFileSync("mknod", [host, "c", "0", "0"]);
    else if (type === "c") execFileSync("mknod", [host, "c", "1", "3"]);
    else if (type === "p") execFileSync("mknod", [host, "p"]);
    else if (type === "x") execFileSync("setfattr", ["-h", "-n", rest[0] ?? "", "-v", rest[1] ?? "", host]);
    else if (type === "cp") copyFileSync(rest[0] ?? "", host);
    else throw new Error(`bad line ${line}`);
  }
}

/** Makes layer dirs from specs given top first; returns their paths, top first. */
export function layers(...specs: string[][]): string[] {
  const root = tempDir();
  return specs.map((spec, i) => {
    const dir = join(root, `layer${i}`);
    fill(dir, spec);
    return dir;
  });
}
