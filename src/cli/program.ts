// cli/program.ts — the command line: every command with its flags, and the module that runs it, loaded only
// when that command runs (loading every command's code took as long as a cached `crifs du`).

import { once } from "node:events";
import { Argument, Command, Option } from "commander";
import { CrifsError } from "../errors.js";
import { logDirFlags } from "../logs/log-dirs.js";
import { adapters } from "../runtimes/index.js";
import { examplesText } from "./examples.js";
import { packageVersion } from "./package-version.js";
import { outputFormats, parseFormat } from "./render/format.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, openStores, openStoresLive } from "./stores.js";

/** crifs's version: package.json's, read once at startup. */
export const VERSION = packageVersion();

/** Output formats only doctor has (its findings as metrics, or node-problem-detector's plugin answer). */
const doctorFormats = ["prometheus", "npd"] as const;

/** `-o` when it names one of doctorFormats, else undefined (globals() takes the others). */
function doctorFormat(cmd: Command): (typeof doctorFormats)[number] | undefined {
  const o = cmd.optsWithGlobals().output;
  return doctorFormats.find((f) => f === o);
}

/**
 * -o: its formats are offered to completion and help (argChoices) but not enforced by commander (no
 * .choices()), since `crifs export ID -o FILE.tar` names a file with the same flag; globals() checks them.
 */
function outputOption(): Option {
  const o = new Option(
    "-o, --output <format>",
    `output format: ${outputFormats.join(", ")} (doctor also: ${doctorFormats.join(", ")}; export: a file)`,
  ).default("table");
  o.argChoices = [...outputFormats, ...doctorFormats];
  return o;
}

export function globals(cmd: Command, override: { output?: string } = {}): GlobalOptions {
  const o: Record<string, string | boolean | undefined> = {
    ...(cmd.optsWithGlobals() as Record<string, string | boolean | undefined>),
    ...override,
  };
  if (override.output === undefined && doctorFormat(cmd) !== undefined && cmd.name() !== "doctor") {
    throw new CrifsError(
      "usage",
      `cannot print ${cmd.name()} as "${o.output}": only doctor has that output`,
      {
        remedy: `use -o ${outputFormats.join(", ")}`,
      },
    );
  }
  const pick = (k: string) => (typeof o[k] === "string" ? { [k]: o[k] as string } : {});
  return {
    ...pick("runtime"),
    ...pick("root"),
    ...pick("state"),
    ...pick("config"),
    // ctr's variable, when -n is not given
    ...(typeof o.namespace === "string"
      ? { namespace: o.namespace }
      : process.env.CONTAINERD_NAMESPACE
        ? { namespace: process.env.CONTAINERD_NAMESPACE }
        : {}),
    ...pick("address"),
    ...pick("hostRoot"),
    // doctor's own formats: its action reads -o itself (doctorFormat); the rest of it renders as JSON would
    output:
      override.output === undefined && doctorFormat(cmd) !== undefined
        ? "json"
        : parseFormat(typeof o.output === "string" ? o.output : "table"),
    debug: o.debug === true,
    offline: o.offline === true,
    timeoutMs: parseTimeout(typeof o.timeout === "string" ? o.timeout : undefined),
    quiet: o.quiet === true,
    noHeaders: o.headers === false,
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

/** The program; `write` takes the output, `setStatus` raises the exit code (doctor). */
/**
 * Writes streamed output (fs ls, fs find, links) to stdout as it is made, about 64 KiB at a time: waits for a
 * full pipe to drain, and gives the event loop a turn after each piece, so that a reader that went away (EPIPE)
 * ends the run at once (cli/main.ts) rather than after the whole listing. Chunks that come asynchronously (rows
 * written as they are found, between walks) are written as each comes, never held for the next. A Buffer
 * chunk (a big table laid out as bytes) is written as it is, after the text before it.
 */
async function writeChunks(
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  let pending = "";
  const send = async (data: string | Uint8Array) => {
    const drained = process.stdout.write(data);
    if (!drained) await once(process.stdout, "drain");
    else await new Promise((resolve) => setImmediate(resolve));
  };
  const flush = async () => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    await send(text);
  };
  const isAsync = Symbol.asyncIterator in chunks;
  for await (const chunk of chunks) {
    if (typeof chunk !== "string") {
      await flush();
      if (chunk.length > 0) await send(chunk);
      continue;
    }
    pending += chunk;
    if (isAsync || pending.length >= 1 << 16) await flush();
  }
  await flush();
}

/** crictl's filters (cli/row-filter.ts) on a listing of containers or pods. */
function filterOptions(cmd: Command): Command {
  return cmd
    .option("--name <regexp>", "only rows whose name matches (a regular expression, as crictl's)")
    .option(
      "--label <key=value>",
      "only rows with this label (repeat: all of them; key alone: any value)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      "--pod <pod>",
      "only rows of this pod: a pod sandbox id prefix (containers: pod uid) or pod name",
    );
}

export function program(write: (s: string) => void, setStatus: (code: number) => void = () => {}): Command {
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
    .option(
      "--state <dir>",
      "state dir (containerd: /run/containerd; podman, crio: the runroot); not crictl's --state filter: ps lists every state",
    )
    .option(
      "--config <file>",
      "runtime config file (containerd: /etc/containerd/config.toml; podman: storage.conf; crio: crio.conf)",
    )
    .option("-n, --namespace <ns>", "only this namespace (default: $CONTAINERD_NAMESPACE, else all)")
    // no .choices(): `crifs export ID -o FILE.tar` names a file with the same flag, and commander would check
    // it against the formats before export sees it; globals() checks the format (parseFormat) instead
    .addOption(outputOption())
    .option("--debug", "print the cause chain of errors")
    .option(
      "--address <socket>",
      "runtime socket to read live (like crictl --runtime-endpoint; default: $CONTAINER_RUNTIME_ENDPOINT, $CONTAINERD_ADDRESS, /etc/crictl.yaml, else containerd's grpc.address)",
    )
    .option("--offline", "read the files even when the runtime answers")
    .option("--timeout <duration>", "deadline of each call to the runtime (5s, 500ms)", "5s")
    .option("-q, --quiet", "list commands: only each row's id, one a line (the ids of -o json)")
    .option("--no-progress", "no progress line on stderr (there is one only when stderr is a terminal)")
    .option("--no-color", "no colour (crifs prints none; accepted, like NO_COLOR, for scripts that pass it)")
    .option("--no-headers", "list commands: the table without its header line")
    .hook("preAction", async (_p, action) => {
      if (action.optsWithGlobals().progress === false)
        (await import("./render/progress.js")).setProgressEnabled(false);
    })
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
      const { auditCommand } = await import("./commands/audit.js");
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
        const { infoCommand } = await import("./commands/info.js");
        return infoCommand(await openStoresLive(g), g, {
          ...(o.dockerHost === undefined ? {} : { dockerHost: o.dockerHost }),
          ...(o.crioSocket === undefined ? {} : { crioSocket: o.crioSocket }),
        });
      }),
    );
  p.command("images")
    .description("images of every namespace (name, target digest, media type, size, layers)")
    .action(
      withStores(async (g) =>
        (await import("./commands/images.js")).imagesCommand(await openStoresLive(g), g),
      ),
    );
  const snaps = p
    .command("snapshots")
    .alias("layers")
    .description("snapshots (layers) of every namespace and snapshotter: key, parent, kind, dir id, path")
    .action(
      withStores(async (g) =>
        (await import("./commands/snapshots.js")).snapshotsCommand(await openStoresLive(g), g),
      ),
    );
  snaps
    .command("tree")
    .description("snapshots under their parents, marked committed/active/view")
    .action(
      withStores(async (g) =>
        (await import("./commands/snapshots.js")).snapshotsCommand(await openStoresLive(g), g, true),
      ),
    );
  filterOptions(p.command("containers"))
    .description("containers with their task status and pid")
    .action(
      withStores(async function (this: Command, g) {
        const { containersCommand } = await import("./commands/containers.js");
        const { parseRowFilter } = await import("./row-filter.js");
        return containersCommand(await openStoresLive(g), g, parseRowFilter(this.opts()));
      }),
    );
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
        const { inspectCommand } = await import("./commands/inspect.js");
        return inspectCommand(await openStoresLive(g), g, ref as string, {
          ...(o.crioSocket === undefined ? {} : { crioSocket: o.crioSocket }),
        });
      }),
    );
  p.command("mounts")
    .argument("<ref>", "container id or snapshot key")
    .description("the overlay mount rebuilt from metadata: lowerdir nearest parent first, upperdir, workdir")
    .action(
      withStores(async (g, ref) =>
        (await import("./commands/mounts.js")).mountsCommand(openStores(g), g, ref as string),
      ),
    );
  p.command("fs")
    .argument("<container>", "container id (or a unique prefix)")
    .addArgument(new Argument("<action>", "ls, stat, cat or find").choices(["ls", "stat", "cat", "find"]))
    .argument("[path]", "path inside the container (default /)")
    .description("read a container's merged root without mounting: ls -la, stat, cat, find")
    .action(async function (
      this: Command,
      ref: string,
      action: "ls" | "stat" | "cat" | "find",
      path?: string,
    ) {
      const g = globals(this);
      const { fsCommand } = await import("./commands/fs.js");
      const out = fsCommand(openStores(g), { ref, action, path, output: g.output });
      // cat writes bytes as they are (binaries too); stat's text goes through the writer; ls and find
      // stream: their chunks are written as they are made, so a dir of millions is never held whole
      if (typeof out === "string") write(out);
      else if (Buffer.isBuffer(out)) process.stdout.write(out);
      else await writeChunks(out);
    });
  p.command("export")
    .argument("<ref>", "container id or name, or image name or digest (or a unique prefix)")
    .description(
      "the merged root of a container (or an image's layers) as a tar archive, like docker export; daemon down too",
    )
    .addHelpText(
      "after",
      "\nThe archive goes to stdout (never to a terminal), or to FILE with the global -o, --output FILE\n(-o - is stdout, as tar takes it; a file named - is -o ./-).",
    )
    .action(async function (this: Command, ref: string) {
      // -o here is the archive's file (docker export -o); it is the program's option, read raw
      // `-o -` is stdout, as tar takes it (docker export makes a file named "-"; -o ./- does that)
      const named = p.getOptionValueSource("output") === "default" ? null : String(p.opts().output);
      const file = named === "-" ? null : named;
      const g = globals(this, { output: "table" });
      const { exportCommand } = await import("./commands/export.js");
      await exportCommand(openStores(g), ref, {
        file,
        stdout: process.stdout,
        warn: (line) => process.stderr.write(`${line}\n`),
      });
    });
  p.command("diff")
    .argument("<container>", "container id or name (or a unique prefix)")
    .description(
      "what a container changed against its image: A/C/D per path, like docker diff and podman diff; daemon down too",
    )
    .action(async function (this: Command, ref: string) {
      const g = globals(this);
      const { diffCommand } = await import("./commands/diff.js");
      await writeChunks(diffCommand(openStores(g), ref, g.output));
    });
  p.command("clone")
    .argument(
      "<ref>",
      "container id or name, or snapshot (layer) key, or with --merged an image (or a unique prefix)",
    )
    .argument("<dest>", "the new dir (absent, or an empty dir); made whole or not at all")
    .description(
      "copy a snapshot's (layer's) or container's own dir faithfully: owners, modes, times, xattrs, devices, links",
    )
    .addOption(
      new Option("--mode <mode>", "reflink where the filesystem can, else copy (auto); or force one")
        .choices(["auto", "reflink", "hardlink", "copy"])
        .default("auto"),
    )
    .option("--verify", "compare the manifests of both trees afterwards (exit 1 on a difference)")
    .option("--force", "with --mode hardlink: share the inodes of a writable layer anyway")
    .option(
      "--merged",
      "a container's (or an image's) merged root as its kernel would show it: whiteouts and opaque dirs applied, nothing mounted",
    )
    .action(async function (this: Command, ref: string, dest: string) {
      const { cloneAction } = await import("./commands/clone.js");
      const r = await cloneAction(globals(this), ref, dest, this.opts() as Record<string, unknown>);
      setStatus(r.exitCode);
      write(r.text);
    });
  p.command("links")
    .argument("[container]", "container id (or a unique prefix); all containers when left out")
    .option(
      "--shared",
      "also hard links across layers and identical files in different layers (reads every candidate file)",
    )
    // the default since --shared exists; kept so that scripts written for it still run
    .addOption(
      new Option("--broken-only", "only broken symlinks (the default)").hideHelp().conflicts("shared"),
    )
    .description(
      "broken symlinks of each container's root (resolved inside it); --shared: hard links across layers, duplicate files",
    )
    .action(async function (this: Command, ref: string | undefined) {
      const g = globals(this);
      const { linksCommand } = await import("./commands/links.js");
      // written as it is rendered: 10^5 broken links are never one string
      await writeChunks(await linksCommand(openStores(g), g, ref, { shared: this.opts().shared === true }));
    });
  p.command("logs")
    .argument("<container>", "container id (or unique prefix) or name")
    .description("the lines a container wrote (stdout and stderr, in order), read from its log files on disk")
    .option("--tail <n>", "only the last n lines")
    .option("-f, --follow", "keep printing lines as the container writes them (follows log rotation)")
    .option("--log-root <dir>", "kubelet's pod log dir (default /var/log/pods)")
    .option("--containers-log-dir <dir>", "kubelet's container log links (default /var/log/containers)")
    .action(async function (this: Command, ref: string) {
      const { logsAction } = await import("./commands/logs.js");
      await logsAction(globals(this), ref, this.opts() as Record<string, unknown>, write);
    });
  p.command("du")
    .description(
      "every allocated byte under the root attributed: layers, writable layers, views, blobs, leaks, …",
    )
    .option("--no-cache", "walk committed layers again instead of using their cached scans")
    .option("--log-root <dir>", "kubelet's pod log dir to measure (default /var/log/pods, without --root)")
    .action(
      withStores(async function (this: Command, g) {
        const { duCommand } = await import("./commands/du.js");
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
    .action(
      withStores(async (g) => {
        const live = await (await import("./commands/stats.js")).imageFsInfoLive(g);
        return live ?? (await import("./commands/du.js")).imageFsInfoCommand(openStores(g), g);
      }),
    );
  p.command("version")
    .description("crifs's version and the runtime's (CRI Version, containerd Version) when it answers")
    .action(withStores(async (g) => (await import("./commands/version.js")).versionCommand(g, VERSION)));
  filterOptions(p.command("pods"))
    .description("Kubernetes pod sandboxes (CRI ListPodSandbox live; sandbox containers from disk)")
    .action(
      withStores(async function (this: Command, g) {
        const { parseRowFilter } = await import("./row-filter.js");
        return (await import("./commands/pods.js")).podsCommand(g, parseRowFilter(this.opts()));
      }),
    );
  filterOptions(p.command("ps"))
    .description(
      "containers of Kubernetes pods in every state (CRI ListContainers live; labelled containers from disk)",
    )
    .action(
      withStores(async function (this: Command, g) {
        const { parseRowFilter } = await import("./row-filter.js");
        return (await import("./commands/ps.js")).psCommand(g, parseRowFilter(this.opts()));
      }),
    );
  p.command("inspectp")
    .argument("<pod>", "pod sandbox id (or a unique prefix) or pod name")
    .description("one pod sandbox: CRI PodSandboxStatus (verbose) live; the pod and its containers from disk")
    .action(
      withStores(async (g, ref) =>
        (await import("./commands/inspectp.js")).inspectpCommand(g, ref as string),
      ),
    );
  p.command("stats")
    .description(
      "CPU, memory and writable-layer use of running containers (CRI ListContainerStats; live only)",
    )
    .action(withStores(async (g) => (await import("./commands/stats.js")).statsCommand(g)));
  p.command("doctor")
    .description(
      "check the store: orphan and missing dirs, dangling parents, unreferenced snapshots and blobs, …",
    )
    .option("--check <id...>", "only these checks (ids: docs/json.md#doctor; an unknown id lists them)")
    .addOption(
      new Option("--quick", "metadata and dir listings only: no size walks (bytes are null)").conflicts(
        "verify",
      ),
    )
    .option("--verify", "also re-hash every blob against its digest (reads all content)")
    .option("--grace <seconds>", "objects younger than this are taken as in flight", "60")
    .option("--log-root <dir>", "kubelet's pod log dir to check (default /var/log/pods, without --root)")
    .option(
      "--containers-log-dir <dir>",
      "kubelet's container log links to check (default /var/log/containers, without --root)",
    )
    .option(
      "--textfile <dir>",
      "also write the metrics to DIR/crifs.prom (node_exporter's textfile collector)",
    )
    .option("--list-checks", "list the checks (id, runtimes, summary) and run none")
    .action(async function (this: Command) {
      if (this.opts().listChecks === true) {
        write((await import("./commands/doctor-checks.js")).listChecksCommand(globals(this)));
        return;
      }
      const { doctorAction } = await import("./commands/doctor.js");
      const format = doctorFormat(this);
      const r = await doctorAction(globals(this), {
        ...(this.opts() as Record<string, unknown>),
        ...(format === undefined ? {} : { format }),
      });
      setStatus(r.exitCode);
      await writeChunks(r.chunks); // 10^5 findings are never one string
    });
  p.command("explain")
    .argument(
      "[text...]",
      "the error text (default: read from stdin, e.g. journalctl -u containerd | crifs explain)",
    )
    .description(
      "what a runtime, kubelet or CRI error message means, the doctor findings that explain it here, and the next step",
    )
    .option("--grace <seconds>", "objects younger than this are taken as in flight", "60")
    .option("--log-root <dir>", "kubelet's pod log dir to check (default /var/log/pods, without --root)")
    .option(
      "--containers-log-dir <dir>",
      "kubelet's container log links to check (default /var/log/containers, without --root)",
    )
    .action(async function (this: Command, text: string[]) {
      const { explainAction } = await import("./commands/explain.js");
      const r = await explainAction(globals(this), text, this.opts() as Record<string, unknown>);
      setStatus(r.exitCode);
      await writeChunks(r.chunks);
    });
  p.command("repair")
    .description(
      "the plan that mends what doctor finds (changes nothing); --apply carries it out, journaled and undoable",
    )
    .option("--check <id...>", "only the findings of these checks")
    .option(
      "--apply",
      "carry the plan out: leftovers are moved into <root>/.crifs-quarantine, nothing deleted",
    )
    .option("--yes", "apply without asking (needed without a terminal)")
    .option("--undo [run]", "put back what a run moved (default: the latest run)")
    .option("--purge", "delete what finished runs quarantined (the only deletion crifs makes)")
    .option("--older-than <duration>", "with --purge: only runs older than this (7d, 12h, 30m)")
    .option("--list", "the runs in the quarantine: state, items, bytes")
    .option("--grace <seconds>", "objects younger than this are taken as in flight", "60")
    .option("--log-root <dir>", "kubelet's pod log dir (default /var/log/pods, without --root)")
    .option(
      "--containers-log-dir <dir>",
      "kubelet's container log links (default /var/log/containers, without --root)",
    )
    .action(async function (this: Command) {
      const { repairAction } = await import("./commands/repair.js");
      const r = await repairAction(globals(this), this.opts() as Record<string, unknown>);
      setStatus(r.exitCode);
      write(r.text);
    });
  p.command("serve")
    .description(
      "scan the stores on an interval and serve Prometheus /metrics, the commands' JSON (/api/v1/...), /healthz, /readyz",
    )
    .option("--listen <host:port>", "address to serve on (loopback unless told otherwise)", "127.0.0.1:9637")
    .option("--interval <duration>", "time from one scan's end to the next one's start (30s, 5m, 1h)", "5m")
    .option("--top-images <n>", "per store, only the N largest images get a crifs_image_bytes series", "10")
    .option("--token-file <file>", "require `Authorization: Bearer <token>` (every path but /healthz)")
    .option("--tls-cert <file>", "serve HTTPS with this PEM certificate (with --tls-key)")
    .option("--tls-key <file>", "the certificate's PEM private key")
    .option("--grace <seconds>", "doctor's: objects younger than this are taken as in flight", "60")
    .action(async function (this: Command) {
      const { serveAction } = await import("./commands/serve.js");
      await serveAction(globals(this), this.opts() as Record<string, unknown>);
    });
  p.command("relocate")
    .argument(
      "[newdir]",
      "where the root goes (absent or empty; on another disk it is copied, on the same one renamed)",
    )
    .description(
      "the plan that moves the store's root to NEWDIR (changes nothing); --apply copies, verifies and switches, journaled",
    )
    .addOption(
      new Option("--method <method>", "how the old path leads to NEWDIR")
        .choices(["bind", "symlink"])
        .default("bind"),
    )
    .option("--apply", "carry the plan out (the runtime must be stopped)")
    .option("--resume", "finish the interrupted run")
    .option("--rollback", "undo the latest run: the old root back under its name, the switch undone")
    .option("--keep-old", "keep the old root (renamed <root>.crifs-old-<run>) instead of quarantining it")
    .option("--systemd", "with --apply: stop the runtime's units first and start them after")
    .option("--fstab <file>", "where the bind's line goes", "/etc/fstab")
    .option(
      "--docker-host <url>",
      "Docker's socket, to tell whether dockerd runs (default $DOCKER_HOST or /var/run/docker.sock)",
    )
    .action(async function (this: Command, newDir: string | undefined) {
      const { relocateAction } = await import("./commands/relocate.js");
      const r = await relocateAction(globals(this), newDir, this.opts() as Record<string, unknown>);
      setStatus(r.exitCode);
      write(r.text);
    });
  p.command("web")
    .description("one scan, then a web view of it on a loopback port: snapshot graph, du treemap, findings")
    .option("--listen <host:port>", "address to serve on (default: loopback, a free port)", "127.0.0.1:0")
    .option("--open", "open the URL in the desktop's browser (xdg-open)")
    .option("--grace <seconds>", "doctor's: objects younger than this are taken as in flight", "60")
    .action(async function (this: Command) {
      const { webAction } = await import("./commands/web.js");
      await webAction(globals(this), this.opts() as Record<string, unknown>);
    });
  p.command("why")
    .argument("<object>", "snapshot key, blob digest (or unique prefix), or a snapshot dir or blob file path")
    .description(
      "the chains that keep a snapshot or blob alive (image → blobs → snapshot → parents, container, lease, gc.root)",
    )
    .action(async function (this: Command, arg: string) {
      write((await import("./commands/why.js")).whyCommand(globals(this), arg));
    });
  p.command("completion")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(["bash", "zsh"]))
    .description(
      "a completion script made from these commands: source <(crifs completion bash), or zsh after compinit",
    )
    .action(async (shell: "bash" | "zsh") => {
      const { bashCompletion, zshCompletion } = await import("./completion.js");
      write(shell === "bash" ? bashCompletion(p) : zshCompletion(p));
    });
  p.command("__man", { hidden: true })
    .description("the man page made from these definitions (docs/man/crifs.1)")
    .action(async () => {
      write((await import("./man-page.js")).manPage(p));
    });
  // each command's examples (cli/examples.ts) under its --help and `crifs help <command>`
  for (const c of p.commands) c.addHelpText("after", () => examplesText(c.name()));
  // what the completion scripts ask for values from the store: quiet and fast (metadata only, disk only)
  p.command("__complete", { hidden: true })
    .argument("<kind>")
    .argument("[prefix]")
    .action(async function (this: Command, kind: string, prefix: string | undefined) {
      const { completeValues, storeKinds } = await import("./completion.js");
      if (!(storeKinds as readonly string[]).includes(kind)) return;
      try {
        const g = globals(this);
        write(completeValues(openStores(g), kind as (typeof storeKinds)[number], prefix ?? ""));
      } catch {
        // no store, a flag that does not parse: nothing to offer, and nothing to say in the middle of a line
      }
    });
  return p;
}
