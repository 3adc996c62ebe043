// cli/commands/export.ts — `crifs export <container|image> [-o FILE.tar]`: the merged root as a tar stream, the
// archive `docker export` / `podman export` make of a container, read from the layer dirs with nothing mounted
// and no daemon asked (a dead node's containers rescued from its disk). An image's export is its layers
// merged. Without -o the archive goes to stdout, never to a terminal. With -o it is written to
// FILE.crifs-partial-<pid> beside FILE and renamed into place when complete: an interrupted export leaves no
// half archive under the name asked for.

import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import type { Writable } from "node:stream";
import { CrifsError } from "../../errors.js";
import { checkLayersInRoot } from "../../fs/layers-in-root.js";
import type { OverlayView } from "../../fs/overlay-view.js";
import { containerView } from "../../links/container-view.js";
import type { Store } from "../../model/store.js";
import { type TarSummary, writeTar } from "../../overlay/export-tar.js";
import { imageView } from "../../overlay/image-view.js";
import { mergedEntries } from "../../overlay/merged-entries.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { resolveRef } from "../resolve-ref.js";
import { archiveWriteError, checkArchiveOutside, checkArchivePath } from "./export-file.js";

/** The merged root of container or image `ref` (a container wins a name both have). */
export function exportView(stores: readonly Store[], ref: string): OverlayView {
  const t = resolveRef(stores, ref, ["container", "image"]);
  const view =
    t.type === "container"
      ? containerView(t.store, t.container)
      : t.type === "image"
        ? imageView(t.store, t.image)
        : null;
  if (view !== null) {
    checkLayersInRoot(t.store.location.root, view.layers);
    return view;
  }
  throw new Error(`resolveRef returned a ${t.type} for kinds container, image`);
}

/** Where the archive goes. */
export interface ExportTarget {
  /** -o FILE, or null for stdout. */
  readonly file: string | null;
  readonly stdout: Writable & { isTTY?: boolean };
  /** One line on stderr (a file that shrank while read, sockets left out). */
  readonly warn: (line: string) => void;
}

/**
 * Writes the export of `ref` to target.file (through a partial file renamed at the end) or to stdout. Throws
 * CrifsError (usage) before writing anything when stdout is a terminal and no file is given.
 */
export async function exportCommand(
  stores: readonly Store[],
  ref: string,
  target: ExportTarget,
): Promise<TarSummary> {
  if (target.file === null && target.stdout.isTTY === true) {
    throw new CrifsError("usage", "cannot write a tar archive to a terminal", {
      remedy: "pass -o FILE.tar, or redirect stdout (crifs export ID > root.tar)",
    });
  }
  if (target.file === "") checkArchivePath("");
  const final = target.file === null ? null : resolve(target.file);
  if (final !== null) checkArchivePath(final);
  const view = exportView(stores, ref);
  if (final !== null) checkArchiveOutside(final, view.layers);
  const options = {
    onShrunk: (e: { hostPath: string }) =>
      target.warn(
        `crifs: ${terminalSafe(e.hostPath)}: file shrank while it was read: its tail is zeros in the archive`,
      ),
  };
  const warnSockets = (s: TarSummary) => {
    if (s.sockets > 0) target.warn(`crifs: ${s.sockets} socket(s) left out: tar has no type for them`);
    return s;
  };
  if (final === null) return warnSockets(await writeTar(mergedEntries(view), target.stdout, options));
  const partial = `${final}.crifs-partial-${process.pid}`;
  let out: Writable;
  try {
    out = createWriteStream(partial, { flags: "wx" });
    await new Promise<void>((ok, fail) => {
      out.once("open", () => ok());
      out.once("error", fail);
    });
  } catch (err) {
    throw archiveWriteError(err, final, "create the archive");
  }
  try {
    const summary = await writeTar(mergedEntries(view), out, options);
    const fd = openSync(partial, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, final);
    return warnSockets(summary);
  } catch (err) {
    rmSync(partial, { force: true });
    throw archiveWriteError(err, final);
  }
}
