// test/bed/bed.ts: the live containerd test bed, as the integration suites see it.
//
// startBed() runs test/bed/up.sh on a fresh work dir (/var/tmp/crifs-bed.XXXXXX): it builds the image,
// starts a private containerd (own root, state, socket, config) and populates it (see 30-populate.sh
// for the objects). The containerd is Debian 12's 1.6 unless startBed({ containerd }) asks for 1.7 or 2.1
// (fetched once by test/bed/containerd-fetch.sh into /var/cache/crifs; `ctr` is then that version's too).
// The scripts write what they made to <work>/facts as key=value lines; BedFacts is the
// typed view of that file. Everything is undone by teardown() (test/bed/90-teardown.sh).
//
// Needs root and the Debian packages containerd, runc, umoci, busybox-static and attr. Without them
// startBed() throws, and bedUnavailable() says why; CRIFS_SKIP_INTEGRATION=1 turns that into a skip.

import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The containerd versions a bed can run: 1.6 is Debian 12's, 1.7 Debian trixie's, 2.1 Debian sid's. */
export const containerdVersions = ["1.6", "1.7", "2.1"] as const;
export type ContainerdVersion = (typeof containerdVersions)[number];

/** Namespace names the bed populates. */
export const bedNamespaces = ["default", "k8s.io"] as const;

/** What the bed scripts created, read from <work>/facts. Ids are unique per bed (they carry `tag`). */
export interface BedFacts {
  /** 8 hex chars derived from the work dir; part of every container id and of the host-only path. */
  readonly tag: string;
  /** Image names. `latest` and `small` exist in both namespaces, `index` only in `default`. */
  readonly images: { readonly latest: string; readonly small: string; readonly index: string };
  /** Container ids: `running`, `created`, `exited` in `default`; `k8sRunning` in `k8s.io`. */
  readonly containers: {
    readonly running: string;
    readonly created: string;
    readonly exited: string;
    readonly k8sRunning: string;
  };
  /** Exit status of the `exited` container's task (status STOPPED). */
  readonly exitStatus: number;
  /** Host pids of the two running tasks' processes (`sleep`). */
  readonly taskPids: { readonly running: number; readonly k8sRunning: number };
  /** Snapshot keys in `default`: a view and an active snapshot on bb:latest's top layer, both gc.root. */
  readonly snapshots: {
    readonly view: string;
    readonly active: string;
    /** chain id of bb:latest's top layer: the parent of every container snapshot from bb:latest */
    readonly topChainId: string;
    /** chain id of bb:small's top layer (layer 2) */
    readonly smallTopChainId: string;
  };
  /** Numeric snapshot dir ids (`<snapshotsDir>/<id>/fs`). Layer lists are nearest parent first. */
  readonly snapshotDirs: {
    readonly defaultLayers: readonly string[];
    readonly k8sLayers: readonly string[];
    readonly running: string;
    readonly exited: string;
    readonly created: string;
    readonly k8sRunning: string;
    readonly active: string;
  };
  /** Lease ids in `default`: `forever` has no expiry, `expiring` has gc.expire one hour ahead. */
  readonly leases: { readonly forever: string; readonly expiring: string };
  /** The label set on namespace `default`. */
  readonly namespaceLabel: { readonly namespace: string; readonly key: string; readonly value: string };
  /**
   * Two big files with holes, paths relative to a snapshot's fs dir. `layerPath` (layer 1) is sparse in
   * the build tree only: containerd's unpack writes every zero, so each unpacked copy is fully allocated.
   * `upperPath` (the exited container's upper dir, made with truncate by the task) is truly sparse.
   */
  readonly sparse: {
    readonly layerPath: string;
    readonly layerSize: number;
    readonly upperPath: string;
    readonly upperSize: number;
  };
}

/** A running churn loop (test/bed/70-churn.sh, or 71-churn-gc.sh). */
export interface Churn {
  /** Resolves once the loop's setup (importing bb:latest into the namespace, a probe) is done and its
   * cycles run; rejects if the loop fails first. */
  readonly ready: Promise<void>;
  /** Ends the loop after its current cycle; resolves to the number of complete cycles. */
  stop(): Promise<number>;
  /** What the loop printed on stdout (complete once stop() resolved). */
  output(): string;
}

/** The churn loops of test/bed: every kind GC protects (71-churn-gc.sh), or containers and snapshots only. */
export type ChurnKind = "containers" | "gc";

export interface Bed {
  /** The work dir; everything of the bed lives below it. */
  readonly work: string;
  /** The containerd line this bed runs (startBed's option). */
  readonly containerd: ContainerdVersion;
  /** What `containerd --version` said, e.g. "1.6.20~ds1", "2.1.9+unknown". */
  readonly containerdVersion: string;
  /** The dir holding this bed's containerd, ctr and containerd-shim-runc-v2. */
  readonly binDir: string;
  /** containerd --root */
  readonly root: string;
  /** containerd --state */
  readonly state: string;
  /** containerd's gRPC socket */
  readonly socket: string;
  /** the config.toml containerd runs with */
  readonly configPath: string;
  /** containerd's log file (appended to across restarts) */
  readonly logPath: string;
  /** the overlayfs snapshotter's `snapshots` dir: `<root>/io.containerd.snapshotter.v1.overlayfs/snapshots` */
  readonly snapshotsDir: string;
  /** the OCI archive holding bb:latest and bb:small (what the bed imported) */
  readonly ociArchive: string;
  /** the host file data/host-only-link (layer 2) points to; it exists on the host only */
  readonly hostOnlyTarget: string;
  readonly facts: BedFacts;
  /**
   * Runs `ctr -a <socket> --connect-timeout 2s [-n ns] ...args` and returns stdout; throws with ctr's
   * stderr on failure (within ~2 s when containerd is stopped).
   */
  ctr(args: readonly string[], ns?: string): string;
  /** Stops containerd by its recorded pid and waits until it is gone. Shims and tasks keep running. */
  stopContainerd(): Promise<void>;
  /** Starts containerd again (same config) and waits until it answers. No-op if it runs. */
  startContainerd(): Promise<void>;
  /** Whether the recorded containerd process is alive. */
  isContainerdRunning(): boolean;
  /** The pid of the running containerd, or undefined when it is stopped. */
  containerdPid(): number | undefined;
  /**
   * Starts a loop in `ns` (imports bb:latest if absent): "containers" (default) creates and removes
   * containers and snapshots (70-churn.sh); "gc" runs imports, ingests, snapshot commits, containers and
   * leases at once (71-churn-gc.sh).
   */
  startChurn(ns: string, kind?: ChurnKind): Churn;
  /** Stops churn loops, kills and deletes tasks, stops containerd, unmounts, removes the work dir. Idempotent. */
  teardown(): Promise<void>;
  /** A printable listing of the work dir (without layer contents), the facts and the log's tail. */
  describe(): string;
}

const requiredCommands = ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "umoci", "getfattr", "tar"];

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.some((d) => d !== "" && existsSync(join(d, cmd)));
}

/** Why the bed cannot start here (not root, missing packages, no overlayfs), or undefined if it can. */
export function bedUnavailable(): string | undefined {
  const problems: string[] = [];
  if (process.platform !== "linux") problems.push(`platform is ${process.platform}, not linux`);
  if (process.getuid?.() !== 0) problems.push("not running as root");
  const missing = requiredCommands.filter((c) => !onPath(c));
  if (missing.length > 0) problems.push(`missing commands: ${missing.join(", ")}`);
  if (!existsSync("/bin/busybox")) problems.push("missing /bin/busybox");
  if (missing.length > 0 || !existsSync("/bin/busybox")) {
    problems.push("install them with: apt-get install containerd runc umoci busybox-static attr");
  }
  if (process.platform === "linux" && !/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) {
    problems.push("the kernel lacks overlayfs (try: modprobe overlay)");
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/** test/bed in the source tree, found from here whether running from test/bed or dist/test/bed. */
function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "test", "bed");
    if (existsSync(join(candidate, "up.sh"))) return candidate;
    if (existsSync(join(dir, "up.sh")) && existsSync(join(dir, "common.sh"))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find test/bed/up.sh above ${fileURLToPath(import.meta.url)}`);
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runScript(
  script: string,
  args: readonly string[],
  work: string,
  env: Record<string, string> = {},
): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      "bash",
      [join(scriptsDir(), script), ...args],
      { env: { ...process.env, ...env, CRIFS_BED: work }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });
}

async function mustRun(script: string, args: readonly string[], work: string): Promise<string> {
  const r = await runScript(script, args, work);
  if (r.code !== 0) {
    throw new Error(`bed: ${script} failed (exit ${r.code}) in ${work}:\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

function parseFacts(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

function requiredFact(m: Map<string, string>, key: string, file: string): string {
  const v = m.get(key);
  if (v === undefined || v === "") throw new Error(`bed: fact "${key}" missing from ${file}`);
  return v;
}

function factsFrom(m: Map<string, string>, file: string): BedFacts {
  const get = (key: string): string => requiredFact(m, key, file);
  const int = (key: string): number => {
    const n = Number(get(key));
    if (!Number.isSafeInteger(n)) throw new Error(`bed: fact "${key}" is not an integer in ${file}`);
    return n;
  };
  const [labelKey = "", labelValue = ""] = get("namespace.label").split("=");
  return {
    tag: get("tag"),
    images: { latest: get("image.latest"), small: get("image.small"), index: get("image.index") },
    containers: {
      running: get("container.running"),
      created: get("container.created"),
      exited: get("container.exited"),
      k8sRunning: get("container.k8sRunning"),
    },
    exitStatus: int("container.exitStatus"),
    taskPids: { running: int("task.running.pid"), k8sRunning: int("task.k8sRunning.pid") },
    snapshots: {
      view: get("snapshot.view"),
      active: get("snapshot.active"),
      topChainId: get("snapshot.topChainId"),
      smallTopChainId: get("snapshot.smallTopChainId"),
    },
    snapshotDirs: {
      defaultLayers: get("snapshotDirs.defaultLayers").split(","),
      k8sLayers: get("snapshotDirs.k8sLayers").split(","),
      running: get("snapshotDir.running"),
      exited: get("snapshotDir.exited"),
      created: get("snapshotDir.created"),
      k8sRunning: get("snapshotDir.k8sRunning"),
      active: get("snapshotDir.active"),
    },
    leases: { forever: get("lease.forever"), expiring: get("lease.expiring") },
    namespaceLabel: { namespace: "default", key: labelKey, value: labelValue },
    sparse: {
      layerPath: get("sparse.layerPath"),
      layerSize: int("sparse.layerSize"),
      upperPath: get("sparse.upperPath"),
      upperSize: int("sparse.upperSize"),
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
    // the pid must still be containerd (pids get reused) and not a zombie: pid 1 reaps slowly here
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const name = /^Name:\s*(\S+)/m.exec(status)?.[1];
    const state = /^State:\s*(\S)/m.exec(status)?.[1];
    return name === "containerd" && state !== "Z" && state !== "X" ? pid : undefined;
  } catch {
    return undefined;
  }
}

function listTree(work: string): string {
  try {
    // layer and rootfs contents are noise here; their dirs are listed, not what is inside
    return execFileSync(
      "find",
      [
        work,
        "-xdev",
        "(",
        "-path",
        "*/fs/*",
        "-o",
        "-path",
        "*/rootfs/*",
        "-o",
        "-path",
        `${work}/img/L/*`,
        ")",
      ].concat(["-prune", "-o", "-printf", "%M %10s %p%l\n"]),
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (e) {
    return `(cannot list ${work}: ${e instanceof Error ? e.message : String(e)})`;
  }
}

class LiveBed implements Bed {
  readonly root: string;
  readonly state: string;
  readonly socket: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly snapshotsDir: string;
  readonly ociArchive: string;
  readonly hostOnlyTarget: string;
  readonly facts: BedFacts;
  readonly containerd: ContainerdVersion;
  readonly containerdVersion: string;
  readonly binDir: string;
  readonly #pidFile: string;
  readonly #churns = new Set<Promise<unknown>>();
  #churnSeq = 0;

  constructor(
    readonly work: string,
    factsText: string,
  ) {
    const ctd = join(work, "containerd");
    this.root = join(ctd, "root");
    this.state = join(ctd, "state");
    this.socket = join(ctd, "c.sock");
    this.configPath = join(ctd, "config.toml");
    this.logPath = join(ctd, "containerd.log");
    this.#pidFile = join(ctd, "containerd.pid");
    this.snapshotsDir = join(this.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    this.ociArchive = join(work, "img", "bb-oci.tar");
    const file = join(work, "facts");
    const m = parseFacts(factsText);
    this.facts = factsFrom(m, file);
    this.hostOnlyTarget = requiredFact(m, "hostOnlyTarget", file);
    this.binDir = requiredFact(m, "containerd.bindir", file);
    this.containerdVersion = requiredFact(m, "containerd.version", file);
    const line = containerdVersions.find((v) => this.containerdVersion.startsWith(`${v}.`));
    if (line === undefined)
      throw new Error(`bed: containerd ${this.containerdVersion} is none of ${containerdVersions}`);
    this.containerd = line;
  }

  ctr(args: readonly string[], ns?: string): string {
    // --connect-timeout: without it ctr waits 10 s for a socket nobody listens on (containerd stopped)
    const argv = [
      "-a",
      this.socket,
      "--connect-timeout",
      "2s",
      ...(ns === undefined ? [] : ["-n", ns]),
      ...args,
    ];
    try {
      return execFileSync(join(this.binDir, "ctr"), argv, {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      const stderr = (e as { stderr?: unknown }).stderr;
      const why = typeof stderr === "string" && stderr.trim() !== "" ? stderr.trim() : String(e);
      throw new Error(`ctr ${argv.slice(4).join(" ")}: ${why}`);
    }
  }

  async stopContainerd(): Promise<void> {
    await mustRun("80-containerd-stop.sh", [], this.work);
  }

  async startContainerd(): Promise<void> {
    await mustRun("20-containerd-start.sh", [], this.work);
  }

  isContainerdRunning(): boolean {
    return this.containerdPid() !== undefined;
  }

  containerdPid(): number | undefined {
    return readPid(this.#pidFile);
  }

  startChurn(ns: string, kind: ChurnKind = "containers"): Churn {
    const stopFile = join(this.work, "churn", `stop.${process.pid}.${++this.#churnSeq}`);
    const script = kind === "gc" ? "71-churn-gc.sh" : "70-churn.sh";
    const child: ChildProcess = spawn("bash", [join(scriptsDir(), script), ns, stopFile], {
      env: { ...process.env, CRIFS_BED: this.work },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let isReady: () => void = () => undefined;
    const ready = new Promise<void>((done) => {
      isReady = done;
    });
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (/^ready$/m.test(stdout)) isReady();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number>((done, fail) => {
      child.on("error", fail);
      child.on("close", (code) => {
        const m = /cycles=(\d+)/.exec(stdout);
        if (code === 0 && m?.[1] !== undefined) done(Number(m[1]));
        else fail(new Error(`bed: churn in namespace "${ns}" failed (exit ${code}): ${stderr.trim()}`));
      });
    });
    // a loop that fails before stop() is reported by stop(), not as an unhandled rejection
    exited.catch(() => undefined);
    this.#churns.add(exited);
    const readyOrFailed = Promise.race([ready, exited.then(() => undefined)]);
    readyOrFailed.catch(() => undefined);
    return {
      ready: readyOrFailed,
      output: () => stdout,
      stop: async () => {
        writeFileSync(stopFile, "");
        try {
          return await exited;
        } finally {
          this.#churns.delete(exited);
        }
      },
    };
  }

  async teardown(): Promise<void> {
    // loops still running are ended by the script (SIGTERM via their pid files); wait for them to go
    const r = await runScript("90-teardown.sh", [], this.work);
    await Promise.allSettled(this.#churns);
    this.#churns.clear();
    if (r.code !== 0)
      throw new Error(`bed: teardown of ${this.work} failed (exit ${r.code}):\n${r.stderr.trim()}`);
  }

  describe(): string {
    return describeWork(this.work);
  }
}

function describeWork(work: string): string {
  const tail = (file: string, lines: number): string => {
    try {
      return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return `(no ${file})`;
    }
  };
  return [
    `== tree of ${work} (layer contents left out)`,
    listTree(work).trimEnd(),
    `== ${join(work, "facts")}`,
    tail(join(work, "facts"), 200),
    "== containerd.log (last 30 lines)",
    tail(join(work, "containerd", "containerd.log"), 30),
  ].join("\n");
}

export interface BedOptions {
  /** Which containerd to run; default "1.6" (Debian 12's). */
  readonly containerd?: ContainerdVersion;
}

/**
 * Builds a fresh bed (nothing is reused from earlier runs) and returns it running. Takes a few seconds (the
 * first bed of containerd 1.7 or 2.1 on a machine also fetches its .deb: about 10 s).
 * On failure it prints the work dir's tree, tears the half-built bed down and throws.
 */
export async function startBed(options: BedOptions = {}): Promise<Bed> {
  const why = bedUnavailable();
  if (why !== undefined) {
    throw new Error(`cannot start the containerd test bed: ${why} (set CRIFS_SKIP_INTEGRATION=1 to skip)`);
  }
  const work = resolve(mkdtempSync("/var/tmp/crifs-bed."));
  const up = await runScript("up.sh", [], work, { CRIFS_CONTAINERD: options.containerd ?? "1.6" });
  if (up.code !== 0) {
    const tree = describeWork(work);
    const down = await runScript("90-teardown.sh", [], work);
    throw new Error(
      `bed: up.sh failed (exit ${up.code}) in ${work}:\n${up.stderr.trim()}\n${tree}` +
        (down.code === 0 ? "" : `\nteardown failed too:\n${down.stderr.trim()}`),
    );
  }
  try {
    return new LiveBed(work, readFileSync(join(work, "facts"), "utf8"));
  } catch (e) {
    await runScript("90-teardown.sh", [], work);
    throw e;
  }
}
