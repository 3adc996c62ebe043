// test/integration/web.suite.ts — the web view (issue 20 part 1) in a real browser: Debian's chromium, headless,
// driven by playwright-core (no browser download), loads `crifs web` on the containerd bed (webSuite, once, on
// the 1.6 bed) and on the podman and docker beds (webPodmanTests, webDockerTests: called from podman.suite.ts
// and docker.suite.ts on the beds those suites start, first version only). Every snapshot or layer `crifs
// snapshots -o json` lists is a node of the page's graph (in its namespace's view), the treemap's leaves add
// up to du's total, an orphan dir injected here is a leaked node with its bytes, and the page asked no host but
// the crifs server for anything; on containerd also: a click fetches the why chain from the server, and a
// 300-image view stays quick. A screenshot of each view is written under test-output/web/ (or
// $CRIFS_TEST_OUT/web/). Each removes the orphan dir it made.

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { Bed } from "../bed/bed.js";
import type { DockerBed } from "../bed/docker-bed.js";
import type { PodmanBed } from "../bed/podman.js";
import { bedFlags, CRIFS, contractErrors, crifs, isOneLineError, json, REPO } from "./cli.js";
import { bigViewTest } from "./web-big.js";

const CHROMIUM = "/usr/bin/chromium";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUT = join(process.env.CRIFS_TEST_OUT ?? join(REPO, "test-output"), "web");

function du(path: string): number {
  return Number(execFileSync("du", ["-s", "-B1", "-x", path], { encoding: "utf8" }).split("\t")[0]);
}

/** Starts `crifs web` with `args`; resolves with its URL once it prints it. */
function startWeb(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CRIFS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`crifs web printed no URL within 60 s: ${err}`)), 60_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/web\/)$/m.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`crifs web exited (${code}) before printing its URL: ${err}`));
    });
  });
}

export interface DuLayerJson {
  category: string;
  namespace: string;
  key: string;
  path: string;
  images: string[];
  allocatedBytes: number;
}

/** A treemap rectangle's data-* (web/treemap.ts). */
export interface TreemapRect {
  category?: string;
  name?: string;
  bytes?: string;
  key?: string;
  ns?: string;
  path?: string;
  images?: string;
  group?: string;
  folded?: string;
  children?: string;
}

export interface PageNode {
  key?: string;
  members?: string;
  leaked?: string;
  path?: string;
  bytes?: string;
}

/** What a view's tests share: the page, the server's URL and what was injected. */
export interface ViewState {
  readonly page: Page;
  readonly browser: BrowserContext;
  readonly url: string;
  readonly orphan: string;
  readonly requests: readonly string[];
}

/**
 * Registers the tests every runtime's view must pass, in a describe of its own: `crifs web` with `flags`, an
 * orphan dir made by `plant` (it returns the dir; doctor's grace is 0), removed afterwards. `more` registers
 * further tests on the same page.
 */
function viewTests(
  name: string,
  flags: () => string[],
  plant: () => string,
  more: (state: () => ViewState) => void = () => {},
): void {
  describe(`crifs web in headless chromium: ${name}`, () => {
    let tmp = "";
    let orphan = "";
    let orphanBytes = 0;
    let web: { child: ChildProcess; url: string } | undefined;
    let browser: BrowserContext | undefined;
    let page: Page | undefined;
    const requests: string[] = [];
    const state = (): ViewState => {
      if (page === undefined || browser === undefined || web === undefined)
        throw new Error("the page is not open (did before() fail?)");
      return { page, browser, url: web.url, orphan, requests };
    };

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      tmp = mkdtempSync(join(tmpdir(), "crifs-web-"));
      orphan = plant();
      orphanBytes = du(orphan);
      web = await startWeb([...flags(), "web", "--grace", "0"]);
      // a new empty profile (playwright passes it as --user-data-dir)
      browser = await chromium.launchPersistentContext(join(tmp, "profile"), {
        executablePath: CHROMIUM,
        viewport: { width: 1280, height: 900 },
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      page = browser.pages()[0] ?? (await browser.newPage());
      page.on("request", (r) => {
        requests.push(r.url());
      });
      await page.goto(web.url);
      await page.waitForSelector("body[data-ready]", { timeout: 30_000 });
    });

    after(async () => {
      await browser?.close();
      if (web !== undefined) {
        const exited = new Promise((done) => web?.child.on("exit", done));
        web.child.kill("SIGTERM");
        await exited;
      }
      if (orphan !== "") rmSync(orphan, { recursive: true, force: true });
      if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
    });

    test("every snapshot is a node of its namespace's graph; the orphan dir is a leaked node with its bytes; a screenshot of each view", async () => {
      const p = state().page;
      const rows = json<{ namespace?: string; key: string }[]>(
        crifs([...flags(), "snapshots", "-o", "json"]),
      );
      const options = (await p.evaluate(
        `[...document.querySelectorAll("#view option")].map((o) => ({ value: o.value, ns: o.dataset.ns }))`,
      )) as { value: string; ns: string }[];
      for (const ns of new Set(rows.map((r) => r.namespace ?? ""))) {
        const option = options.find((o) => o.ns === ns);
        assert.ok(option !== undefined, `a view of namespace "${ns}": ${JSON.stringify(options)}`);
        await p.selectOption("#view", option.value);
        const nodes = (await p.evaluate(
          `[...document.querySelectorAll("#graph .node")].map((e) => ({ ...e.dataset }))`,
        )) as PageNode[];
        const drawn = new Set(
          nodes.flatMap((n) => [
            ...(n.key === undefined ? [] : [n.key]),
            ...(n.members === undefined ? [] : (JSON.parse(n.members) as string[])),
          ]),
        );
        const want = rows.filter((r) => (r.namespace ?? "") === ns).map((r) => r.key);
        assert.ok(want.length > 0);
        assert.deepEqual(
          want.filter((k) => !drawn.has(k)),
          [],
          `namespace "${ns}": every snapshot is a node (${drawn.size} drawn, ${want.length} listed)`,
        );
        const leaked = nodes.find((n) => n.leaked === "true" && n.path === orphan);
        assert.ok(leaked !== undefined, `namespace "${ns}": the orphan dir is a leaked node`);
        assert.equal(Number(leaked.bytes), orphanBytes, "the leaked node carries the orphan dir's bytes");
        const layoutMs = Number(await p.evaluate(`document.querySelector("#graph").dataset.layoutMs`));
        console.log(`web: ${name}, namespace "${ns}": ${nodes.length} nodes laid out in ${layoutMs} ms`);
        const shot = join(
          OUT,
          `${name.replace(/[^\w.-]+/g, "_")}-${ns.replace(/[^\w.-]/g, "_") || "store"}.png`,
        );
        await p.screenshot({ path: shot, fullPage: true });
      }
    });

    test("the treemap's leaves add up to du's total, as `crifs du -o json` measures it", async () => {
      const { leaves, total } = (await state().page.evaluate(
        `({ leaves: [...document.querySelectorAll("#treemap rect.leaf")].map((r) => Number(r.dataset.bytes)),
            total: Number(document.querySelector("#treemap").dataset.total) })`,
      )) as { leaves: number[]; total: number };
      assert.ok(leaves.length > 2, `leaves: ${leaves.length}`);
      assert.equal(
        leaves.reduce((a, b) => a + b, 0),
        total,
      );
      const cli = json<{ total: { allocatedBytes: number } }>(crifs([...flags(), "du", "-o", "json"]));
      assert.equal(total, cli.total.allocatedBytes, "the page's total is du's");
    });

    test("the treemap goes down to the layer: each of du's layers is one leaf of its bytes; an image's own layers are its box's children; a shared layer is drawn once, in the box of the images sharing it", async () => {
      const cli = json<{
        layers: DuLayerJson[];
        images: { namespace: string; names: string[]; configDigest: string | null; layers: number }[];
      }>(crifs([...flags(), "du", "-o", "json"]));
      assert.equal(contractErrors("duLayers", cli.layers), null);
      const { leaves, groups } = (await state().page.evaluate(
        `({ leaves: [...document.querySelectorAll("#treemap rect.leaf")].map((r) => ({ ...r.dataset })),
            groups: [...document.querySelectorAll("#treemap rect.group")].map((r) => ({ ...r.dataset })) })`,
      )) as { leaves: TreemapRect[]; groups: TreemapRect[] };
      // du's layers are the store's dirs: every image's layers are among them
      for (const i of cli.images) {
        const name = i.names[0] ?? i.configDigest ?? "";
        const held = cli.layers.filter((l) => l.namespace === i.namespace && l.images.includes(name));
        assert.equal(
          held.length,
          i.layers,
          `du's layers name image ${name} on each of its ${i.layers} layers`,
        );
      }
      const withPath = leaves.filter((l) => l.path !== undefined);
      const byPath = new Map(withPath.map((l) => [l.path, l]));
      assert.equal(byPath.size, withPath.length, "a dir is one leaf, never two");
      const folded = leaves.reduce((n, l) => n + Number(l.folded ?? 0), 0);
      const counted = cli.layers.filter((l) => l.allocatedBytes > 0);
      let drawn = 0;
      for (const l of counted) {
        const leaf = byPath.get(l.path);
        if (leaf === undefined) continue; // folded into an "N more" leaf of its box (counted below)
        drawn++;
        assert.equal(Number(leaf.bytes), l.allocatedBytes, `${l.path}: du's bytes`);
        assert.equal(leaf.category, l.category, l.path);
        assert.deepEqual(JSON.parse(leaf.images ?? "[]"), l.images, l.path);
      }
      assert.equal(drawn + folded, counted.length, "every layer is a leaf or in a folded leaf");
      assert.ok(drawn > 0);
      // the image with the most layers of its own: its box has one child per layer, with du's bytes
      const own = new Map<string, DuLayerJson[]>();
      for (const l of counted.filter((x) => x.category === "image-layers-unique")) {
        const k = `${l.namespace}\u0000${l.images[0]}`;
        own.set(k, [...(own.get(k) ?? []), l]);
      }
      const [, mine] = [...own].sort((a, b) => b[1].length - a[1].length)[0] ?? ["", []];
      const image = mine[0]?.images[0];
      assert.ok(image !== undefined, "an image with layers of its own");
      const box = groups.find(
        (g) => g.category === "image-layers-unique" && g.name === image && g.ns === mine[0]?.namespace,
      );
      assert.ok(box !== undefined, `a box for image ${image}`);
      assert.equal(Number(box.children), mine.length, `${image}: one child per layer of its own`);
      const children = leaves.filter(
        (l) => l.category === "image-layers-unique" && l.group === image && l.ns === mine[0]?.namespace,
      );
      assert.deepEqual(
        children.map((c) => [c.key, Number(c.bytes)]).sort(),
        mine.map((l) => [l.key, l.allocatedBytes]).sort(),
      );
      assert.equal(
        Number(box.bytes),
        mine.reduce((n, l) => n + l.allocatedBytes, 0),
      );
      // a shared layer: once, under image-layers-shared, in the box of exactly the images that share it
      for (const l of counted.filter((x) => x.images.length > 1)) {
        const leaf = byPath.get(l.path);
        if (leaf === undefined) continue;
        assert.equal(leaf.category, "image-layers-shared", l.path);
        assert.ok(
          groups.some((g) => g.name === leaf.group && g.images === JSON.stringify(l.images)),
          `${l.path}: in the box of ${l.images.join(", ")}`,
        );
      }
      console.log(
        `web: ${name}: treemap of ${leaves.length} leaves, ${groups.length} image boxes, ${counted.length} layers`,
      );
    });

    more(state);

    test("the page asked nothing of any host but the crifs server; a strict CSP; no POST route", async () => {
      const { url, requests } = state();
      const origin = new URL(url).origin;
      const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"));
      assert.deepEqual(foreign, [], "no request to another host");
      const r = await fetch(url);
      const csp = r.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/, "no inline script, no eval");
      const post = await fetch(`${origin}/web/api/view`, { method: "POST" });
      assert.equal(post.status, 405);
    });
  });
}

export function webSuite(getBed: () => Bed) {
  viewTests(
    "containerd",
    () => bedFlags(getBed()),
    () => {
      // a snapshot dir no record names (as the serve and repair suites inject it)
      const orphan = join(getBed().snapshotsDir, "9970");
      mkdirSync(join(orphan, "fs"), { recursive: true });
      mkdirSync(join(orphan, "work"));
      writeFileSync(join(orphan, "fs", "leaked"), "x".repeat(200_000));
      return orphan;
    },
    (state) => {
      test("a click on a snapshot node shows the why chain fetched from the server; the findings show the orphan's remedy; the repair plan (a dry run) moves it", async () => {
        const p = state().page;
        await p.click("#graph .node.committed");
        const lastPre = `[...document.querySelectorAll("#detail pre")].pop()?.textContent ?? "…"`;
        // polled from here: waitForFunction's polling evaluates a string in the page, which the CSP refuses
        let why = "…";
        for (const end = Date.now() + 30_000; why === "…" && Date.now() < end; await sleep(100))
          why = (await p.evaluate(lastPre)) as string;
        assert.match(why, /image .*→/, `the why chain names an image: ${why}`);
        const finding = await p.$$eval("#findings tr[data-check='orphan-snapshot-dir']", (rows) =>
          rows.map((r) => r.textContent ?? ""),
        );
        assert.ok(
          finding.some((t) => t.includes("9970")),
          `the orphan's finding: ${finding.join("\n")}`,
        );
        // the plan is repair's dry run, made by the server when the page asks: it moves the orphan dir
        await p.click("#make-plan");
        await p.waitForSelector("#plan[data-ready]", { timeout: 60_000 });
        const plan = await p.$eval("#plan", (e) => e.textContent ?? "");
        assert.ok(plan.includes(state().orphan), `the plan names the orphan dir: ${plan}`);
        assert.match(plan, /orphan-snapshot-dir/);
      });

      test("a store that cannot be read: one line naming it and exit 66, no server", () => {
        const r = crifs(["--runtime", "containerd", "--root", join(state().orphan, "absent"), "web"]);
        assert.equal(r.status, 66, r.stderr);
        assert.ok(isOneLineError(r), r.stderr);
        assert.equal(r.stdout, "");
      });

      bigViewTest(state, OUT);
    },
  );
}

/** A layer dir no layers.json names (the podman bed's P4 fault, testbed.md), with a link file and bytes. */
function plantLayerDir(home: string): string {
  const dir = join(home, "c0ffee".padEnd(64, "0"));
  mkdirSync(join(dir, "diff"), { recursive: true });
  writeFileSync(join(dir, "link"), "ZZZZZZZZZZZZZZZZZZZZZZWEB0");
  writeFileSync(join(dir, "diff", "leaked"), "x".repeat(200_000));
  return dir;
}

/** The web view's tests on the podman suite's bed (its first version only: the page is the same). */
export function webPodmanTests(getPodman: () => PodmanBed, flags: () => string[]): void {
  viewTests("podman", flags, () => plantLayerDir(join(getPodman().root, "overlay")));
}

/** The web view's tests on the docker suite's bed. */
export function webDockerTests(getDocker: () => DockerBed, flags: () => string[]): void {
  viewTests("docker", flags, () => plantLayerDir(join(getDocker().root, "overlay2")));
}
