// cli/commands/diff.ts — `crifs diff <container>`: what the container changed against its image, one line per
// path ("A /data/new.txt", "C /etc", "D /usr"), as `docker diff` and `podman diff` print it, read from its
// upper dir and the image's layers with nothing mounted (the daemon may be down). The rules are the
// runtime's own (overlay/diff-changes.ts; the adapter says which): docker's for docker and containerd
// (which has no diff), podman's for podman and CRI-O. Paths in the lines are terminal-safe; JSON keeps them
// exact (docs/json.md#diff).

import { CrifsError } from "../../errors.js";
import { checkLayersInRoot } from "../../fs/layers-in-root.js";
import { type ContainerView, containerView } from "../../links/container-view.js";
import type { Store } from "../../model/store.js";
import { type Change, diffChanges } from "../../overlay/diff-changes.js";
import { adapterFor } from "../../runtimes/index.js";
import { type OutputFormat, renderJsonStream, renderYamlStream } from "../render/format.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { resolveRef } from "../resolve-ref.js";

/** The changes of container `ref` in the runtime's own rules, as they are found (a generator). */
export function containerChanges(stores: readonly Store[], ref: string): Generator<Change> {
  const t = resolveRef(stores, ref, ["container"]);
  if (t.type !== "container") throw new Error(`resolveRef returned a ${t.type} for kind container`);
  const view: ContainerView = containerView(t.store, t.container);
  checkLayersInRoot(t.store.location.root, view.layers);
  const convention = adapterFor(t.store.location.runtime)?.diffConvention;
  return diffChanges(view, {
    rules: convention?.rules ?? "merged",
    hidden: convention?.hidden ?? [],
    hasUpper: view.isUpper(0),
  });
}

function* lines(changes: Iterable<Change>): Generator<string> {
  let chunk = "";
  for (const c of changes) {
    // a name cannot forge a line or move the cursor
    chunk += `${c.kind} ${terminalSafe(c.path)}\n`;
    if (chunk.length >= 1 << 16) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
}

/** `crifs diff`: the text to write, as chunks (bounded memory: a diff of millions is never one string). */
export function diffCommand(stores: readonly Store[], ref: string, output: OutputFormat): Iterable<string> {
  const changes = containerChanges(stores, ref);
  switch (output) {
    case "json":
      return renderJsonStream(changes);
    case "yaml":
      return renderYamlStream(changes);
    case "tree":
      throw new CrifsError("usage", "diff has no tree output", { remedy: "use -o table, json or yaml" });
    case "table":
      return lines(changes);
  }
}
