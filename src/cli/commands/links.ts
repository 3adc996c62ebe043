// cli/commands/links.ts — `crifs links [<container>]`: the broken symlinks of each container's merged root
// (resolved inside the container, never on the host); with --shared also hard links that span layers and
// identical files in different layers with the bytes sharing them would save. All containers when none is
// named. --shared is a flag because it costs another order of magnitude: an lstat of every file of every
// layer and a read of every file whose size another layer also has, where broken links need only each
// layer's symlinks (the question asked in an incident: "why does the container say no such file?").

import type { BrokenLinkRows } from "../../links/broken-link-rows.js";
import { type LinkTarget, mergeLinkFindings, readLinkFindingsInBatches } from "../../links/link-batches.js";
import { type LinkFindings, linkReportOf, readLinkFindings } from "../../links/link-report.js";
import type { Store } from "../../model/store.js";
import { ByteChunks } from "../render/byte-chunks.js";
import { displayWidth, humanBytes, render, renderJson, renderTable } from "../render/format.js";
import { isProgressShown, progress } from "../render/progress.js";
import { blanks, renderTableChunks } from "../render/table-chunks.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { resolveRef } from "../resolve-ref.js";
import { type GlobalOptions, noteReadErrors } from "../stores.js";

type Target = LinkTarget;

/** The containers `crifs links [<container>]` looks at: the one named, or every container of the stores. */
function linkTargets(stores: readonly Store[], ref: string | undefined): Target[] {
  if (ref === undefined)
    return stores.flatMap((store) => store.containers.map((container) => ({ store, container })));
  const t = resolveRef(stores, ref, ["container"]);
  if (t.type !== "container") throw new Error(`resolveRef returned a ${t.type} for kind container`);
  return [{ store: t.store, container: t.container }];
}

/** What `crifs links` found; linkReportOf gives the JSON contract's object (docs/json.md#links). */
export async function linksData(
  stores: readonly Store[],
  ref: string | undefined,
  options: { brokenOnly: boolean },
): Promise<LinkFindings> {
  const targets = linkTargets(stores, ref);
  // the layers' walk reports its progress (the line is there only on a terminal)
  const bar = progress(options.brokenOnly ? "links: reading layers" : "links --shared: reading layers");
  try {
    return await readLinkFindings(targets, { brokenOnly: options.brokenOnly, scan: { progress: bar } });
  } finally {
    bar.done();
  }
}

function shortKey(key: string): string {
  return key.startsWith("sha256:") ? key.slice(7, 19) : key;
}

const brokenHead = ["namespace", "container", "path", "target", "reason", "layer", "host-only"];

/** The table's cells as they are printed: terminal-safe. */
const safe = (s: string) => terminalSafe(s);
const layerCell = (p: BrokenLinkRows, i: number) =>
  safe(`${p.layerId(i)}${p.isInLowerLayer(i) ? "" : " (upper)"}`);

/**
 * The broken links' column widths: each column's widest cell (display width) among the header and the first
 * `limit` rows of `parts`. A path or target that is printable ASCII (the native rows say so) is as wide as it
 * is long, so neither is measured nor escaped.
 */
function brokenWidths(parts: readonly BrokenLinkRows[], limit = Number.POSITIVE_INFINITY): number[] {
  const widths = brokenHead.map((h) => h.length);
  const grow = (col: number, w: number) => {
    if (w > (widths[col] as number)) widths[col] = w;
  };
  let rows = 0;
  for (const p of parts) {
    if (rows >= limit) break;
    grow(0, displayWidth(safe(p.namespace)));
    grow(1, displayWidth(safe(p.container)));
    const seenLayers = new Set<number>();
    for (let i = 0; i < p.length && rows < limit; i++, rows++) {
      grow(2, p.isPlainPath(i) ? p.plainPathLength(i) : displayWidth(safe(p.path(i))));
      grow(3, p.isPlainTarget(i) ? p.plainTargetLength(i) : displayWidth(safe(p.target(i))));
      grow(4, displayWidth(safe(p.reason(i))));
      const layer = p.layer(i);
      if (!seenLayers.has(layer)) {
        seenLayers.add(layer);
        grow(5, displayWidth(layerCell(p, i)));
      }
    }
  }
  return widths;
}

/**
 * The broken links' rows laid out in `widths` (with the header line first when `title`), in chunks of 1000
 * lines: renderTableChunks's very text when the widths are all the rows' (header in capitals, columns three
 * spaces apart, each padded to its width, every cell through terminalSafe, trailing blanks trimmed; a cell
 * wider than its column pushes the rest of its row right), made without a cell array per row. Per row only
 * the path and the target vary: the other cells are the same for every row of a container or a layer and
 * are laid out once.
 */
function* brokenRows(
  parts: readonly BrokenLinkRows[],
  widths: readonly number[],
  title: boolean,
): Generator<Uint8Array> {
  // a cell's text is written, then the blanks that pad it to its column and the gap after it
  const pad = (col: number, width: number) => Math.max(0, (widths[col] as number) - width) + 3;
  const cell = (col: number, s: string, width = displayWidth(s)) => `${s}${blanks(pad(col, width))}`;
  const out = new ByteChunks();
  if (title) {
    const head = brokenHead.map((h) => h.toUpperCase());
    out.text(head.map((t, col) => (col === head.length - 1 ? t : cell(col, t))).join(""));
    out.endLine();
  }
  /** A path or target cell and its padding: `plainLength` ≥ 0 when the text is printable ASCII (as is). */
  const put = (col: number, text: string, plainLength: number) => {
    if (plainLength >= 0) {
      out.text(text, true);
      out.blanks(pad(col, plainLength));
    } else {
      const shown = safe(text);
      out.text(shown);
      out.blanks(pad(col, displayWidth(shown)));
    }
  };
  let lines = title ? 1 : 0;
  for (const p of parts) {
    const prefix = `${cell(0, safe(p.namespace))}${cell(1, safe(p.container))}`;
    // reason, layer and host-only: the end of a row, per (reason, layer, host-only); never all blank (a reason)
    const ends = new Map<string, string>();
    for (let i = 0; i < p.length; i++) {
      out.text(prefix);
      put(2, p.path(i), p.isPlainPath(i) ? p.plainPathLength(i) : -1);
      put(3, p.target(i), p.isPlainTarget(i) ? p.plainTargetLength(i) : -1);
      const reason = p.reason(i);
      const hostOnly = p.isHostOnly(i);
      const key = `${reason} ${p.layer(i)} ${hostOnly}`;
      let end = ends.get(key);
      if (end === undefined) {
        end = `${cell(4, safe(reason))}${cell(5, layerCell(p, i))}${hostOnly ? "yes" : ""}`.trimEnd();
        ends.set(key, end);
      }
      out.text(end);
      out.newline();
      if (++lines >= 1000) {
        yield out.take();
        lines = 0;
      }
    }
  }
  if (out.length > 0) yield out.take();
}

/**
 * renderJsonChunks(report, "brokenLinks")'s very text, the broken links made one at a time from the rows
 * (never all of them as objects at once).
 */
function* jsonChunks(r: LinkFindings): Generator<string> {
  const report = linkReportOf({ ...r, broken: [] });
  if (r.brokenCount === 0) {
    yield renderJson(report);
    return;
  }
  // the text of the report without the array, with a marker where the array goes: exactly where
  // JSON.stringify puts it (key order kept), indented as it indents
  const marker = "\u0000crifs-items\u0000";
  const outer = renderJson({ ...report, brokenLinks: marker });
  const at = outer.indexOf(JSON.stringify(marker));
  const indent = outer.slice(outer.lastIndexOf("\n", at) + 1, at).replace(/[^ ].*$/, "");
  yield `${outer.slice(0, at)}[\n`;
  const gap = `${indent}  `;
  let chunk = "";
  let n = 0;
  for (const p of r.broken) {
    for (let i = 0; i < p.length; i++) {
      chunk += `${n === 0 ? "" : ",\n"}${gap}${JSON.stringify(p.get(i), null, 2).replaceAll("\n", `\n${gap}`)}`;
      if (++n % 500 === 0) {
        yield chunk;
        chunk = "";
      }
    }
  }
  yield `${chunk}\n${indent}]${outer.slice(at + JSON.stringify(marker).length)}`;
}

function* duplicateRows(r: LinkFindings): Generator<string[]> {
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
export function* linksTable(r: LinkFindings): Generator<string | Uint8Array> {
  yield `# broken symlinks: ${r.brokenCount} in ${r.containers.length} container(s)\n`;
  if (r.brokenCount > 0) yield* brokenRows(r.broken, brokenWidths(r.broken), true);
  yield* tableRest(r);
}

/**
 * Rows held before the broken links' table is laid out. A run that finds at most this many prints the table
 * it always printed, widths from every row, once it ends; past them the rows are written as each batch of
 * containers is judged, in the widths of the header and these first rows (a wider cell later pushes the rest
 * of its row right), and their count comes after them.
 */
export const FIRST_ROWS = 200;

/** The table view of `batches` (readLinkFindingsInBatches of `targets`): see FIRST_ROWS. */
async function* streamedTable(
  targets: readonly Target[],
  batches: AsyncIterable<LinkFindings>,
  /** --shared: every container at once, shared files too, once the broken links are written (the table's
   * rest is its, and so is the whole table when it has at most FIRST_ROWS rows: today's very text). */
  whole?: () => Promise<LinkFindings>,
): AsyncGenerator<string | Uint8Array> {
  const seen: Omit<LinkFindings, "broken">[] = [];
  let held: BrokenLinkRows[] = [];
  let heldRows = 0;
  let widths: number[] | null = null;
  for await (const f of batches) {
    const { broken, ...rest } = f;
    seen.push(rest);
    if (widths !== null) {
      yield* brokenRows(broken, widths, false);
      continue;
    }
    held.push(...broken);
    heldRows += f.brokenCount;
    if (heldRows <= FIRST_ROWS) continue;
    widths = brokenWidths(held, FIRST_ROWS);
    yield "# broken symlinks, written as they are found (their count follows them):\n";
    yield* brokenRows(held, widths, true);
    held = [];
  }
  const all = whole === undefined ? { ...mergeLinkFindings(targets, seen), broken: held } : await whole();
  if (widths === null) {
    yield* linksTable(all);
    return;
  }
  yield `# broken symlinks: ${all.brokenCount} in ${all.containers.length} container(s)\n`;
  yield* tableRest(all);
}

/** The table view after the broken links: links into mounts, shared files (--shared), what was skipped. */
function* tableRest(r: LinkFindings): Generator<string | Uint8Array> {
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
): Promise<Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>> {
  noteReadErrors(stores);
  if (g.output === "table") {
    // rows as they are found: the JSON's `containers` (each with its broken count) come before its
    // `brokenLinks`, so -o json and yaml still print once every container is judged. With --shared the
    // broken links come first, then the shared files of every layer (one more judging of the links, from
    // the layers already read: a small part of the shared walk)
    const targets = linkTargets(stores, ref);
    return streamedTable(
      targets,
      readLinkFindingsInBatches(
        targets,
        () => {
          const bar = progress("links: reading layers");
          return { scan: { progress: bar }, done: () => bar.done() };
        },
        { readAhead: !isProgressShown() },
      ),
      options.shared ? () => linksData(stores, ref, { brokenOnly: false }) : undefined,
    );
  }
  const data = await linksData(stores, ref, { brokenOnly: !options.shared });
  if (g.output === "json") return jsonChunks(data);
  return [render(g.output, linkReportOf(data), {})];
}
