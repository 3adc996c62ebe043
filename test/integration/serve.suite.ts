// test/integration/serve.suite.ts — `crifs serve` and doctor's metric outputs on the real containerd bed
// (issue 19 parts 1-2). A real Prometheus (Debian's package, started here on loopback with a config written
// here, its TSDB in a temp dir, scraping every second) scrapes `crifs serve --interval 2s`: its query API shows
// an injected orphan snapshot dir's bytes as crifs_reclaimable_bytes within two scrape intervals of the serve
// showing them, and the value falls after `crifs repair --apply`. promtool checks /metrics, doctor -o
// prometheus and --textfile's file. 1,000 scrapes while the bed churns and scans run: no error, p99 < 50 ms,
// RSS growth < 10 MB after the first scan. A token file and TLS (a cert openssl makes here) guard every path
// but /healthz. SIGTERM ends the serve cleanly. Runs once, on the 1.6 bed; leaves the bed as it found it.

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type Agent, Agent as HttpAgent, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, CRIFS, contractErrors, crifs, isOneLineError, REPO } from "./cli.js";

/** The bundled sample store (a real containerd root), unpacked by the test that cuts its meta.db short. */
const SAMPLE = join(REPO, "sample", "containerd-root.tar.gz");

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  stderr(): string;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
}

/** Starts `crifs serve` with `args` on 127.0.0.1:<free port>; resolves once it says where it serves. */
function serve(args: readonly string[]): Promise<Served> {
  const child = spawn(process.execPath, [CRIFS, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`crifs serve did not start within 20 s: ${err}`)),
      20_000,
    );
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /serving https?:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stderr: () => err, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`crifs serve exited (${code}) before serving: ${err}`));
    });
  });
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

function get(
  url: string,
  o: { agent?: Agent; headers?: Record<string, string>; ca?: Buffer } = {},
): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = (url.startsWith("https:") ? httpsRequest : httpRequest)(
      url,
      {
        ...(o.agent === undefined ? {} : { agent: o.agent }),
        headers: o.headers ?? {},
        ...(o.ca === undefined ? {} : { ca: o.ca }),
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined, for at most `ms`. */
async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(everyMs);
  }
}

/** The value of the one series of `name` whose labels include `labels` in the text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf("}"));
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}=${JSON.stringify(v)}`)))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]);
}

/**
 * The serve's resident memory between scans: the least VmRSS of samples every 20 ms until `scans` more scans
 * have finished. A scan's own memory comes and goes with its worker thread (tens of MB on the bed); what a
 * leak would raise is this floor.
 */
async function rssFloorKb(pid: number, scans: () => Promise<number>, more = 2): Promise<number> {
  const until = (await scans()) + more;
  let floor = Number.POSITIVE_INFINITY;
  const end = Date.now() + 60_000;
  while ((await scans()) < until && Date.now() < end) {
    floor = Math.min(floor, rssKb(pid));
    await sleep(20);
  }
  return floor;
}

function promtoolCheck(text: string): { status: number; out: string } {
  try {
    const out = execFileSync("promtool", ["check", "metrics"], {
      input: text,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { status: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

function du(path: string): number {
  return Number(execFileSync("du", ["-s", "-B1", "-x", path], { encoding: "utf8" }).split("\t")[0]);
}

const ORPHAN = { check: "orphan-snapshot-dir" };

export function serveSuite(getBed: () => Bed) {
  describe("crifs serve on the bed, scraped by a real Prometheus", () => {
    let tmp = "";
    let served: Served | undefined;
    let prometheus: ChildProcess | undefined;
    let promUrl = "";
    let serveUrl = "";
    let firstScanRss = 0;
    let wasRunning = true;
    let hadQuarantine = false;
    const metrics = async () => (await get(`${serveUrl}/metrics`)).body;
    const successes = () => metrics().then((t) => sample(t, "crifs_scans_total", { result: "success" }) ?? 0);

    /** The value Prometheus's query API gives for `query` now (its one series), or undefined. */
    const promValue = async (query: string): Promise<number | undefined> => {
      const r = await get(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
      const data = JSON.parse(r.body) as { data: { result: { value: [number, string] }[] } };
      const v = data.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };

    before(async () => {
      const bed = getBed();
      wasRunning = bed.isContainerdRunning();
      hadQuarantine = existsSync(join(bed.root, ".crifs-quarantine"));
      tmp = mkdtempSync(join(tmpdir(), "crifs-serve-"));
      served = await serve([
        ...bedFlags(bed),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "2s",
        "--grace",
        "0",
      ]);
      serveUrl = `http://127.0.0.1:${served.port}`;
      await waitFor("the first scan (/readyz 200)", 60_000, async () =>
        (await get(`${serveUrl}/readyz`)).status === 200 ? true : undefined,
      );
      firstScanRss = await rssFloorKb(served.child.pid as number, successes);
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      const config = join(tmp, "prometheus.yml");
      writeFileSync(
        config,
        [
          "global:",
          "  scrape_interval: 1s",
          "  evaluation_interval: 1s",
          "scrape_configs:",
          "  - job_name: crifs",
          "    static_configs:",
          `      - targets: ["127.0.0.1:${served.port}"]`,
          "",
        ].join("\n"),
      );
      mkdirSync(join(tmp, "tsdb"));
      prometheus = spawn(
        "prometheus",
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(tmp, "tsdb")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let promLog = "";
      prometheus.stderr?.on("data", (d: Buffer) => {
        promLog = (promLog + d.toString()).slice(-4000);
      });
      await waitFor(`Prometheus to be ready (${promLog})`, 30_000, async () => {
        try {
          return (await get(`${promUrl}/-/ready`)).status === 200 ? true : undefined;
        } catch {
          return undefined;
        }
      });
    });

    after(async () => {
      prometheus?.kill("SIGTERM");
      if (served !== undefined && served.child.exitCode === null) served.child.kill("SIGKILL");
      const bed = getBed();
      if (wasRunning) await bed.startContainerd();
      if (!hadQuarantine) rmSync(join(bed.root, ".crifs-quarantine"), { recursive: true, force: true });
      rmSync(join(bed.snapshotsDir, "9980"), { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    });

    test("Prometheus's query API shows an injected orphan dir's bytes within two scrape intervals of the serve's next scan, and their fall after repair --apply", async () => {
      const bed = getBed();
      // containerd's GC would remove the orphan dir if it ran (the repair suite injects the same way)
      await bed.stopContainerd();
      const query = 'crifs_reclaimable_bytes{check="orphan-snapshot-dir"}';
      const before = await waitFor("the series in Prometheus", 20_000, () => promValue(query));
      assert.equal(
        before,
        sample(await metrics(), "crifs_reclaimable_bytes", ORPHAN),
        "Prometheus and /metrics agree",
      );
      const orphan = join(bed.snapshotsDir, "9980");
      mkdirSync(join(orphan, "fs"), { recursive: true });
      mkdirSync(join(orphan, "work"));
      writeFileSync(join(orphan, "fs", "leaked"), "x".repeat(300_000));
      const bytes = du(orphan);
      // the serve's next scan: the first whose /metrics shows the dir (polled every 50 ms)
      await waitFor(
        "the serve's scan to see the orphan dir",
        30_000,
        async () =>
          sample(await metrics(), "crifs_reclaimable_bytes", ORPHAN) === before + bytes ? true : undefined,
        50,
      );
      const seen = Date.now();
      await waitFor(
        "Prometheus to show the orphan dir's bytes",
        10_000,
        async () => ((await promValue(query)) === before + bytes ? true : undefined),
        50,
      );
      const lag = Date.now() - seen;
      console.log(`serve: Prometheus showed ${bytes} orphan bytes ${lag} ms after the serve did`);
      // two scrape intervals (1 s each), plus the 50 ms polls and the query's own time
      assert.ok(
        lag <= 2_000 + 300,
        `Prometheus lagged ${lag} ms behind the serve (2 scrape intervals: 2000 ms)`,
      );

      const r = crifs([
        ...bedFlags(bed),
        "repair",
        "--apply",
        "--yes",
        "--grace",
        "0",
        "--check",
        "orphan-snapshot-dir",
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(existsSync(orphan), false, "repair moved the orphan dir into the quarantine");
      await waitFor(
        "the serve's scan to see the repair",
        30_000,
        async () =>
          sample(await metrics(), "crifs_reclaimable_bytes", ORPHAN) === before ? true : undefined,
        50,
      );
      const fell = Date.now();
      await waitFor(
        "Prometheus to show the fall",
        10_000,
        async () => ((await promValue(query)) === before ? true : undefined),
        50,
      );
      assert.ok(Date.now() - fell <= 2_300, `Prometheus lagged ${Date.now() - fell} ms behind the serve`);
      await bed.startContainerd();
    });

    test("promtool check metrics passes on /metrics, on doctor -o prometheus and on doctor --textfile's crifs.prom; -o npd answers in one line of at most 80 characters", async () => {
      const bed = getBed();
      const live = await get(`${serveUrl}/metrics`);
      assert.equal(live.status, 200);
      assert.match(live.body, /^crifs_scans_total\{result="success"\} \d+$/m);
      assert.deepEqual(promtoolCheck(live.body), { status: 0, out: "" });
      const dir = join(tmp, "textfile");
      mkdirSync(dir);
      const d = crifs([...bedFlags(bed), "doctor", "-o", "prometheus", "--textfile", dir]);
      assert.ok([0, 1, 2].includes(d.status), d.stderr);
      assert.equal(d.stderr, "");
      assert.deepEqual(promtoolCheck(d.stdout), { status: 0, out: "" });
      const file = readFileSync(join(dir, "crifs.prom"), "utf8");
      assert.deepEqual(promtoolCheck(file), { status: 0, out: "" });
      const families = (t: string) => [...t.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]).join(" ");
      assert.equal(
        families(d.stdout),
        families(live.body),
        "doctor -o prometheus has serve's metric families",
      );
      assert.equal(families(file), families(live.body));
      const npd = crifs([...bedFlags(bed), "doctor", "-o", "npd"]);
      const lines = npd.stdout.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 1, npd.stdout);
      assert.ok((lines[0] ?? "").length <= 80, lines[0]);
      assert.equal(npd.status, d.status === 0 ? 0 : 1, `${npd.stdout} (doctor exited ${d.status})`);
      const unknown = crifs(["--runtime", "containerd", "--root", join(tmp, "none"), "doctor", "-o", "npd"]);
      assert.equal(unknown.status, 2, "NPD's Unknown when doctor cannot run");
      assert.match(unknown.stdout, /^crifs: .*\n$/);
    });

    test("crifs_store_bytes splits du's categories by containerd namespace: each namespace's layers are its own, blobs and metadata belong to none", async () => {
      const live = await get(`${serveUrl}/metrics`);
      const series = [...live.body.matchAll(/^crifs_store_bytes\{([^}]*)\} (\S+)$/gm)].map((m) => {
        const labels = Object.fromEntries(
          [...(m[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1] ?? "", l[2] ?? ""]),
        );
        return { ns: labels.namespace ?? "?", category: labels.category ?? "?", value: Number(m[2]) };
      });
      const of = (ns: string, re: RegExp) =>
        series.filter((x) => x.ns === ns && re.test(x.category)).reduce((n, x) => n + x.value, 0);
      const layers = /^image-layers-(shared|unique)$/;
      // the bed's default namespace holds bb:latest, bb:small and bb:index, k8s.io bb:latest and bb:small
      assert.ok(of("default", layers) > 0, "namespace default has image layer bytes");
      assert.ok(of("k8s.io", layers) > 0, "namespace k8s.io has image layer bytes");
      assert.equal(of("", layers), 0, "no layer bytes without a namespace on containerd");
      assert.ok(of("", /^(content-blobs|metadata)$/) > 0, 'blobs and metadata are namespace ""');
      assert.equal(of("default", /^(content-blobs|metadata|other)$/), 0);
      // every series of a scan sums to the same total as `crifs du`'s categories of that scan (the api's du)
      const du = JSON.parse((await get(`${serveUrl}/api/v1/du`)).body) as {
        total: { allocatedBytes: number };
        namespaces: { namespace: string; category: string; allocatedBytes: number }[];
      };
      const sumNs = du.namespaces.reduce((n, x) => n + x.allocatedBytes, 0);
      assert.equal(sumNs, du.total.allocatedBytes, "du's namespace rows add up to its total");
    });

    test("1,000 scrapes while the bed churns and scans run: no error, /metrics p99 < 50 ms, RSS growth < 10 MB after the first scan", async () => {
      const bed = getBed();
      const pid = served?.child.pid as number;
      await bed.startContainerd(); // no-op when it runs
      const churn = bed.startChurn("k8s.io");
      await churn.ready;
      const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
      const scans = successes;
      const scansBefore = await scans();
      const ms: number[] = [];
      const errors: string[] = [];
      try {
        // at least 1,000 scrapes, and on until two scans finished during them
        for (let i = 0; i < 1000 || ((await scans()) < scansBefore + 2 && i < 20_000); i++) {
          try {
            const r = await get(`${serveUrl}/metrics`, { agent });
            if (r.status !== 200 || !r.body.includes("crifs_scans_total")) errors.push(`status ${r.status}`);
            ms.push(r.ms);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
      } finally {
        const cycles = await churn.stop();
        agent.destroy();
        console.log(`serve: ${ms.length} scrapes during ${cycles} churn cycles`);
      }
      const scansAfter = await scans();
      const failures = sample(await metrics(), "crifs_scans_total", { result: "failure" });
      ms.sort((a, b) => a - b);
      const p99 = ms[Math.ceil(ms.length * 0.99) - 1] ?? 0;
      const rss = await rssFloorKb(pid, scans);
      console.log(
        `serve: p50 ${ms[Math.floor(ms.length / 2)]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${ms.at(-1)?.toFixed(1)} ms; ` +
          `${scansAfter - scansBefore} scans; RSS between scans ${firstScanRss} kB after the first scan, ${rss} kB after the scrapes`,
      );
      assert.deepEqual(errors, []);
      assert.equal(failures, 0, served?.stderr());
      assert.ok(scansAfter - scansBefore >= 2, "scans ran during the scrapes");
      assert.ok(p99 < 50, `p99 ${p99.toFixed(1)} ms`);
      assert.ok(rss - firstScanRss < 10 * 1024, `RSS grew by ${rss - firstScanRss} kB`);
    });

    test("the JSON under /api/v1 is the commands' -o json of the same store, in docs/json.md's schemas", async () => {
      const bed = getBed();
      for (const [path, args] of [
        ["images", ["images"]],
        ["containers", ["containers"]],
        ["snapshots", ["snapshots"]],
        ["stores", ["info"]],
      ] as const) {
        const cli = crifs([...bedFlags(bed), ...args, "-o", "json"]);
        const api = await waitFor(`/api/v1/${path} to match`, 15_000, async () => {
          const r = await get(`${serveUrl}/api/v1/${path}`);
          assert.equal(r.status, 200);
          return r.body === cli.stdout ? r.body : undefined;
        });
        assert.equal(api, cli.stdout);
      }
      // du and doctor change with every scan (cached trees, findings in flight under --grace 0): their schemas
      for (const [path, schema] of [
        ["doctor", "doctor"],
        ["images", "images"],
        ["stores", "info"],
      ]) {
        const r = await get(`${serveUrl}/api/v1/${path}`);
        assert.equal(r.status, 200);
        assert.equal(contractErrors(schema as string, JSON.parse(r.body)), null, path);
      }
      const du = await get(`${serveUrl}/api/v1/du`);
      assert.equal((JSON.parse(du.body) as { root: string }).root, bed.root);
    });

    test("a token file and TLS: 401 without the token, 200 with it, /healthz open, HTTPS with the test's cert; one-line errors for a port in use, a missing token file, a lone --tls-cert", async () => {
      const bed = getBed();
      const tokenFile = join(tmp, "token");
      writeFileSync(tokenFile, "s3cret-token\n", { mode: 0o600 });
      const key = join(tmp, "key.pem");
      const cert = join(tmp, "cert.pem");
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          key,
          "-out",
          cert,
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
        ],
        { stdio: "ignore" },
      );
      const ca = readFileSync(cert);
      const s = await serve([
        ...bedFlags(bed),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        tokenFile,
        "--tls-cert",
        cert,
        "--tls-key",
        key,
      ]);
      try {
        const url = `https://127.0.0.1:${s.port}`;
        const auth = { authorization: "Bearer s3cret-token" };
        assert.equal((await get(`${url}/healthz`, { ca })).status, 200);
        assert.equal((await get(`${url}/metrics`, { ca })).status, 401);
        assert.equal(
          (await get(`${url}/metrics`, { ca, headers: { authorization: "Bearer wrong" } })).status,
          401,
        );
        assert.equal((await get(`${url}/metrics`, { ca, headers: auth })).status, 200);
        assert.equal((await get(`${url}/api/v1/doctor`, { ca })).status, 401);
        // a rotated token is read again, without a restart
        writeFileSync(tokenFile, "rotated-token-2\n");
        assert.equal((await get(`${url}/metrics`, { ca, headers: auth })).status, 401);
        assert.equal(
          (await get(`${url}/metrics`, { ca, headers: { authorization: "Bearer rotated-token-2" } })).status,
          200,
        );
        await assert.rejects(
          get(`http://127.0.0.1:${s.port}/healthz`),
          "plain HTTP is not served on the TLS port",
        );
        assert.doesNotMatch(s.stderr(), /s3cret|rotated-token/, "the token is never logged");
      } finally {
        s.child.kill("SIGTERM");
        await s.exited;
      }
      const inUse = crifs([...bedFlags(bed), "serve", "--listen", `127.0.0.1:${served?.port}`]);
      assert.equal(inUse.status, 75, inUse.stderr);
      assert.ok(isOneLineError(inUse), inUse.stderr);
      assert.match(inUse.stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
      const noToken = crifs([
        ...bedFlags(bed),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        join(tmp, "absent"),
      ]);
      assert.equal(noToken.status, 66, noToken.stderr);
      assert.ok(isOneLineError(noToken), noToken.stderr);
      const lone = crifs([...bedFlags(bed), "serve", "--tls-cert", cert]);
      assert.equal(lone.status, 64, lone.stderr);
      assert.ok(isOneLineError(lone), lone.stderr);
    });

    test("a failing scan is counted and the last good one served: a copy of the sample store whose meta.db is cut short, then mended", async () => {
      const dir = join(tmp, "sample");
      mkdirSync(dir);
      execFileSync("tar", ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpzf", SAMPLE, "-C", dir]);
      const config = join(dir, "config.toml");
      writeFileSync(config, `version = 2\nroot = "${join(dir, "root")}"\nstate = "${join(dir, "state")}"\n`);
      const root = join(dir, "root");
      const flags = [
        "--runtime",
        "containerd",
        "--root",
        root,
        "--state",
        join(dir, "state"),
        "--config",
        config,
      ];
      const s = await serve([...flags, "serve", "--listen", "127.0.0.1:0", "--interval", "1s"]);
      const url = `http://127.0.0.1:${s.port}`;
      const text = async () => (await get(`${url}/metrics`)).body;
      try {
        await waitFor("the first scan", 60_000, async () =>
          (await get(`${url}/readyz`)).status === 200 ? true : undefined,
        );
        const images = (await get(`${url}/api/v1/images`)).body;
        const metaDb = join(root, "io.containerd.metadata.v1.bolt", "meta.db");
        const whole = readFileSync(metaDb);
        writeFileSync(metaDb, whole.subarray(0, 4096 + 100)); // a meta page and a few bytes: no store to read
        const labels = { runtime: "containerd", root };
        await waitFor("a failed scan to be counted", 30_000, async () =>
          (sample(await text(), "crifs_scan_errors_total", labels) ?? 0) >= 1 ? true : undefined,
        );
        const during = await text();
        assert.ok((sample(during, "crifs_scans_total", { result: "failure" }) ?? 0) >= 1);
        assert.ok(
          (sample(during, "crifs_objects", { ...labels, namespace: "default", kind: "image" }) ?? 0) > 0,
        );
        assert.equal((await get(`${url}/readyz`)).status, 200);
        assert.equal((await get(`${url}/api/v1/images`)).body, images, "the last good scan's JSON");
        assert.match(s.stderr(), /crifs: scan failed: .*meta\.db.*\(serving the last good scan; /);
        assert.equal(s.stderr().match(/scan failed/g)?.length, 1, "the same failure is printed once");
        writeFileSync(metaDb, whole);
        const failures = sample(await text(), "crifs_scans_total", { result: "failure" }) ?? 0;
        const successes = sample(await text(), "crifs_scans_total", { result: "success" }) ?? 0;
        await waitFor("a good scan again", 30_000, async () =>
          (sample(await text(), "crifs_scans_total", { result: "success" }) ?? 0) > successes
            ? true
            : undefined,
        );
        assert.ok((sample(await text(), "crifs_scans_total", { result: "failure" }) ?? 0) <= failures + 1);
        assert.match(s.stderr(), /crifs: scans succeed again\n/);
      } finally {
        s.child.kill("SIGTERM");
        await s.exited;
      }
    });

    test("SIGTERM stops the serve: it closes its server, says so, and exits 0", async () => {
      const s = served as Served;
      s.child.kill("SIGTERM");
      const code = await s.exited;
      assert.equal(code, 0, s.stderr());
      assert.match(s.stderr(), /crifs: stopped \(SIGTERM\)\n$/);
      await assert.rejects(get(`${serveUrl}/healthz`));
    });
  });
}
