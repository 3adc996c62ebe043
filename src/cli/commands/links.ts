// cli/commands/links.ts — `crifs links [<container>]`: the broken symlinks of each container's merged root
// (resolved inside the container, never on the host); with --shared also hard links that span layers and
// identical files in different layers with the bytes sharing them would save. All containers when none is
// named. --shared is a flag because it costs another order of magnitude: an lstat of every file of every
// layer and a read of every file whose size another layer also has, where broken links need only each
// layer's symlinks (the question asked in an incident: "why does the container say no such file?").

import { type LinkReport, readLinkReport } from "../../links/link-report.js";
import type { Container, Store } from "../../model/store.js";
import { humanBytes, render, renderJsonChunks, renderTable, renderTableChunks } from "../render/format.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { resolveRef } from "../resolve-ref.js";
import { type GlobalOptions, noteReadErrors } from "../stores.js";

/** JSON contract: docs/json.md#links. */
export async function linksData(
  stores: readonly Store[],
  ref: string | undefined,
  options: { brokenOnly: boolean },
): Promise<LinkReport> {
  let targets: { store: Store; container: Container }[];
  if (ref === undefined) {
    targets = stores.flatMap((store) => store.containers.map((container) => ({ store, container })));
  } else {
    const t = resolveRef(stores, ref, ["container"]);
    if (t.type !== "container") throw new Error(`resolveRef returned a ${t.type} for kind container`);
    targets = [{ store: t.store, container: t.container }];
  }
  return readLinkReport(targets, { brokenOnly: options.brokenOnly });
}

function shortKey(key: string): string {
  return key.startsWith("sha256:") ? key.slice(7, 19) : key;
}

function* brokenRows(r: LinkReport): Generator<string[]> {
  for (const b of r.brokenLinks)
    yield [
      b.namespace,
      b.container,
      b.path,
      b.target,
      b.reason,
      `${b.layer.id}${b.isInLowerLayer ? "" : " (upper)"}`,
      b.isHostOnly ? "yes" : "",
    ];
}

function* duplicateRows(r: LinkReport): Generator<string[]> {
  for (const d of r.duplicates)
    yield [
      humanBytes(d.savableBytes),
      humanBytes(d.size),
      String(d.copies),
      d.digest.slice(0, 12),
      String(new Set(d.names.map((n) => `${n.namespace}/${n.id}`)).size),
      [...new Set(d.names.map((n) => n.path))].join(","),
    ];
}

/** The table view, in chunks: the broken links' table (10^5 rows on a bad image) is never one string. */
function* table(r: LinkReport): Generator<string> {
  yield `# broken symlinks: ${r.brokenLinks.length} in ${r.containers.length} container(s)\n`;
  if (r.brokenLinks.length > 0) {
    yield* renderTableChunks(
      ["namespace", "container", "path", "target", "reason", "layer", "host-only"],
      () => brokenRows(r),
    );
  }
  const out: string[] = [];
  if (r.linksIntoMounts.length > 0) {
    out.push(
      `# links in or into runtime mounts (only the running container can tell): ${r.linksIntoMounts.length}`,
    );
    out.push(
      renderTable(
        ["namespace", "container", "path", "target", "mount"],
        r.linksIntoMounts.map((l) => [l.namespace, l.container, l.path, l.target, l.mountPoint]),
      ).trimEnd(),
    );
  }
  if (r.sharedFilesChecked) {
    // hard-link groups and duplicates stream too: 10^5 groups on a big store are never one string
    out.push(`# hard links across layers: ${r.hardLinkGroups.length}`);
    yield `${out.join("\n")}\n`;
    out.length = 0;
    let lines: string[] = [];
    for (const g of r.hardLinkGroups) {
      lines.push(`inode ${g.dev}:${g.ino} (${humanBytes(g.size)}, ${g.nlink} links)`);
      for (const n of g.names) lines.push(terminalSafe(`  ${n.namespace} ${n.id} ${n.path}`));
      if (lines.length >= 1000) {
        yield `${lines.join("\n")}\n`;
        lines = [];
      }
    }
    if (lines.length > 0) yield `${lines.join("\n")}\n`;
    yield `# identical files in different layers: ${r.duplicates.length} group(s), ${humanBytes(r.savableBytes)} savable with hard links or reflinks\n`;
    if (r.duplicates.length > 0) {
      // how many layers, not which: a group can span hundreds (every name is in -o json)
      yield* renderTableChunks(["savable", "size", "copies", "digest", "layers", "path"], () =>
        duplicateRows(r),
      );
    }
  }
  for (const s of r.skipped) out.push(`# skipped ${s.namespace}/${s.container}: ${s.reason}`);
  for (const e of r.errors) out.push(`# cannot read ${e.path}: ${e.message}`);
  const layers = new Set(r.containers.flatMap((c) => c.layers.map((l) => shortKey(l.key))));
  out.push(`# ${r.containers.length} container(s), ${layers.size} distinct layer(s) read once each`);
  yield `${out.join("\n")}\n`;
}

/** `crifs links`: the rendered report, in chunks to write as they come (always exit 0: links reports,
 * doctor judges). */
export async function linksCommand(
  stores: readonly Store[],
  g: GlobalOptions,
  ref: string | undefined,
  options: { shared: boolean },
): Promise<Iterable<string>> {
  noteReadErrors(stores);
  const data = await linksData(stores, ref, { brokenOnly: !options.shared });
  if (g.output === "table") return table(data);
  if (g.output === "json") return renderJsonChunks({ ...data }, "brokenLinks");
  return [render(g.output, data, {})];
}
