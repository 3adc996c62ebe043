// cli/main.ts — the one boundary: parse flags, run a command, print its output; catch every error and print
// one line (`crifs: <path>: <problem> (hint: <remedy>)`), set the exit code. `--debug` adds the cause chain.

import { Command, CommanderError, Option } from "commander";
import { CrifsError, exitCodes } from "../errors.js";
import { logDirFlags } from "../logs/log-dirs.js";
import { adapters } from "../runtimes/index.js";
import { auditCommand } from "./commands/audit.js";
import { containersCommand } from "./commands/containers.js";
import { registerDoctor } from "./commands/doctor.js";
import { duCommand, imageFsInfoCommand } from "./commands/du.js";
import { registerFsCommand } from "./commands/fs.js";
import { imagesCommand } from "./commands/images.js";
import { infoCommand } from "./commands/info.js";
import { inspectCommand } from "./commands/inspect.js";
import { inspectpCommand } from "./commands/inspectp.js";
import { registerLinksCommand } from "./commands/links.js";
import { registerLogsCommand } from "./commands/logs.js";
import { mountsCommand } from "./commands/mounts.js";
import { podsCommand } from "./commands/pods.js";
import { psCommand } from "./commands/ps.js";
import { snapshotsCommand } from "./commands/snapshots.js";
import { imageFsInfoLive, statsCommand } from "./commands/stats.js";
import { versionCommand } from "./commands/version.js";
import { registerWhy } from "./commands/why.js";
import { outputFormats, parseFormat } from "./render/format.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, openStores, openStoresLive } from "./stores.js";

export const VERSION = "0.1.0";

function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, string | boolean | undefined>;
  const pick = (k: string) => (typeof o[k] === "string" ? { [k]: o[k] as string } : {});
  return {
    ...pick("runtime"),
    ...pick("root"),
    ...pick("state"),
    ...pick("config"),
    ...pick("namespace"),
    ...pick("address"),
    ...pick("hostRoot"),
    output: parseFormat(typeof o.output === "string" ? o.output : "table"),
    debug: o.debug === true,
    offline: o.offline === true,
    timeoutMs: parseTimeout(typeof o.timeout === "string" ? o.timeout : undefined),
  };
}

/** --timeout: "5", "5s", "500ms", "2.5s" → milliseconds. */
function parseTimeout(v: string | undefined): number {
  if (v === undefined) return DEFAULT_TIMEOUT_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v.trim());
  if (m === null || Number(m[1]) <= 0) {
    throw new CrifsError("usage", `cannot use timeout "${v}": not a positive duration`, {
      remedy: "pass --timeout 5s or --timeout 500ms",
    });
  }
  return m[2] === "ms" ? Number(m[1]) : Number(m[1]) * 1000;
}

function program(write: (s: string) => void, setStatus: (code: number) => void = () => {}): Command {
  const p = new Command("crifs")
    .description("show, check and mend the storage of containerd, CRI-O/Podman and Docker")
    .version(VERSION)
    .addOption(
      new Option("--runtime <name>", "runtime whose store to read (default: every one found)").choices(
        adapters.map((a) => a.id),
      ),
    )
    .option(
      "--host-root <dir>",
      "find every runtime's store under DIR as if it were / (a node's disk mounted here)",
    )
    .option("--root <dir>", "storage root (containerd: /var/lib/containerd; podman, crio: the graphroot)")
    .option("--state <dir>", "state dir (containerd: /run/containerd; podman, crio: the runroot)")
    .option(
      "--config <file>",
      "runtime config file (containerd: /etc/containerd/config.toml; podman: storage.conf; crio: crio.conf)",
    )
    .option("-n, --namespace <ns>", "only this namespace (default: all)")
    .addOption(
      new Option("-o, --output <format>", "output format").choices([...outputFormats]).default("table"),
    )
    .option("--debug", "print the cause chain of errors")
    .option(
      "--address <socket>",
      "runtime socket to read live (like crictl --runtime-endpoint; default: /etc/crictl.yaml, else containerd's grpc.address)",
    )
    .option("--offline", "read the files even when the runtime answers")
    .option("--timeout <duration>", "deadline of each call to the runtime (5s, 500ms)", "5s")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: () => {} });

  const withStores = (fn: (this: Command, g: GlobalOptions, ...args: string[]) => string | Promise<string>) =>
    async function (this: Command, ...args: unknown[]) {
      write(await fn.call(this, globals(this), ...args.filter((a): a is string => typeof a === "string")));
    };

  p.command("audit")
    .description(
      "the main job: every runtime store on this host (or the bundled sample), what it holds, what is wrong",
    )
    .option("--sample", "audit the bundled sample store even where a runtime store is found")
    .action(async function (this: Command) {
      const r = await auditCommand(globals(this), { forceSample: this.opts().sample === true });
      write(r.text);
      setStatus(r.exitCode);
    });
  p.command("info")
    .description("runtime stores found: root, state, config, settings, counts")
    .option(
      "--docker-host <unix://path>",
      "docker's socket, for its own view (default $DOCKER_HOST, /var/run/docker.sock)",
    )
    .option("--crio-socket <path>", "CRI-O's socket, for its own view (default /var/run/crio/crio.sock)")
    .action(
      withStores(async function (this: Command, g) {
        const o = this.opts() as { dockerHost?: string; crioSocket?: string };
        return infoCommand(await openStoresLive(g), g, {
          ...(o.dockerHost === undefined ? {} : { dockerHost: o.dockerHost }),
          ...(o.crioSocket === undefined ? {} : { crioSocket: o.crioSocket }),
        });
      }),
    );
  p.command("images")
    .description("images of every namespace (name, target digest, media type, size, layers)")
    .action(withStores(async (g) => imagesCommand(await openStoresLive(g), g)));
  const snaps = p
    .command("snapshots")
    .alias("layers")
    .description("snapshots (layers) of every namespace and snapshotter: key, parent, kind, dir id, path")
    .action(withStores(async (g) => snapshotsCommand(await openStoresLive(g), g)));
  snaps
    .command("tree")
    .description("snapshots under their parents, marked committed/active/view")
    .action(withStores(async (g) => snapshotsCommand(await openStoresLive(g), g, true)));
  p.command("containers")
    .description("containers with their task status and pid")
    .action(withStores(async (g) => containersCommand(await openStoresLive(g), g)));
  p.command("inspect")
    .argument("<ref>", "container id, snapshot key, image name or digest (or a unique prefix)")
    .description("one object with its parents, children, users, mount and task")
    .option(
      "--crio-socket <path>",
      "CRI-O's socket, for its view of a container (default /var/run/crio/crio.sock)",
    )
    .action(
      withStores(async function (this: Command, g, ref) {
        const o = this.opts() as { crioSocket?: string };
        return inspectCommand(await openStoresLive(g), g, ref as string, {
          ...(o.crioSocket === undefined ? {} : { crioSocket: o.crioSocket }),
        });
      }),
    );
  p.command("mounts")
    .argument("<ref>", "container id or snapshot key")
    .description("the overlay mount rebuilt from metadata: lowerdir nearest parent first, upperdir, workdir")
    .action(withStores((g, ref) => mountsCommand(openStores(g), g, ref as string)));
  registerFsCommand(p, { write, globals });
  registerLinksCommand(p, { write, globals });
  registerLogsCommand(p, { write, globals });
  p.command("du")
    .description(
      "every allocated byte under the root attributed: layers, writable layers, views, blobs, leaks, …",
    )
    .option("--no-cache", "walk committed layers again instead of using their cached scans")
    .option("--log-root <dir>", "kubelet's pod log dir to measure (default /var/log/pods, without --root)")
    .action(
      withStores(function (this: Command, g) {
        return duCommand(openStores(g), g, {
          cache: this.opts().cache !== false,
          logDirs: logDirFlags(this.opts() as Record<string, unknown>),
        });
      }),
    );
  p.command("imagefsinfo")
    .description(
      "CRI ImageFsInfo (used bytes, inodes, mountpoint) computed from disk (namespace k8s.io unless -n)",
    )
    .action(withStores(async (g) => (await imageFsInfoLive(g)) ?? imageFsInfoCommand(openStores(g), g)));
  p.command("version")
    .description("crifs's version and the runtime's (CRI Version, containerd Version) when it answers")
    .action(withStores((g) => versionCommand(g, VERSION)));
  p.command("pods")
    .description("Kubernetes pod sandboxes (CRI ListPodSandbox live; sandbox containers from disk)")
    .action(withStores((g) => podsCommand(g)));
  p.command("ps")
    .description("containers of Kubernetes pods (CRI ListContainers live; labelled containers from disk)")
    .action(withStores((g) => psCommand(g)));
  p.command("inspectp")
    .argument("<pod>", "pod sandbox id (or a unique prefix) or pod name")
    .description("one pod sandbox: CRI PodSandboxStatus (verbose) live; the pod and its containers from disk")
    .action(withStores((g, ref) => inspectpCommand(g, ref as string)));
  p.command("stats")
    .description(
      "CPU, memory and writable-layer use of running containers (CRI ListContainerStats; live only)",
    )
    .action(withStores((g) => statsCommand(g)));
  registerDoctor(p, { write, globals, setStatus });
  registerWhy(p, { write, globals });
  return p;
}

function describe(err: unknown, debug: boolean): { line: string; code: number } {
  if (err instanceof CrifsError) {
    let line = err.oneLine();
    if (debug) {
      let c: unknown = err.cause;
      for (let i = 0; c !== undefined && i < 8; i++) {
        line += `\n  caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`;
        c = c instanceof Error ? c.cause : undefined;
      }
    }
    return { line, code: exitCodes[err.code] };
  }
  const msg = err instanceof Error ? err.message : String(err);
  const line =
    debug && err instanceof Error
      ? (err.stack ?? msg)
      : `internal error: ${msg.split("\n")[0]} (hint: rerun with --debug and report it)`;
  return { line, code: 70 };
}

/** Runs crifs with argv (without node and script); returns the exit code. Never throws. */
export async function run(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const out: string[] = [];
  const write = (s: string) => {
    out.push(s);
  };
  let status = 0; // raised by commands that report through their exit code (doctor)
  try {
    await program(write, (code) => {
      status = Math.max(status, code);
    }).parseAsync([...argv], { from: "user" });
    process.stdout.write(out.join(""));
    return status;
  } catch (err) {
    process.stdout.write(out.join(""));
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      process.stderr.write(
        `crifs: ${err.message.replace(/^error: /, "").split("\n")[0]} (hint: crifs --help)\n`,
      );
      return exitCodes.usage;
    }
    const d = describe(err, debug);
    process.stderr.write(`crifs: ${d.line}\n`);
    return d.code;
  }
}
