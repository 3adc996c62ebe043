// test/bed/docker-bed.ts: the live Docker test bed (test/bed/docker/*.sh), as the docker suite sees it.
//
// startDockerBed(ociArchive, version) runs test/bed/docker/up.sh on a fresh work dir (/var/tmp/crifs-dbed.XXXXXX):
// a private dockerd (data-root, exec-root, socket and pid file below the work dir, no iptables, no bridge,
// --live-restore): "20.10" is Debian 12's docker.io on the host; "26" is trixie's dockerd 26 chrooted in the
// bed's overlay of the cached trixie root (test/bed/trixie/; the docker dir bound in at the same path, so
// crifs reads it from the host as on a node); "26-containerd" the same with containerd's image store. It is
// loaded with the containerd bed's image (converted by skopeo to
// docker archives) and populated with a running, a created and an exited container and a committed image
// (see 30-populate.sh). The scripts write what they made to <work>/facts; DockerBedFacts is the typed view.
// teardown() (90-teardown.sh) undoes everything. Independent of the containerd bed (test/bed/bed.ts) except
// for the archive it loads.

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The docker client the bed drives: Debian's (20.10), by its full path (another may come first on PATH). */
export const DOCKER_BIN = "/usr/bin/docker";

/** The dockerd versions a bed can run (see the header). */
export const DOCKER_VERSIONS = ["20.10", "26", "26-containerd"] as const;
export type DockerVersion = (typeof DOCKER_VERSIONS)[number];

export interface DockerBedFacts {
  readonly tag: string;
  /** `docker version`'s server version, e.g. 20.10.24+dfsg1 or 26.1.5+dfsg1. */
  readonly serverVersion: string;
  /** Image names as docker shows them: bb:latest (4 layers), bb:small (2), bb:committed (5, `docker commit`). */
  readonly images: { readonly latest: string; readonly small: string; readonly committed: string };
  /** Container names (`running`: sleep; `created`: never started, from bb:small; `exited`: status 3). */
  readonly containers: { readonly running: string; readonly created: string; readonly exited: string };
  /** Container ids (64 hex), by the same keys. */
  readonly containerIds: { readonly running: string; readonly created: string; readonly exited: string };
  readonly exitStatus: number;
  /** Host pid of the running container's process. */
  readonly runningPid: number;
  /** Chain id of bb:committed's own (top) layer. */
  readonly committedTopChainId: string;
}

export interface DockerResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DockerBed {
  readonly work: string;
  readonly version: DockerVersion;
  /** Images in containerd's store (namespace moby), not overlay2: "26-containerd". */
  readonly isContainerdStore: boolean;
  /** dockerd --data-root */
  readonly root: string;
  /** dockerd --exec-root */
  readonly execRoot: string;
  readonly socket: string;
  readonly logPath: string;
  readonly facts: DockerBedFacts;
  /** Runs the docker client against the bed's socket and returns stdout; throws with its stderr on failure. */
  docker(args: readonly string[]): string;
  /** The same, returning status and both streams (for commands expected to fail). */
  dockerResult(args: readonly string[]): DockerResult;
  /** Runs 60-fault.sh <fault>; returns what it printed as key=value pairs. */
  fault(name: "missing-link" | "restore-link" | "container-layer" | "image-layer"): Map<string, string>;
  /** Stops dockerd (live-restore: containers keep running) and waits until it is gone. */
  stopDockerd(): Promise<void>;
  /** Starts dockerd again and waits until it answers. No-op if it runs. */
  startDockerd(): Promise<void>;
  isDockerdRunning(): boolean;
  /** Removes the containers, stops dockerd, unmounts, removes the work dir. Idempotent. */
  teardown(): Promise<void>;
  /** A printable listing of the work dir (without layer contents), the facts and dockerd's log tail. */
  describe(): string;
}

const requiredCommands = ["dockerd", "containerd", "runc", "skopeo"];

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.some((d) => d !== "" && existsSync(join(d, cmd)));
}

/** Why the docker bed cannot start here, or undefined if it can. */
export function dockerBedUnavailable(): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("not running as root");
  const missing = requiredCommands.filter((c) => !onPath(c));
  if (!existsSync(DOCKER_BIN)) missing.push(DOCKER_BIN);
  if (missing.length > 0)
    problems.push(`missing commands: ${missing.join(", ")} (apt-get install docker.io skopeo)`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}

function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const c of [join(dir, "test", "bed", "docker"), join(dir, "docker")])
      if (existsSync(join(c, "up.sh")) && existsSync(join(c, "common.sh"))) return c;
    dir = dirname(dir);
  }
  throw new Error(`cannot find test/bed/docker/up.sh above ${fileURLToPath(import.meta.url)}`);
}

function runScript(
  script: string,
  args: readonly string[],
  work: string,
  version: DockerVersion,
): Promise<DockerResult> {
  return new Promise((done) => {
    execFile(
      "bash",
      [join(scriptsDir(), script), ...args],
      {
        env: { ...process.env, CRIFS_DBED: work, DOCKER_BIN, DOCKER_VERSION: version },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        done({ status, stdout, stderr });
      },
    );
  });
}

async function mustRun(
  script: string,
  args: readonly string[],
  work: string,
  version: DockerVersion,
): Promise<string> {
  const r = await runScript(script, args, work, version);
  if (r.status !== 0)
    throw new Error(`docker bed: ${script} failed (exit ${r.status}) in ${work}:\n${r.stderr.trim()}`);
  return r.stdout;
}

function parsePairs(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

function factsFrom(m: Map<string, string>, file: string): DockerBedFacts {
  const get = (key: string): string => {
    const v = m.get(key);
    if (v === undefined || v === "") throw new Error(`docker bed: fact "${key}" missing from ${file}`);
    return v;
  };
  const int = (key: string): number => {
    const n = Number(get(key));
    if (!Number.isSafeInteger(n)) throw new Error(`docker bed: fact "${key}" is not an integer in ${file}`);
    return n;
  };
  return {
    tag: get("tag"),
    serverVersion: get("serverVersion"),
    images: { latest: get("image.latest"), small: get("image.small"), committed: get("image.committed") },
    containers: {
      running: get("container.running"),
      created: get("container.created"),
      exited: get("container.exited"),
    },
    containerIds: {
      running: get("container.runningId"),
      created: get("container.createdId"),
      exited: get("container.exitedId"),
    },
    exitStatus: int("container.exitStatus"),
    runningPid: int("task.running.pid"),
    committedTopChainId: get("image.committedTopChainId"),
  };
}

function describeWork(work: string): string {
  const tail = (file: string, lines: number): string => {
    try {
      return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return `(no ${file})`;
    }
  };
  let tree: string;
  try {
    tree = execFileSync(
      "find",
      [
        work,
        "-xdev",
        "(",
        "-path",
        "*/diff/*",
        "-o",
        "-path",
        "*/merged/*",
        "-o",
        "-path",
        "*/containerd/*",
        ")",
      ].concat(["-prune", "-o", "-printf", "%M %10s %p%l\n"]),
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (e) {
    tree = `(cannot list ${work}: ${e instanceof Error ? e.message : String(e)})`;
  }
  return [
    `== tree of ${work} (layer contents left out)`,
    tree.trimEnd(),
    `== ${join(work, "facts")}`,
    tail(join(work, "facts"), 200),
    "== dockerd.log (last 30 lines)",
    tail(join(work, "docker", "dockerd.log"), 30),
  ].join("\n");
}

function pidAlive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const name = /^Name:\s*(\S+)/m.exec(status)?.[1];
    const state = /^State:\s*(\S)/m.exec(status)?.[1];
    return name === "dockerd" && state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

class LiveDockerBed implements DockerBed {
  readonly root: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly logPath: string;
  readonly facts: DockerBedFacts;

  readonly isContainerdStore: boolean;

  constructor(
    readonly work: string,
    readonly version: DockerVersion,
    factsText: string,
  ) {
    this.isContainerdStore = version === "26-containerd";
    this.root = join(work, "docker", "root");
    this.execRoot = join(work, "docker", "exec");
    this.socket = join(work, "docker", "docker.sock");
    this.logPath = join(work, "docker", "dockerd.log");
    this.facts = factsFrom(parsePairs(factsText), join(work, "facts"));
  }

  dockerResult(args: readonly string[]): DockerResult {
    // 26: the daemon's own client, chrooted in the bed's trixie root (the socket is at the same path there)
    const argv =
      this.version === "20.10"
        ? [DOCKER_BIN]
        : ["chroot", join(this.work, "trixie", "root"), "/usr/bin/docker"];
    const [cmd = DOCKER_BIN, ...pre] = argv;
    const r = spawnSync(cmd, [...pre, "-H", `unix://${this.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  docker(args: readonly string[]): string {
    const r = this.dockerResult(args);
    if (r.status !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`);
    return r.stdout;
  }

  fault(name: "missing-link" | "restore-link" | "container-layer" | "image-layer"): Map<string, string> {
    const r = spawnSync("bash", [join(scriptsDir(), "60-fault.sh"), name], {
      encoding: "utf8",
      env: { ...process.env, CRIFS_DBED: this.work, DOCKER_BIN, DOCKER_VERSION: this.version },
    });
    if (r.status !== 0) throw new Error(`docker bed: 60-fault.sh ${name} failed: ${r.stderr.trim()}`);
    return parsePairs(r.stdout);
  }

  async stopDockerd(): Promise<void> {
    await mustRun("80-dockerd-stop.sh", [], this.work, this.version);
  }

  async startDockerd(): Promise<void> {
    await mustRun("20-dockerd-start.sh", [], this.work, this.version);
  }

  isDockerdRunning(): boolean {
    try {
      return pidAlive(Number(readFileSync(join(this.work, "docker", "dockerd.pid"), "utf8").trim()));
    } catch {
      return false;
    }
  }

  async teardown(): Promise<void> {
    const r = await runScript("90-teardown.sh", [], this.work, this.version);
    if (r.status !== 0)
      throw new Error(`docker bed: teardown of ${this.work} failed (exit ${r.status}):\n${r.stderr.trim()}`);
  }

  describe(): string {
    return describeWork(this.work);
  }
}

/** Builds a fresh docker bed from `ociArchive` and returns it with dockerd running. Takes a few seconds (for 26
 * the first time also the trixie root, about 90 s). */
export async function startDockerBed(
  ociArchive: string,
  version: DockerVersion = "20.10",
): Promise<DockerBed> {
  const why = dockerBedUnavailable();
  if (why !== undefined) throw new Error(`cannot start the docker test bed: ${why}`);
  const work = resolve(mkdtempSync("/var/tmp/crifs-dbed."));
  const up = await runScript("up.sh", [ociArchive], work, version);
  if (up.status !== 0) {
    const tree = describeWork(work);
    const down = await runScript("90-teardown.sh", [], work, version);
    throw new Error(
      `docker bed: up.sh failed (exit ${up.status}) in ${work}:\n${up.stderr.trim()}\n${tree}` +
        (down.status === 0 ? "" : `\nteardown failed too:\n${down.stderr.trim()}`),
    );
  }
  try {
    return new LiveDockerBed(work, version, readFileSync(join(work, "facts"), "utf8"));
  } catch (e) {
    await runScript("90-teardown.sh", [], work, version);
    throw e;
  }
}
