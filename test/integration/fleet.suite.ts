// test/integration/fleet.suite.ts — issue 19 part 4: the single executable (`npm run build:exe`) and its
// image, on the main containerd bed.
//
// The executable is built once per run into dist/exe/ (scripts/build-exe.mjs, ~30 s) and reused while it is
// newer than dist/src/cli/main.js. It runs in a mount namespace (unshare -m) where node's dir is over-mounted
// by an empty tmpfs, so no node binary is there to be found, and answers as bin/crifs does under node. The
// image (dist/exe/crifs.oci.tar) is imported into the bed's containerd in a namespace of its own, runs
// there with the bed's root bind-mounted read-only, and is removed with that namespace afterwards.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, type CliResult, contractErrors, crifs, REPO } from "./cli.js";

const EXE = join(REPO, "dist", "exe", "crifs");
const OCI_ARCHIVE = join(REPO, "dist", "exe", "crifs.oci.tar");
const NS = "crifs-fleet";
const IMAGE = "localhost/crifs";
/** The capabilities containerd's default spec grants (oci/spec.go, the same list in 1.6, 1.7 and 2.1). */
const DEFAULT_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Builds dist/exe/ unless it is newer than the modules it is made of. */
function ensureExe(): void {
  const main = statSync(join(REPO, "dist", "src", "cli", "main.js")).mtimeMs;
  const fresh = [EXE, OCI_ARCHIVE].every((f) => existsSync(f) && statSync(f).mtimeMs >= main);
  if (fresh) return;
  const r = spawnSync(process.execPath, [join(REPO, "scripts", "build-exe.mjs")], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`npm run build:exe failed (exit ${r.status}):\n${r.stderr}`);
}

/** The dir node runs from, and a shell line run before the executable that hides it (see the header). */
const nodeDir = dirname(realpathSync(process.execPath));

/**
 * Runs the executable with `args` in a mount namespace where `nodeDir` is an empty tmpfs, with a PATH that
 * names nothing else; busybox (static, already running when the tmpfs hides /usr/bin) sets it up.
 */
function exeWithoutNode(args: readonly string[], env: Record<string, string>): CliResult {
  const script = [
    `mount -t tmpfs -o size=1m,mode=0755 fleet-no-node ${nodeDir}`,
    // no node anywhere on PATH, nor where the test's own node is
    `if command -v node >/dev/null 2>&1 || [ -e ${process.execPath} ]; then echo "node is still in sight" >&2; exit 99; fi`,
    'exec "$@"',
  ].join(" && ");
  const r = spawnSync(
    "unshare",
    ["-m", "--propagation", "private", "/bin/busybox", "sh", "-c", script, "sh", EXE, ...args],
    { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...env }, timeout: 120_000, maxBuffer: 64 * 2 ** 20 },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a !== null ? done(a.port) : fail(new Error("no port"))));
    });
  });
}

interface Doctor {
  readonly findings: readonly { check: string; severity: string; path: string }[];
}
interface Du {
  readonly engine: string;
  readonly total: { allocatedBytes: number; inodes: number };
  readonly categories: readonly { category: string; allocatedBytes: number; inodes: number }[];
  readonly images: readonly unknown[];
}

export function fleetSuite(getBed: () => Bed): void {
  describe("fleet: the single executable and its image (issue 19)", () => {
    let cache = "";
    before(() => {
      ensureExe();
      cache = mkdtempSync(join(tmpdir(), "crifs-fleet-cache-"));
    });
    after(() => {
      if (cache !== "") rmSync(cache, { recursive: true, force: true });
    });

    test("the executable runs doctor and du on the bed with node hidden, as bin/crifs does under node", () => {
      const bed = getBed();
      const env = { XDG_CACHE_HOME: cache };
      const version = exeWithoutNode(["--version"], env);
      assert.equal(version.status, 0, version.stderr);
      assert.equal(version.stdout.trim(), crifs(["--version"]).stdout.trim());

      const du = exeWithoutNode([...bedFlags(bed), "du", "--no-cache", "-o", "json"], env);
      assert.equal(du.status, 0, du.stderr);
      const exeDu = JSON.parse(du.stdout) as Du;
      const nodeDu = JSON.parse(crifs([...bedFlags(bed), "du", "--no-cache", "-o", "json"]).stdout) as Du;
      // the addon it carries, written to a private dir of the cache and dlopened (fs/sea-assets.ts)
      assert.equal(exeDu.engine, "native", "the executable fell back to the JS scanner");
      assert.deepEqual(exeDu.total, nodeDu.total);
      const dirs = readdirSync(join(cache, "crifs")).filter((d) => d.startsWith("exe-"));
      assert.equal(dirs.length, 1, `one exe-<build id> dir in ${cache}/crifs: ${dirs.join(", ")}`);
      const assetDir = join(cache, "crifs", dirs[0] ?? "");
      assert.equal(statSync(assetDir).mode & 0o777, 0o700);
      assert.ok(existsSync(join(assetDir, "build", "Release", "crifs_scan.node")));

      // no usable cache dir (/proc cannot hold one): no addon to load, so the JS scanner, whose workers run from
      // the code the executable carries; the same bytes
      const fallback = exeWithoutNode([...bedFlags(bed), "du", "--no-cache", "-o", "json"], {
        XDG_CACHE_HOME: "/proc/crifs-fleet",
      });
      assert.equal(fallback.status, 0, fallback.stderr);
      const jsDu = JSON.parse(fallback.stdout) as Du;
      assert.equal(jsDu.engine, "js");
      assert.deepEqual(jsDu.total, nodeDu.total);

      const doctor = exeWithoutNode([...bedFlags(bed), "--offline", "doctor", "-o", "json"], env);
      const nodeDoctor = crifs([...bedFlags(bed), "--offline", "doctor", "-o", "json"]);
      assert.equal(doctor.status, nodeDoctor.status, doctor.stderr);
      const findings = (JSON.parse(doctor.stdout) as Doctor).findings.map((f) => `${f.check} ${f.path}`);
      const nodeFindings = (JSON.parse(nodeDoctor.stdout) as Doctor).findings.map(
        (f) => `${f.check} ${f.path}`,
      );
      assert.deepEqual(findings.sort(), nodeFindings.sort());
      assert.equal(contractErrors("doctor", JSON.parse(doctor.stdout)), null);

      // live reads need the proto files it carries, written out beside the addon
      const images = exeWithoutNode([...bedFlags(bed), "--address", bed.socket, "images", "-o", "json"], env);
      assert.equal(images.status, 0, images.stderr);
      assert.ok(existsSync(join(assetDir, "proto", "cri.proto")));
    });

    test("the executable serves /metrics on the bed with node hidden (one scrape)", async () => {
      const help = spawnSync(EXE, ["--help"], { encoding: "utf8" });
      assert.match(help.stdout, /^ {2}serve\b/m, "the executable has no serve command");
      const bed = getBed();
      const port = await freePort();
      const script = `mount -t tmpfs -o size=1m fleet-no-node ${nodeDir} && exec "$@"`;
      const server = spawn(
        "unshare",
        [
          "-m",
          "--propagation",
          "private",
          "/bin/busybox",
          "sh",
          "-c",
          script,
          "sh",
          EXE,
          ...bedFlags(bed),
          "--offline",
          "serve",
          "--listen",
          `127.0.0.1:${port}`,
        ],
        { env: { PATH: "/usr/bin:/bin", XDG_CACHE_HOME: cache }, stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      server.stderr.on("data", (d) => {
        stderr += d;
      });
      let exited = false;
      server.on("exit", () => {
        exited = true;
      });
      try {
        let body = "";
        for (let i = 0; i < 600 && body === "" && !exited; i++) {
          try {
            const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
            if (ready.status === 200) body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          } catch {
            // not listening yet
          }
          if (body === "") await new Promise((r) => setTimeout(r, 100));
        }
        assert.notEqual(body, "", `crifs serve was not ready within 60 s: ${stderr}`);
        assert.match(body, /^crifs_build_info\{[^}]*version="/m);
        assert.match(body, /^crifs_store_bytes\{[^}]*runtime="containerd"/m);
        const lint = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
        assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
      } finally {
        server.kill("SIGTERM");
      }
    });

    test("the image runs under the bed's containerd as the DaemonSet runs it: its version, a doctor and a du of the bind-mounted root", () => {
      const bed = getBed();
      // bed.ctr gives up dialing after 2 s, which this suite saw pass on a loaded machine: these calls wait 20 s
      const ctr = (args: readonly string[]): string => {
        const argv = ["-a", bed.socket, "--connect-timeout", "20s", "-n", NS, ...args];
        const r = spawnSync(join(bed.binDir, "ctr"), argv, { encoding: "utf8", timeout: 180_000 });
        if (r.status !== 0) throw new Error(`ctr ${args.join(" ")}: ${r.stderr || r.error?.message}`);
        return r.stdout;
      };
      try {
        ctr(["images", "import", "--base-name", IMAGE, OCI_ARCHIVE]);
        const ref = ctr(["images", "ls", "-q"])
          .split("\n")
          .find((l) => l.startsWith(`${IMAGE}:`));
        assert.ok(ref !== undefined, `no ${IMAGE} image in namespace ${NS} after the import`);
        // as deploy/daemonset.yaml runs it: a read-only rootfs, every capability dropped but DAC_READ_SEARCH,
        // the node's paths read-only below /host (the bed's config names its root and state dirs, which
        // --host-root /host resolves inside /host), /var/cache/crifs the one writable mount (0700, root's)
        const imageCache = mkdtempSync(join(tmpdir(), "crifs-fleet-image-cache-"));
        const run = (id: string, args: readonly string[]): CliResult => {
          const argv = ["-a", bed.socket, "-n", NS, "run", "--rm", "--read-only"];
          for (const cap of DEFAULT_CAPS) argv.push("--cap-drop", cap); // ctr 1.6 knows no "ALL"
          argv.push("--cap-add", "CAP_DAC_READ_SEARCH");
          for (const dir of [bed.root, bed.state])
            argv.push("--mount", `type=bind,src=${dir},dst=/host${dir},options=rbind:ro`);
          const config = `type=bind,src=${bed.configPath},dst=/host/etc/containerd/config.toml,options=rbind:ro`;
          argv.push("--mount", config);
          argv.push("--mount", `type=bind,src=${imageCache},dst=/var/cache/crifs,options=rbind:rw`);
          argv.push(ref, `${id}-${bed.facts.tag}`, "/usr/local/bin/crifs", "--host-root", "/host", ...args);
          const r = spawnSync(join(bed.binDir, "ctr"), argv, { encoding: "utf8", timeout: 120_000 });
          return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
        };
        try {
          const version = run("fleet-version", ["--version"]);
          assert.equal(version.status, 0, version.stderr);
          assert.equal(version.stdout.trim(), crifs(["--version"]).stdout.trim());
          // ctr run --rm exits with the task's status: doctor's 1 or 2 when it finds something
          const doctor = run("fleet-doctor", ["--runtime", "containerd", "doctor", "-o", "json"]);
          assert.ok(
            [0, 1, 2].includes(doctor.status),
            `doctor in the image exited ${doctor.status}: ${doctor.stderr}`,
          );
          assert.equal(contractErrors("doctor", JSON.parse(doctor.stdout)), null);
          // the same bytes as node's crifs on the bed, with the native scanner it wrote to its cache
          const du = run("fleet-du", ["--runtime", "containerd", "du", "--no-cache", "-o", "json"]);
          assert.equal(du.status, 0, du.stderr);
          const imageDu = JSON.parse(du.stdout) as Du;
          const nodeDu = JSON.parse(
            crifs([...bedFlags(bed), "--offline", "du", "--no-cache", "-o", "json"]).stdout,
          ) as Du;
          assert.equal(imageDu.engine, "native");
          // the container that runs it adds its own snapshot (container-layers) and state files (other)
          const own = new Set(["container-layers", "other"]);
          const others = (d: Du) => d.categories.filter((c) => !own.has(c.category));
          assert.deepEqual(others(imageDu), others(nodeDu));
          assert.deepEqual(imageDu.images, nodeDu.images);
        } finally {
          rmSync(imageCache, { recursive: true, force: true });
        }
      } finally {
        // leave the bed as the other suites know it: no image, content, snapshot or namespace of ours
        try {
          for (const img of ctr(["images", "ls", "-q"])
            .split("\n")
            .filter((l) => l !== ""))
            ctr(["images", "rm", "--sync", img]);
          ctr(["namespaces", "rm", NS]);
        } catch (err) {
          console.error(`fleet: cannot remove namespace ${NS} from the bed: ${(err as Error).message}`);
        }
      }
    });
  });
}
