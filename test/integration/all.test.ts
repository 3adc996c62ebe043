// test/integration/all.test.ts: the one integration entry point. It starts ONE live containerd bed
// (test/bed/bed.ts) in before(), runs every suite against it, and tears it down in after(), also when
// something failed (then it prints the bed's tree, facts and containerd log tail first).
//
// Adding a suite: write test/integration/<name>.suite.ts exporting `<name>Suite(getBed: () => Bed)` that
// registers describe()/test()s, and add one import and one call below. Suites run in the order listed,
// one test at a time (--test-concurrency=1); call getBed() inside tests, never at registration time (the
// bed starts in before()). A suite that stops containerd or injects faults must put things back (or run
// last) so the suites after it see the bed as the facts describe it.
//
// containerd lines (issue 16): the block above runs on Debian 12's containerd 1.6; then the suites that read
// containerd's own formats (perVersionSuites) run again on a bed of containerd 1.7 and one of 2.1, each started
// and torn down in turn (test/bed/containerd-fetch.sh fetches those once into /var/cache/crifs).
// CRIFS_CONTAINERD=2.1 (or 1.6,1.7) runs only those lines' blocks: a developer's loop, like CRIFS_SUITES.
//
// Run: npx tsc -p tsconfig.json && node --test --test-concurrency=1 dist/test/integration/all.test.js
// Needs root and the bed's packages; CRIFS_SKIP_INTEGRATION=1 skips (loudly) where they are missing.

import { readFileSync } from "node:fs";
import { after, afterEach, before, describe } from "node:test";
import {
  type Bed,
  bedUnavailable,
  type ContainerdVersion,
  containerdVersions,
  startBed,
} from "../bed/bed.js";
import { bedSuite } from "./bed.suite.js";
import { cloneSuite } from "./clone.suite.js";
import { containerdSuite } from "./containerd.suite.js";
import { corruptSuite } from "./corrupt.suite.js";
import { criSuite } from "./cri.suite.js";
import { dockerSuite } from "./docker.suite.js";
import { doctorSuite } from "./doctor.suite.js";
import { duSuite } from "./du.suite.js";
import { errorsSuite } from "./errors.suite.js";
import { explainSuite } from "./explain.suite.js";
import { exportSuite } from "./export.suite.js";
import { fleetSuite } from "./fleet.suite.js";
import { hostRootSuite } from "./hostroot.suite.js";
import { linksSuite } from "./links.suite.js";
import { liveSuite } from "./live.suite.js";
import { logsSuite } from "./logs.suite.js";
import { namesSuite } from "./names.suite.js";
import { podmanSuite } from "./podman.suite.js";
import { relocateSuite } from "./relocate.suite.js";
import { relocateSystemdSuite } from "./relocate-systemd.js";
import { repairSuite } from "./repair.suite.js";
import { repairApiSuite, repairLinksSuite } from "./repair-api.suite.js";
import { serveSuite } from "./serve.suite.js";
import { sightCliSuite } from "./sight-cli.suite.js";
import { terminalSuite } from "./terminal.suite.js";
import { webSuite } from "./web.suite.js";

const unavailable = bedUnavailable();
const skip = unavailable !== undefined && process.env.CRIFS_SKIP_INTEGRATION === "1";
if (skip) {
  const bar = "!".repeat(100);
  console.error(
    `${bar}\n!! SKIPPING ALL INTEGRATION TESTS (CRIFS_SKIP_INTEGRATION=1): ${unavailable}\n${bar}`,
  );
}

/** The suites that run on every containerd line; the others run once, on 1.6. */
const perVersionSuites = ["bed", "containerd", "du", "cri", "logs", "repair-api", "doctor"];

const lines = (process.env.CRIFS_CONTAINERD ?? containerdVersions.join(","))
  .split(",")
  .filter((x) => x !== "");
for (const line of lines) {
  if (!containerdVersions.includes(line as ContainerdVersion))
    throw new Error(`CRIFS_CONTAINERD: "${line}" is none of ${containerdVersions.join(", ")}`);
}
if (process.env.CRIFS_CONTAINERD !== undefined && process.env.CI === "true")
  throw new Error("CRIFS_CONTAINERD is for a developer's loop: CI runs every containerd line");

for (const line of lines) bedBlock(line as ContainerdVersion);

function bedBlock(line: ContainerdVersion): void {
  const title =
    line === "1.6" ? "crifs against a live containerd bed" : `crifs against a live containerd ${line} bed`;
  describe(title, { skip: skip ? `no bed: ${unavailable}` : false }, () => {
    let bed: Bed | undefined;
    let failures = 0;
    const getBed = (): Bed => {
      if (bed === undefined) throw new Error("the bed is not running (did before() fail?)");
      return bed;
    };

    before(async () => {
      const t0 = Date.now();
      bed = await startBed({ containerd: line });
      console.log(
        `bed: containerd ${bed.containerdVersion} in ${bed.work} up in ${Date.now() - t0} ms (CRIFS_BED=${bed.work})`,
      );
    });

    afterEach((c) => {
      // TestContext.passed exists at run time since Node 20.12, but not in @types/node 20
      if ((c as { passed?: boolean }).passed === false) failures++;
    });

    after(async () => {
      if (bed === undefined) return;
      if (failures > 0) console.error(`bed: ${failures} test(s) failed; the bed was:\n${bed.describe()}`);
      const t0 = Date.now();
      await bed.teardown();
      const left = readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .filter((l) => l.split(" ")[4]?.startsWith(bed?.work ?? "/nonexistent"));
      if (left.length > 0) throw new Error(`teardown left mounts below ${bed.work}:\n${left.join("\n")}`);
      console.log(`bed: ${bed.work} torn down in ${Date.now() - t0} ms`);
    });

    // one line per suite; CRIFS_SUITES=doctor,links runs only those (a developer's loop; CI runs every one)
    const only = process.env.CRIFS_SUITES?.split(",").filter((x) => x !== "");
    const suites: [string, (getBed: () => Bed) => void][] = [
      ["bed", bedSuite],
      ["containerd", containerdSuite],
      ["du", duSuite],
      ["errors", errorsSuite],
      ["live", liveSuite], // sockets that do not behave, served by the test itself (hostile-sockets.ts)
      ["links", linksSuite],
      ["clone", cloneSuite], // layers of its own namespace, and its own podman and dockerd beds; all removed after
      ["terminal", terminalSuite], // hostile names in its own namespace, removed afterwards
      ["sight-cli", sightCliSuite], // -q, filters, completion under tmux (bash, zsh), progress under tmux
      ["docker", dockerSuite], // its own dockerd bed (test/bed/docker-bed.ts), started and removed by the suite
      ["podman", podmanSuite], // its own podman store (test/bed/podman.ts), built from the bed's OCI archive
      ["cri", criSuite], // its own CRI containerd bed (test/bed/cri-bed.ts), plus the main bed read live
      ["logs", logsSuite], // its own CRI bed (a container writing known lines) and dockerd bed
      ["hostroot", hostRootSuite], // its own podman and docker beds beside the main one: one host, three runtimes
      ["corrupt", corruptSuite], // its own podman and dockerd beds; on the main bed it undoes each fault
      ["export", exportSuite], // a probe container that changes its root, removed at the end; the docker and
      // podman halves of export's tests run inside those suites, on their beds (export.suite.ts)
      ["names", namesSuite], // plants names that are not UTF-8 and a huge dir in the bed, and removes them
      ["repair", repairSuite], // injects file-level leftovers, repairs and undoes them, removes them at the end
      ["repair-api", repairApiSuite], // records made and removed through containerd's API in a namespace of its own
      ["repair-links", repairLinksSuite], // its own podman and dockerd beds: l/ links rebuilt by the short-link kind
      ["explain", explainSuite], // its own docker and podman beds; on the main bed it undoes each fault
      ["serve", serveSuite], // a real Prometheus scraping crifs serve; injects an orphan dir and repairs it
      ["web", webSuite], // crifs web in Debian's headless chromium (playwright-core); an orphan dir, removed
      ["fleet", fleetSuite], // the single executable and its image (built once into dist/exe/); its own namespace, removed
      ["relocate", relocateSuite], // its own podman, dockerd and small containerd stores, moved to a loop-mounted ext4 it makes
      ["relocate-systemd", relocateSystemdSuite], // a real systemd as PID 1 of a namespace of its own; 9-13 s
      ["doctor", doctorSuite], // last: it injects faults it does not undo
    ];
    if (only !== undefined && process.env.CI === "true")
      throw new Error("CRIFS_SUITES is for a developer's loop: CI runs every suite");
    for (const [name, suite] of suites) {
      if (only !== undefined && !only.includes(name)) continue;
      if (line !== "1.6" && !perVersionSuites.includes(name)) continue;
      if (name === "logs" && line !== "1.6") logsSuite(getBed, { criOnly: true });
      else suite(getBed);
    }
  });
}
