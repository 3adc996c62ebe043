// test/integration/web-big.ts — the web view of a 300-image store (called from web.suite.ts on the containerd
// bed): the bed's own view with its default namespace's snapshots made 300 images, and du's treemap of them,
// served to the page by playwright (the page's load, collapse, layout and treemap, not the server's). The graph
// collapses chains and draws at most 400 nodes; the treemap folds boxes past 50 children and its leaves still
// add up to du's total.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { DuLayerJson, PageNode, TreemapRect, ViewState } from "./web.suite.js";

interface DuJson {
  total: { allocatedBytes: number };
  categories: { category: string; allocatedBytes: number }[];
  layers: DuLayerJson[];
}

/** A made-up committed layer of `bytes` for the 300-image view (category and images set by the caller). */
function fakeLayer(key: string, bytes: number): DuLayerJson {
  return {
    category: "",
    namespace: "default",
    key,
    path: `/web-test/${key}`,
    images: [],
    allocatedBytes: bytes,
  };
}

export function bigViewTest(state: () => ViewState, OUT: string): void {
  test("a 300-image view stays quick: chains collapse, at most 400 nodes drawn, every snapshot in one, layout measured", async () => {
    // the bed's own view with its default namespace's snapshots made 300 images of 4 layers over 2 shared
    // base layers (the rows are the bed's, renamed): the page's load, collapse and layout, not the server's
    const real = (await (await fetch(`${state().url}api/view`)).json()) as {
      snapshots: { namespace?: string; key: string; parent: string | null; kind: string; path: string }[];
      du: unknown;
    };
    const proto = real.snapshots.find((r) => r.namespace === "default" && r.kind === "committed");
    assert.ok(proto !== undefined);
    const rows: (typeof real.snapshots)[number][] = [];
    // a path of its own each (under the root, named by no finding: the proto's findings are not theirs)
    const add = (key: string, parent: string | null) =>
      rows.push({ ...proto, key, parent, path: `${proto.path}-web-${key}` });
    add("base-0", null);
    add("base-1", "base-0");
    for (let i = 0; i < 300; i++) {
      add(`img-${i}-0`, "base-1");
      for (let l = 1; l < 4; l++) add(`img-${i}-${l}`, `img-${i}-${l - 1}`);
    }
    // and du's treemap of them: 300 images of 4 layers of their own over 2 base layers all of them share,
    // added to the real du (its categories and total grown by their bytes): drawn bounded, summing exactly
    const realDu = real.du as unknown as DuJson;
    const fake: DuLayerJson[] = [];
    const names = Array.from({ length: 300 }, (_, i) => `web.test/img-${String(i).padStart(3, "0")}:1`);
    for (let b = 0; b < 2; b++)
      fake.push({ ...fakeLayer(`base-${b}`, 1 << 20), category: "image-layers-shared", images: names });
    for (const [i, n] of names.entries())
      for (let l = 0; l < 4; l++)
        fake.push({
          ...fakeLayer(`img-${i}-${l}`, 4096 * (1 + i + l)),
          category: "image-layers-unique",
          images: [n],
        });
    const grow = (c: string) =>
      fake.filter((l) => l.category === c).reduce((n, l) => n + l.allocatedBytes, 0);
    const bigDu: DuJson = {
      ...realDu,
      total: {
        ...realDu.total,
        allocatedBytes:
          realDu.total.allocatedBytes + grow("image-layers-shared") + grow("image-layers-unique"),
      },
      categories: realDu.categories.map((c) => ({
        ...c,
        allocatedBytes: c.allocatedBytes + grow(c.category),
      })),
      layers: [...realDu.layers, ...fake],
    };
    const big = await state().browser.newPage();
    assert.ok(big !== undefined);
    try {
      await big.route("**/web/api/view", (route) =>
        route.fulfill({ json: { ...real, snapshots: [...real.snapshots, ...rows], du: bigDu } }),
      );
      const t0 = Date.now();
      await big.goto(state().url);
      await big.waitForSelector("body[data-ready]", { timeout: 30_000 });
      const loadMs = Date.now() - t0;
      // the page opens on the first namespace by name; suites before this one may have left another
      // namespace (sorted before "default") with snapshots: show the one the rows were added to
      const option = `#view option[data-ns="${proto.namespace ?? ""}"]`;
      await big.selectOption(
        "#view",
        await big.$eval(option, (o) => (o as unknown as { value: string }).value),
      );
      const got = (await big.evaluate(
        `({ nodes: [...document.querySelectorAll("#graph .node")].map((e) => ({ ...e.dataset })),
          layoutMs: Number(document.querySelector("#graph").dataset.layoutMs) })`,
      )) as { nodes: PageNode[]; layoutMs: number };
      const drawn = new Set(
        got.nodes.flatMap((n) => [
          ...(n.key === undefined ? [] : [n.key]),
          ...(n.members === undefined ? [] : (JSON.parse(n.members) as string[])),
        ]),
      );
      console.log(
        `web: ${rows.length} extra snapshots (300 images): ${got.nodes.length} nodes, layout ${got.layoutMs} ms, page ready in ${loadMs} ms`,
      );
      assert.ok(got.nodes.length <= 400, `nodes drawn: ${got.nodes.length}`);
      assert.deepEqual(
        rows.map((r) => r.key).filter((k) => !drawn.has(k)),
        [],
      );
      assert.ok(got.layoutMs < 5000, `layout took ${got.layoutMs} ms`);
      const tm = (await big.evaluate(
        `({ leaves: [...document.querySelectorAll("#treemap rect.leaf")].map((r) => ({ ...r.dataset })),
            total: Number(document.querySelector("#treemap").dataset.total) })`,
      )) as { leaves: TreemapRect[]; total: number };
      console.log(`web: 300 images' treemap: ${tm.leaves.length} leaves for ${bigDu.layers.length} layers`);
      assert.equal(tm.total, bigDu.total.allocatedBytes);
      assert.equal(
        tm.leaves.reduce((n, l) => n + Number(l.bytes), 0),
        bigDu.total.allocatedBytes,
        "the leaves still add up to the total",
      );
      assert.ok(tm.leaves.length <= 1000, `leaves drawn: ${tm.leaves.length}`);
      const more = tm.leaves.find((l) => l.category === "image-layers-unique" && l.folded !== undefined);
      assert.ok(more !== undefined, "the smallest images are folded into one leaf");
      assert.match(more.name ?? "", /^\d+ more images$/);
      const base = tm.leaves.find((l) => l.key === "base-0");
      assert.equal(
        base?.group,
        `${names[0]}, ${names[1]} and 298 more`,
        "a shared layer once, in its images' box",
      );
      await big.screenshot({ path: join(OUT, "containerd-300-images.png") });
    } finally {
      await big.close();
    }
  });
}
