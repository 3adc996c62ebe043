// web/routes.ts — the web view's routes (issue 20 part 1), mounted by `crifs web` and by `crifs serve`:
//
//   /web/                   the page (index.html), /web/app.js and /web/app.css: built by scripts/bundle.mjs
//                           from web/ into dist/src/web/assets/; they hold no data, so they need no token
//   /web/api/view           the last good scan's stores, snapshots, du and doctor JSON (serve's /api/v1 text)
//   /web/api/why?ns=&snapshotter=&key=   the chains that keep a snapshot alive (crifs why), read now
//   /web/api/plan           `crifs repair -o json` without --apply: the plan, made now; nothing is changed
//
// Read-only: GET and HEAD only, and no route runs anything (the repair plan is shown, never applied). Every
// answer carries a strict Content-Security-Policy: the page loads only what crifs serves, runs no inline
// script and no eval, and talks to no other host.

import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { repairCommand } from "../cli/commands/repair.js";
import { type GlobalOptions, openStores } from "../cli/stores.js";
import { seaAssetText } from "../fs/sea-assets.js";
import { whyAlive } from "../model/usage.js";
import type { ScanModel } from "../serve/scan.js";

/** What the web routes read: the last good scan, and the flags that name the stores (for why). */
export interface WebContext {
  readonly model: () => ScanModel | null;
  readonly g: GlobalOptions;
  /** doctor's --grace for the repair plan, seconds (default 60). */
  readonly graceSeconds?: number;
}

export const WEB_PREFIX = "/web/";

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const assets: Record<string, { file: string; type: string }> = {
  "/web/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/web/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/web/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/web/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

const cache = new Map<string, Buffer>();

function asset(file: string): Buffer | null {
  let b = cache.get(file);
  if (b === undefined) {
    // the single executable carries them as assets (scripts/build-exe.mjs); the package, beside this module
    const carried = seaAssetText(`web/${file}`);
    try {
      b =
        carried !== null ? Buffer.from(carried) : readFileSync(new URL(`./assets/${file}`, import.meta.url));
    } catch {
      return null;
    }
    cache.set(file, b);
  }
  return b;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  });
  res.end(head ? undefined : body);
}

const JSON_TYPE = "application/json; charset=utf-8";
const TEXT = "text/plain; charset=utf-8";

/** Whether `path` is one of the page's assets (served without the token: they hold no data). */
export function isWebAsset(path: string): boolean {
  return path === "/web" || Object.hasOwn(assets, path);
}

/** Serves an asset; `path` is one isWebAsset accepts. */
export function serveWebAsset(path: string, res: ServerResponse, head: boolean): void {
  if (path === "/web") {
    res.writeHead(301, { Location: WEB_PREFIX, "Content-Security-Policy": CSP });
    res.end();
    return;
  }
  const a = assets[path] as { file: string; type: string };
  const body = asset(a.file);
  if (body === null) {
    send(
      res,
      500,
      TEXT,
      `the web view was not built: run npm run build (dist/src/web/assets/${a.file})\n`,
      head,
    );
    return;
  }
  send(res, 200, a.type, body, head);
}

/** The /web/api/view answer: one JSON object of serve's /api/v1 payloads (their text, not parsed again). */
export function viewJson(model: ScanModel): string | null {
  const api = model.api;
  if (api === null) return null;
  return `{"finishedAtMs":${model.finishedAtMs},"stores":${api.stores},"snapshots":${api.snapshots},"du":${api.du},"doctor":${api.doctor}}\n`;
}

/** Handles a /web/api/ path (the token already checked); false when it is no such route. */
export async function handleWebApi(
  ctx: WebContext,
  url: URL,
  res: ServerResponse,
  head: boolean,
): Promise<boolean> {
  const path = url.pathname;
  if (path === "/web/api/plan") {
    // repair's own planning (its doctor run included), never --apply: the page shows the plan, never runs it
    const r = await repairCommand(
      { ...ctx.g, output: "json" },
      { graceSeconds: ctx.graceSeconds ?? 60, apply: false },
    );
    send(res, 200, JSON_TYPE, r.text, head);
    return true;
  }
  if (path === "/web/api/view") {
    const model = ctx.model();
    const text = model === null ? null : viewJson(model);
    if (text === null)
      send(res, 503, JSON_TYPE, `${JSON.stringify({ error: "the first scan is not done yet" })}\n`, head);
    else send(res, 200, JSON_TYPE, text, head);
    return true;
  }
  if (path === "/web/api/why") {
    const ns = url.searchParams.get("ns") ?? "";
    const snapshotter = url.searchParams.get("snapshotter") ?? "";
    const key = url.searchParams.get("key") ?? "";
    const runtime = url.searchParams.get("runtime");
    // the store's metadata read now: a scan model is plain data, and the chains need the store's records
    const stores = openStores(ctx.g).filter((s) => runtime === null || s.location.runtime === runtime);
    for (const s of stores) {
      const snap = s.snapshots.find(
        (x) => x.namespace === ns && x.snapshotter === snapshotter && x.key === key,
      );
      if (snap === undefined) continue;
      const chains = whyAlive(s, { kind: "snapshot", namespace: ns, name: `${snapshotter}/${key}` });
      send(res, 200, JSON_TYPE, `${JSON.stringify({ alive: chains.length > 0, chains })}\n`, head);
      return true;
    }
    send(
      res,
      404,
      JSON_TYPE,
      `${JSON.stringify({ error: `no snapshot ${ns}/${snapshotter}/${key}` })}\n`,
      head,
    );
    return true;
  }
  return false;
}
