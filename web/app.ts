// web/app.ts — the page of `crifs web` and `crifs serve`'s /web/ (issue 20 part 1), bundled by
// scripts/bundle.mjs into dist/src/web/assets/app.js. It reads /web/api/view (the last scan's stores,
// snapshots, du and doctor JSON) and draws, per store and namespace: the snapshot/layer graph laid out by
// dagre (committed, active, view; leaked and broken marked; a click fetches why from the server), a treemap of
// du (category → image → layer: web/treemap.ts) by d3-hierarchy whose leaves add up to du's total, the findings with their remedy and
// the repair plan as commands to run by hand. Every name is set as text (textContent): never parsed as HTML.
// Numbers the test reads are in data-* attributes.

import dagre from "@dagrejs/dagre";
import { el, human, svgEl } from "./dom.js";
import { type Du, drawTreemap } from "./treemap.js";

interface SnapshotRow {
  runtime: string;
  namespace?: string;
  snapshotter: string;
  key: string;
  parent: string | null;
  kind: string;
  id: string;
  path: string;
  [k: string]: unknown;
}
interface FindingRow {
  check: string;
  severity: string;
  subject: string;
  path: string;
  bytes: number | null;
  message: string;
  remedy: string;
}
interface View {
  stores: { runtime: string; root: string }[];
  snapshots: SnapshotRow[];
  du: Du | Du[];
  doctor: { findings: FindingRow[] };
}

/** Above this many nodes, linear chains are drawn as one node; the rest beyond it are not drawn. */
const MAX_NODES = 400;

const token = new URLSearchParams(location.hash.slice(1)).get("token");

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, token === null ? {} : { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.text()).trim()}`);
  return (await r.json()) as T;
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function dirOf(path: string): string {
  return path.endsWith("/fs") ? path.slice(0, -3) : path;
}

/** The checks whose findings are dirs no record names: drawn as leaked nodes of their store's graph. */
const LEAKED_CHECKS = /^orphan-(snapshot|layer)-dir$/;

interface GNode {
  id: string;
  label: string;
  kind: string;
  members: SnapshotRow[];
  leaked?: FindingRow;
  broken: FindingRow[];
}

function setStatus(s: string): void {
  (document.getElementById("status") as HTMLElement).textContent = s;
}

function main(view: View): void {
  const dus = Array.isArray(view.du) ? view.du : [view.du];
  const select = document.getElementById("view") as HTMLSelectElement;
  const choices: { store: View["stores"][number]; ns: string }[] = [];
  for (const store of view.stores) {
    const rows = view.snapshots.filter((r) => r.runtime === store.runtime && under(r.path, store.root));
    const namespaces = [...new Set(rows.map((r) => r.namespace ?? ""))].sort();
    if (namespaces.length === 0) namespaces.push("");
    for (const ns of namespaces) choices.push({ store, ns });
  }
  for (const [i, c] of choices.entries()) {
    const o = el("option", `${c.store.runtime} ${c.store.root}${c.ns === "" ? "" : ` · ${c.ns}`}`);
    o.value = String(i);
    o.dataset.ns = c.ns;
    select.append(o);
  }
  const show = () => {
    const c = choices[Number(select.value)];
    if (c === undefined) return;
    const findings = view.doctor.findings.filter(
      (f) => view.stores.length === 1 || under(f.path, c.store.root),
    );
    drawGraph(view, c.store, c.ns, findings);
    const du = dus.find((d) => d.root === c.store.root) ?? dus[0];
    if (du !== undefined) drawTreemap(du);
    drawFindings(findings);
    drawPlan(c.store, findings);
    setStatus(`${view.snapshots.length} snapshots, ${view.doctor.findings.length} findings`);
    document.body.dataset.ready = "true";
  };
  select.addEventListener("change", show);
  show();
}

function drawGraph(view: View, store: View["stores"][number], ns: string, findings: FindingRow[]): void {
  const rows = view.snapshots.filter(
    (r) => r.runtime === store.runtime && under(r.path, store.root) && (r.namespace ?? "") === ns,
  );
  const ref = (r: { snapshotter: string; key: string }) => `${r.snapshotter}\u0000${r.key}`;
  const byRef = new Map(rows.map((r) => [ref(r), r]));
  const children = new Map<string, SnapshotRow[]>();
  for (const r of rows) {
    if (r.parent === null) continue;
    const p = ref({ snapshotter: r.snapshotter, key: r.parent });
    children.set(p, [...(children.get(p) ?? []), r]);
  }
  const brokenOf = (r: SnapshotRow) =>
    findings.filter(
      (f) =>
        !LEAKED_CHECKS.test(f.check) &&
        (f.path === r.path ||
          under(f.path, dirOf(r.path)) ||
          f.subject.endsWith(`/${r.snapshotter}/${r.key}`) ||
          f.subject.endsWith(` ${r.key}`)),
    );
  const nodes: GNode[] = [];
  const nodeOf = new Map<string, GNode>();
  const collapse = rows.length > MAX_NODES;
  const isLinear = (r: SnapshotRow) =>
    collapse && (children.get(ref(r))?.length ?? 0) === 1 && brokenOf(r).length === 0;
  for (const r of rows) {
    if (nodeOf.has(ref(r))) continue;
    const parent =
      r.parent === null ? undefined : byRef.get(ref({ snapshotter: r.snapshotter, key: r.parent }));
    // a run starts where the parent is not a one-child link of the same run
    if (parent !== undefined && isLinear(parent) && brokenOf(r).length === 0) continue;
    const members = [r];
    let cur = r;
    while (isLinear(cur)) {
      const next = (children.get(ref(cur)) as SnapshotRow[])[0] as SnapshotRow;
      if (brokenOf(next).length > 0) break;
      members.push(next);
      cur = next;
    }
    const n: GNode = {
      id: `n${nodes.length}`,
      label: members.length === 1 ? r.key : `${members.length} snapshots: ${r.key} … ${cur.key}`,
      kind: members.length === 1 ? r.kind : "collapsed",
      members,
      broken: members.flatMap(brokenOf),
    };
    nodes.push(n);
    for (const m of members) nodeOf.set(ref(m), n);
  }
  // rows a run skipped but no run took (a parent cycle): a node each
  for (const r of rows) {
    if (nodeOf.has(ref(r))) continue;
    const n: GNode = {
      id: `n${nodes.length}`,
      label: r.key,
      kind: r.kind,
      members: [r],
      broken: brokenOf(r),
    };
    nodes.push(n);
    nodeOf.set(ref(r), n);
  }
  for (const f of findings) {
    if (!LEAKED_CHECKS.test(f.check) || !under(f.path, store.root)) continue;
    nodes.push({
      id: `n${nodes.length}`,
      label: f.subject,
      kind: "leaked",
      members: [],
      leaked: f,
      broken: [],
    });
  }
  const drawn = nodes.slice(0, MAX_NODES);
  const note = document.getElementById("graph-note") as HTMLElement;
  note.textContent = `${rows.length} snapshots in ${nodes.length} nodes${collapse ? " (linear chains drawn as one node)" : ""}${drawn.length < nodes.length ? `; ${nodes.length - drawn.length} nodes not drawn` : ""}`;

  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 12, ranksep: 30, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const short = (n: GNode) => (n.label.length > 40 ? `${n.label.slice(0, 39)}…` : n.label);
  const label = (n: GNode) => (n.leaked === undefined ? short(n) : `${short(n)} (${human(n.leaked.bytes)})`);
  for (const n of drawn) g.setNode(n.id, { width: Math.max(60, label(n).length * 6 + 10), height: 22 });
  const drawnIds = new Set(drawn.map((n) => n.id));
  for (const n of drawn) {
    const first = n.members[0];
    if (first?.parent == null) continue;
    const p = nodeOf.get(ref({ snapshotter: first.snapshotter, key: first.parent }));
    if (p !== undefined && drawnIds.has(p.id) && p !== n) g.setEdge(p.id, n.id);
  }
  const t0 = performance.now();
  dagre.layout(g);
  const layoutMs = performance.now() - t0;

  const svg = document.getElementById("graph") as unknown as SVGSVGElement;
  svg.replaceChildren();
  const size = g.graph();
  svg.setAttribute("width", String(size.width ?? 100));
  svg.setAttribute("height", String(size.height ?? 100));
  for (const e of g.edges()) {
    const pts = g.edge(e).points ?? [];
    svg.append(
      svgEl("polyline", {
        class: "edge",
        points: pts.map((p: { x: number; y: number }) => `${p.x},${p.y}`).join(" "),
      }),
    );
  }
  for (const n of drawn) {
    const box = g.node(n.id);
    const classes = ["node", n.kind];
    if (n.broken.length > 0) classes.push("broken");
    const gEl = svgEl("g", {
      class: classes.join(" "),
      transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})`,
    });
    const d = (gEl as unknown as HTMLElement).dataset;
    d.kind = n.kind;
    if (n.members.length === 1) d.key = (n.members[0] as SnapshotRow).key;
    else if (n.members.length > 1) d.members = JSON.stringify(n.members.map((m) => m.key));
    if (n.leaked !== undefined) {
      d.leaked = "true";
      d.path = n.leaked.path;
      d.bytes = String(n.leaked.bytes ?? 0);
    }
    if (n.broken.length > 0) d.broken = n.broken.map((f) => f.check).join(" ");
    gEl.append(svgEl("rect", { width: box.width, height: box.height, rx: 3 }));
    const text = svgEl("text", { x: 5, y: 15 });
    text.textContent = label(n);
    const title = svgEl("title");
    title.textContent = n.label;
    gEl.append(text, title);
    gEl.addEventListener("click", () => void showDetail(store, ns, n, byRef));
    svg.append(gEl);
  }
  svg.dataset.nodes = String(drawn.length);
  svg.dataset.snapshots = String(rows.length);
  svg.dataset.layoutMs = layoutMs.toFixed(1);
}

async function showDetail(
  store: View["stores"][number],
  ns: string,
  n: GNode,
  byRef: Map<string, SnapshotRow>,
): Promise<void> {
  const box = document.getElementById("detail") as HTMLElement;
  box.replaceChildren();
  if (n.leaked !== undefined) {
    box.append(el("h3", "leaked"), el("pre", JSON.stringify(n.leaked, null, 2)));
    return;
  }
  const r = n.members[n.members.length - 1] as SnapshotRow;
  box.append(el("h3", "inspect"), el("pre", JSON.stringify(n.members.length === 1 ? r : n.members, null, 2)));
  // the overlay mount containerd would hand out for it: its own dir on top (upper when active), parents below
  const lower: string[] = [];
  let p = r.parent === null ? undefined : byRef.get(`${r.snapshotter}\u0000${r.parent}`);
  for (let i = 0; p !== undefined && i < 1000; i++) {
    lower.push(p.path);
    p = p.parent === null ? undefined : byRef.get(`${p.snapshotter}\u0000${p.parent}`);
  }
  const mount =
    r.kind === "active"
      ? `overlay lowerdir=${lower.join(":")},upperdir=${r.path},workdir=${String(r.workPath ?? "")}`
      : `overlay lowerdir=${[r.path, ...lower].join(":")} (read-only)`;
  box.append(el("h3", "mounts"), el("pre", mount));
  for (const f of n.broken)
    box.append(el("h3", `finding: ${f.check}`), el("pre", `${f.message}\n${f.remedy}`));
  const why = el("pre", "…");
  box.append(el("h3", "why"), why);
  const q = new URLSearchParams({ runtime: store.runtime, ns, snapshotter: r.snapshotter, key: r.key });
  try {
    const w = await getJson<{ alive: boolean; chains: { kind: string; name: string }[][] }>(
      `/web/api/why?${q}`,
    );
    why.textContent = w.alive
      ? w.chains.map((c) => c.map((s) => `${s.kind} ${s.name}`).join(" → ")).join("\n")
      : "nothing keeps it: it is garbage";
  } catch (err) {
    why.textContent = String(err);
  }
}

function drawFindings(findings: FindingRow[]): void {
  const body = (document.getElementById("findings") as HTMLTableElement)
    .tBodies[0] as HTMLTableSectionElement;
  body.replaceChildren();
  if (findings.length === 0) {
    const td = el("td", "no finding");
    td.colSpan = 6;
    const tr = el("tr");
    tr.append(td);
    body.append(tr);
  }
  for (const f of findings) {
    const tr = el("tr");
    tr.dataset.check = f.check;
    tr.dataset.bytes = String(f.bytes ?? "");
    const sev = el("td", f.severity);
    sev.className = f.severity;
    tr.append(
      sev,
      el("td", f.check),
      el("td", f.subject),
      el("td", human(f.bytes)),
      el("td", f.message),
      el("td", f.remedy),
    );
    body.append(tr);
  }
}

interface PlanJson {
  plans: {
    runtime: string;
    root: string;
    bytes: number;
    actions: {
      seq: number;
      kind: string;
      check: string;
      subject: string;
      path: string;
      why: string;
      bytes: number | null;
    }[];
    unmended: { check: string; subject: string; path: string; reason?: string; remedy?: string }[];
  }[];
  command?: string;
}

/** The plan `crifs repair` would carry out, made by the server now (a dry run); the commands until it comes. */
function drawPlan(store: View["stores"][number], findings: FindingRow[]): void {
  const box = document.getElementById("plan") as HTMLElement;
  const checks = [...new Set(findings.map((f) => f.check))];
  const dry = `crifs --runtime ${store.runtime} --root ${store.root} repair`;
  box.textContent =
    checks.length === 0
      ? "nothing to repair"
      : `${dry}    # the plan (a dry run); add --apply after reading it`;
  delete box.dataset.ready;
  const button = document.getElementById("make-plan") as HTMLButtonElement;
  button.disabled = checks.length === 0;
  // asked for, not made on every load: a plan is a doctor run, and under serve it runs in the server's thread
  button.onclick = () => {
    button.disabled = true;
    box.textContent += "\n…";
    makePlan(store, dry, box).finally(() => {
      button.disabled = false;
    });
  };
}

function makePlan(store: View["stores"][number], dry: string, box: HTMLElement): Promise<void> {
  return getJson<PlanJson>("/web/api/plan")
    .then((p) => {
      const plan = p.plans.find((x) => x.root === store.root && x.runtime === store.runtime);
      const lines = [`${dry}    # the plan (a dry run); add --apply after reading it`];
      if (plan === undefined) lines.push("(no plan for this store)");
      else {
        for (const a of plan.actions)
          lines.push(`${a.seq}. ${a.kind} ${a.path} (${human(a.bytes)}): ${a.check}: ${a.why}`);
        for (const u of plan.unmended)
          lines.push(`not mended: ${u.check} ${u.subject}: ${u.reason ?? u.remedy ?? ""}`);
        lines.push(`${plan.actions.length} action(s), ${human(plan.bytes)} freed`);
        box.dataset.actions = String(plan.actions.length);
        box.dataset.bytes = String(plan.bytes);
      }
      box.textContent = lines.join("\n");
      box.dataset.ready = "true";
    })
    .catch((err: unknown) => {
      box.textContent = `${dry}    # ${String(err)}`;
    });
}

getJson<View>("/web/api/view")
  .then(main)
  .catch((err: unknown) => setStatus(String(err)));
