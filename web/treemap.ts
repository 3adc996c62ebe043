// web/treemap.ts — the page's treemap of `crifs du` (issue 20 part 1): category → image → layer, laid out by
// d3-hierarchy. du counts every byte once, and so does the treemap: each snapshot dir (du's `layers`) is one
// leaf, under its category; an image's own layers (image-layers-unique) are grouped under the image, the
// layers several images share (image-layers-shared) under a node of the images that share them (never under
// each of them); a layer no image uses, a container's layer, an active snapshot, a view and a leaked dir are
// a leaf each under their category; the other categories are one leaf each. Beyond MAX_CHILDREN children a
// node keeps its largest and folds the rest into one leaf ("N more layers"): a 300-image store draws a few
// thousand rectangles at most. Leaves add up to du's total; numbers the test reads are in data-* attributes.

import { hierarchy, treemap, treemapSquarify } from "d3-hierarchy";
import { human, svgEl } from "./dom.js";

export interface DuLayer {
  category: string;
  namespace: string;
  snapshotter: string;
  key: string;
  kind: string;
  path: string;
  images: string[];
  allocatedBytes: number;
}
export interface Du {
  root: string;
  total: { allocatedBytes: number };
  categories: { category: string; allocatedBytes: number }[];
  images: { namespace: string; names: string[]; configDigest: string | null }[];
  containers: { namespace: string; id: string; snapshotKey: string; allocatedBytes: number }[];
  layers?: DuLayer[];
}

/** Children a node shows at most; the smallest beyond are one leaf. */
export const MAX_CHILDREN = 50;

interface TNode {
  name: string;
  bytes?: number;
  children?: TNode[];
  /** A layer leaf's du entry. */
  layer?: DuLayer;
  /** A group's images (the image, or the images that share its layers) and namespace. */
  images?: string[];
  ns?: string;
  /** A folded leaf: how many it stands for. */
  folded?: number;
}

const sizeOf = (n: TNode): number =>
  n.children === undefined ? (n.bytes ?? 0) : n.children.reduce((a, c) => a + sizeOf(c), 0);

/** `parts` largest first; beyond MAX_CHILDREN the smallest are one leaf "N more <what>" of their bytes. */
function capped(parts: TNode[], what: string): TNode[] {
  const sorted = parts
    .map((p) => ({ p, size: sizeOf(p) }))
    .sort((a, b) => b.size - a.size)
    .map((x) => x.p);
  if (sorted.length <= MAX_CHILDREN) return sorted;
  const rest = sorted.slice(MAX_CHILDREN - 1);
  return [
    ...sorted.slice(0, MAX_CHILDREN - 1),
    {
      name: `${rest.length} more ${what}`,
      bytes: rest.reduce((a, x) => a + sizeOf(x), 0),
      folded: rest.length,
    },
  ];
}

function layerLeaf(l: DuLayer, name = l.key): TNode {
  return { name, bytes: l.allocatedBytes, layer: l };
}

/** The images that hold a shared layer, as its group's name: the first two and how many more. */
function sharedName(images: readonly string[]): string {
  const shown = images.slice(0, 2).join(", ");
  return images.length > 2 ? `${shown} and ${images.length - 2} more` : shown;
}

/** Layer leaves grouped by the images that hold them (one image: unique; several: the set that shares). */
function byImages(layers: readonly DuLayer[]): TNode[] {
  const groups = new Map<string, DuLayer[]>();
  for (const l of layers) {
    const k = `${l.namespace}\u0000${l.images.join("\u0000")}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  return [...groups.values()].map((ls) => {
    const first = ls[0] as DuLayer;
    const name = first.images.length === 1 ? (first.images[0] as string) : sharedName(first.images);
    return {
      name,
      images: first.images,
      ns: first.namespace,
      children: capped(
        ls.map((l) => layerLeaf(l)),
        "layers",
      ),
    };
  });
}

/** du's categories as the treemap's tree (see the header); leaves add up to the total. */
export function treemapData(du: Du): TNode {
  const layers = (du.layers ?? []).filter((l) => l.allocatedBytes > 0);
  const owner = new Map(du.containers.map((c) => [`${c.namespace}\u0000${c.snapshotKey}`, c.id]));
  const children: TNode[] = [];
  for (const c of du.categories) {
    if (c.allocatedBytes <= 0) continue;
    const mine = layers.filter((l) => l.category === c.category);
    let parts: TNode[];
    if (c.category === "image-layers-unique") parts = capped(byImages(mine), "images");
    else if (c.category === "image-layers-shared") parts = capped(byImages(mine), "image sets");
    else if (c.category === "container-layers")
      parts = capped(
        mine.map((l) => layerLeaf(l, owner.get(`${l.namespace}\u0000${l.key}`) ?? l.key)),
        "layers",
      );
    else
      parts = capped(
        mine.map((l) => layerLeaf(l)),
        c.category === "leaked" ? "dirs" : "layers",
      );
    const sum = parts.reduce((a, x) => a + sizeOf(x), 0);
    if (parts.length === 0 || sum > c.allocatedBytes)
      children.push({ name: c.category, bytes: c.allocatedBytes });
    else {
      if (c.allocatedBytes > sum) parts.push({ name: `${c.category} (rest)`, bytes: c.allocatedBytes - sum });
      children.push({ name: c.category, children: parts });
    }
  }
  const sum = du.categories.reduce((a, c) => a + Math.max(0, c.allocatedBytes), 0);
  if (du.total.allocatedBytes > sum)
    children.push({ name: "unaccounted", bytes: du.total.allocatedBytes - sum });
  return { name: du.root, children };
}

const palette = [
  "#8dd3c7",
  "#ffffb3",
  "#bebada",
  "#fb8072",
  "#80b1d3",
  "#fdb462",
  "#b3de69",
  "#fccde5",
  "#d9d9d9",
];

export function drawTreemap(du: Du): void {
  const width = 900;
  const height = 420;
  const root = hierarchy<TNode>(treemapData(du))
    .sum((d) => (d.children === undefined ? (d.bytes ?? 0) : 0))
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
  const laid = treemap<TNode>().tile(treemapSquarify).size([width, height]).paddingInner(1)(root);
  const svg = document.getElementById("treemap") as unknown as SVGSVGElement;
  svg.replaceChildren();
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.dataset.total = String(du.total.allocatedBytes);
  const top = root.children ?? [];
  const box = (n: typeof laid) => ({
    x: n.x0,
    y: n.y0,
    width: Math.max(0, n.x1 - n.x0),
    height: Math.max(0, n.y1 - n.y0),
  });
  const catOf = (n: typeof laid) => (n.depth <= 1 ? n : (n.ancestors().find((a) => a.depth === 1) ?? n));
  for (const leaf of laid.leaves()) {
    const cat = catOf(leaf);
    const rect = svgEl("rect", {
      ...box(leaf),
      fill: palette[top.indexOf(cat) % palette.length] ?? "#ccc",
      class: "leaf",
    });
    const d = (rect as unknown as HTMLElement).dataset;
    d.bytes = String(leaf.value ?? 0);
    d.category = cat.data.name;
    d.name = leaf.data.name;
    const l = leaf.data.layer;
    if (l !== undefined) {
      d.key = l.key;
      d.ns = l.namespace;
      d.path = l.path;
      d.images = JSON.stringify(l.images);
    }
    if (leaf.depth === 3 && leaf.parent !== null) d.group = leaf.parent.data.name;
    if (leaf.data.folded !== undefined) d.folded = String(leaf.data.folded);
    const title = svgEl("title");
    const path = [...leaf.ancestors()]
      .reverse()
      .slice(1)
      .map((a) => a.data.name)
      .join(" → ");
    const shared = l !== undefined && l.images.length > 1 ? `\nshared by: ${l.images.join(", ")}` : "";
    title.textContent = `${path}: ${human(leaf.value ?? 0)}${l === undefined ? "" : `\n${l.path}`}${shared}`;
    rect.append(title);
    svg.append(rect);
    if (leaf.x1 - leaf.x0 > 60 && leaf.y1 - leaf.y0 > 14) {
      const t = svgEl("text", { x: leaf.x0 + 3, y: leaf.y0 + 12 });
      const label =
        leaf.depth === 3 && leaf.parent !== null
          ? `${leaf.parent.data.name}: ${leaf.data.name}`
          : leaf.data.name;
      t.textContent = `${label} ${human(leaf.value ?? 0)}`.slice(0, Math.floor((leaf.x1 - leaf.x0) / 6));
      svg.append(t);
    }
  }
  // the image (or shared-layer) groups: an outline each, outlined over the leaves (the CSS lets clicks and tooltips through)
  for (const g of laid.descendants()) {
    if (g.depth !== 2 || g.children === undefined) continue;
    const rect = svgEl("rect", { ...box(g), class: "group" });
    const d = (rect as unknown as HTMLElement).dataset;
    d.category = catOf(g).data.name;
    d.name = g.data.name;
    d.ns = g.data.ns ?? "";
    d.images = JSON.stringify(g.data.images ?? []);
    d.children = String(g.children.length);
    d.bytes = String(g.value ?? 0);
    svg.append(rect);
  }
  svg.dataset.leaves = String(laid.leaves().length);
  (document.getElementById("treemap-note") as HTMLElement).textContent =
    `${human(du.total.allocatedBytes)} allocated under ${du.root}, by category, image and layer (each byte once: a layer several images share is under image-layers-shared, in a box of the images that share it)`;
}
