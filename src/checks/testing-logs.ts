// checks/testing-logs.ts — a scenario builder for the log checks' unit tests: kubelet's log layout, one line
// per pod dir or link, beside the pods the runtimes know. Not used outside tests.

import { parseLogLinkName, parsePodLogDirName, podOfLogPath } from "../logs/kubelet-layout.js";
import type { PodLogFacts } from "../logs/log-facts.js";
import type { DoctorInput } from "./doctor-input.js";
import { OLD_MS, scenario } from "./testing.js";

const PODS = "/var/log/pods";
const LINKS = "/var/log/containers";
export const ID1 = "a".repeat(64);
export const ID2 = "b".repeat(64);

/** A kubelet log layout, one line per pod dir or link. */
export class LogScenario {
  readonly pods: PodLogFacts["pods"][number][] = [];
  readonly links: PodLogFacts["links"][number][] = [];
  readonly known = new Set<string>();
  readonly containerPods = new Map<
    string,
    { podUid: string; podNamespace: string; podName: string; containerName: string }
  >();
  #unknown = false;

  /** A pod dir `<ns>_<pod>_<uid>` with container dirs. */
  podDir(name: string, containers: string[] = ["app"], o: { mtimeMs?: number } = {}): this {
    const path = `${PODS}/${name}`;
    this.pods.push({
      name,
      path,
      id: parsePodLogDirName(name),
      mtimeMs: o.mtimeMs ?? OLD_MS,
      ctimeMs: o.mtimeMs ?? OLD_MS,
      containers: containers.map((c) => ({ name: c, path: `${path}/${c}`, files: ["0.log"] })),
    });
    return this;
  }

  /** A link `name` → `target` (absolute); `resolves` says whether the target exists. */
  link(name: string, target: string, resolves = true, o: { mtimeMs?: number } = {}): this {
    this.links.push({
      name,
      path: `${LINKS}/${name}`,
      id: parseLogLinkName(name),
      target,
      targetPath: target,
      resolves,
      targetPod: podOfLogPath(target),
      mtimeMs: o.mtimeMs ?? OLD_MS,
    });
    return this;
  }

  /** A pod a runtime knows (by uid), with one container id. */
  knownPod(uid: string, containerId?: string, ns = "default", pod = "web-0", container = "app"): this {
    this.known.add(uid);
    if (containerId !== undefined)
      this.containerPods.set(containerId, {
        podUid: uid,
        podNamespace: ns,
        podName: pod,
        containerName: container,
      });
    return this;
  }

  storesUnreadable(): this {
    this.#unknown = true;
    return this;
  }

  input(o: { graceMs?: number } = {}): DoctorInput {
    return {
      ...scenario().input(o),
      podLogs: {
        podsDir: PODS,
        containersDir: LINKS,
        pods: this.pods,
        links: this.links,
        problems: [],
        knownPodUids: this.#unknown ? null : this.known,
        containerPods: this.containerPods,
      },
    };
  }
}

export { LINKS, PODS };
