// test/bed/cri-bed.ts: the CRI bed, its own containerd (1.6, 1.7 or 2.1) with the CRI plugin (test/bed/cri/cri-bed.sh),
// driven like kubelet: PullImage → RunPodSandbox → CreateContainer → StartContainer, with the pod's
// LogDirectory under a private log root and the /var/log/containers-style link kubelet makes. The bed
// object keeps the CRI responses it got and the log paths (for the logs suite).
//
// Needs root and the Debian packages of the main bed plus containernetworking-plugins, docker-registry and
// skopeo; criBedUnavailable() says what is missing.

import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CriClient, type CriContainer, type CriImage, type CriPodSandbox } from "../../src/live/cri.js";
import type { ContainerdVersion } from "./bed.js";

export interface CriBed {
  /** the bed's dir (short: the socket path must stay under 108 characters) */
  readonly work: string;
  readonly root: string;
  readonly state: string;
  readonly socket: string;
  readonly configPath: string;
  /** The containerd line it runs, and the dir of that containerd's binaries (containerd, ctr, shim). */
  readonly containerd: ContainerdVersion;
  readonly binDir: string;
  readonly netns: string;
  /** stands in for /var/log: `pods/<ns>_<pod>_<uid>/<container>/0.log` and `containers/*.log` below it */
  readonly logRoot: string;
  /** the pod's LogDirectory (`<logRoot>/pods/<ns>_<pod>_<uid>`) */
  readonly podLogDir: string;
  /** the app container's log file (LogDirectory + LogPath) */
  readonly containerLogPath: string;
  /** kubelet's link `<logRoot>/containers/<pod>_<ns>_<container>-<id>.log` → containerLogPath */
  readonly containerLogLink: string;
  readonly pod: {
    readonly id: string;
    readonly name: string;
    readonly namespace: string;
    readonly uid: string;
  };
  readonly container: { readonly id: string; readonly name: string };
  /** image refs as pushed to the bed's registry */
  readonly images: { readonly app: string; readonly pause: string };
  /** the app image's id (PullImage's image_ref) */
  readonly appImageId: string;
  /** a CRI client on the bed's socket (60 s deadline) */
  readonly cri: CriClient;
  /** what the CRI said right after the pod started */
  readonly seen: { pods: CriPodSandbox[]; containers: CriContainer[]; images: CriImage[] };
  /** ctr against the bed's containerd */
  ctr(args: readonly string[], ns?: string): string;
  /** Stops the pod through CRI (CNI DEL), then containerd, the registry, shims, mounts, netns, cgroups; removes the dir. */
  teardown(): Promise<void>;
}

const requiredCommands = ["containerd", "ctr", "runc", "umoci", "skopeo", "docker-registry", "nsenter", "ip"];

function onPath(cmd: string): boolean {
  return ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"].some((d) => existsSync(join(d, cmd)));
}

/** Why the CRI bed cannot start here, or undefined if it can. */
export function criBedUnavailable(): string | undefined {
  const missing = requiredCommands.filter((c) => !onPath(c));
  if (!existsSync("/usr/lib/cni/bridge")) missing.push("/usr/lib/cni/bridge");
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(", ")} (apt-get install containerd runc umoci skopeo docker-registry containernetworking-plugins)`;
}

/**
 * The skip option of a suite that needs the CRI bed: skipped only when the bed cannot start AND
 * CRIFS_SKIP_INTEGRATION=1 says so (loudly); otherwise the suite runs and its start fails with the reason,
 * so a machine without the packages never passes by skipping.
 */
export function criSkip(unavailable: string | undefined): string | false {
  if (unavailable === undefined) return false;
  if (process.env.CRIFS_SKIP_INTEGRATION === "1") {
    console.error(`!! SKIPPING the CRI bed's suites (CRIFS_SKIP_INTEGRATION=1): ${unavailable}`);
    return `no CRI bed: ${unavailable}`;
  }
  return false;
}

function script(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const c of [join(dir, "cri", "cri-bed.sh"), join(dir, "test", "bed", "cri", "cri-bed.sh")]) {
      if (existsSync(c)) return c;
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find test/bed/cri/cri-bed.sh");
}

function run(action: "up" | "down", env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      "bash",
      [script(), action],
      { env: { ...process.env, ...env }, maxBuffer: 16 << 20 },
      (err, _o, stderr) => (err ? fail(new Error(`cri bed: ${action} failed: ${stderr.trim()}`)) : done()),
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the CRI bed with containerd `containerd` (default 1.6, Debian 12's) and one pod running the app. */
export async function startCriBed(containerd: ContainerdVersion = "1.6"): Promise<CriBed> {
  const unavailable = criBedUnavailable();
  if (unavailable !== undefined) throw new Error(`cri bed: cannot start: ${unavailable}`);
  const work = mkdtempSync("/var/tmp/crifs-cri.");
  const tag = work.slice(-6).replace(/[^A-Za-z0-9]/g, "x");
  const env = { TB: work, NETNS: `crifs-cri-${tag}`, CG: `crifs-cri-${tag}`, CONTAINERD: containerd };
  const socket = join(work, "ctd", "containerd.sock");
  const teardownScript = () => run("down", env);
  try {
    await run("up", env);
  } catch (err) {
    await teardownScript().catch(() => {});
    throw err;
  }
  const binDir = readFileSync(join(work, "ctd", "bindir"), "utf8").trim();
  const cri = new CriClient(socket, 60_000);
  const logRoot = join(work, "logs");
  let podId = "";
  try {
    // the CNI conf loads asynchronously: wait for NetworkReady
    for (let i = 0; i < 250; i++) {
      const st = await cri.runtime<{ status: { conditions: { type: string; status: boolean }[] } }>(
        "Status",
        {},
      );
      if (st.status.conditions.every((c) => c.status)) break;
      await sleep(20);
    }
    const images = { app: "127.0.0.1:5000/bb:latest", pause: "127.0.0.1:5000/pause:3.9" };
    const { image_ref: appImageId } = await cri.image<{ image_ref: string }>("PullImage", {
      image: { image: images.app },
    });
    const uid = `uid-${tag}`;
    const pod = { name: "demo", namespace: "crifs", uid };
    const podLogDir = join(logRoot, "pods", `${pod.namespace}_${pod.name}_${uid}`);
    const nsOptions = { network: "POD", pid: "CONTAINER", ipc: "POD" };
    const sandboxConfig = {
      metadata: { name: pod.name, uid, namespace: pod.namespace, attempt: 0 },
      hostname: pod.name,
      log_directory: podLogDir,
      labels: {
        "io.kubernetes.pod.name": pod.name,
        "io.kubernetes.pod.namespace": pod.namespace,
        "io.kubernetes.pod.uid": uid,
      },
      annotations: { "crifs.test/bed": "cri" },
      linux: { cgroup_parent: `/${env.CG}/pod${uid}`, security_context: { namespace_options: nsOptions } },
    };
    podId = (
      await cri.runtime<{ pod_sandbox_id: string }>("RunPodSandbox", {
        config: sandboxConfig,
        runtime_handler: "",
      })
    ).pod_sandbox_id;
    const containerName = "app";
    const { container_id: containerId } = await cri.runtime<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: podId,
      config: {
        metadata: { name: containerName, attempt: 0 },
        image: { image: appImageId },
        log_path: `${containerName}/0.log`,
        labels: {
          "io.kubernetes.container.name": containerName,
          "io.kubernetes.pod.name": pod.name,
          "io.kubernetes.pod.namespace": pod.namespace,
          "io.kubernetes.pod.uid": uid,
        },
        annotations: { "io.kubernetes.container.restartCount": "0" },
        linux: { resources: {}, security_context: { namespace_options: nsOptions } },
      },
      sandbox_config: sandboxConfig,
    });
    await cri.runtime("StartContainer", { container_id: containerId });
    const containerLogPath = join(podLogDir, containerName, "0.log");
    mkdirSync(join(logRoot, "containers"), { recursive: true });
    const containerLogLink = join(
      logRoot,
      "containers",
      `${pod.name}_${pod.namespace}_${containerName}-${containerId}.log`,
    );
    symlinkSync(containerLogPath, containerLogLink);
    const seen = {
      pods: await cri.listPods(),
      containers: await cri.listContainers(),
      images: await cri.listImages(),
    };
    return {
      work,
      root: join(work, "ctd", "root"),
      state: join(work, "ctd", "state"),
      socket,
      configPath: join(work, "ctd", "config.toml"),
      containerd,
      binDir,
      netns: env.NETNS,
      logRoot,
      podLogDir,
      containerLogPath,
      containerLogLink,
      pod: { id: podId, ...pod },
      container: { id: containerId, name: containerName },
      images,
      appImageId,
      cri,
      seen,
      ctr: (args, ns) =>
        execFileSync(
          join(binDir, "ctr"),
          ["-a", socket, "--connect-timeout", "2s", ...(ns === undefined ? [] : ["-n", ns]), ...args],
          {
            encoding: "utf8",
          },
        ),
      async teardown() {
        try {
          await cri.runtime("StopPodSandbox", { pod_sandbox_id: podId }, 20_000);
          await cri.runtime("RemovePodSandbox", { pod_sandbox_id: podId }, 20_000);
        } catch {
          // the scripted teardown below kills whatever is left
        }
        cri.close();
        await teardownScript();
      },
    };
  } catch (err) {
    cri.close();
    await teardownScript().catch(() => {});
    throw err;
  }
}
