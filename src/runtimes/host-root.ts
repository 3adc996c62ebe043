// runtimes/host-root.ts — every runtime store of a host whose / is at `hostRoot` (a node's disk mounted on a
// rescue machine, or a copy of one): each runtime's config is read under the host root and the paths it names
// are taken inside it, then each adapter says by layout alone whether its store is there.
//
//   <host>/etc/containerd/config.toml        root, state              default /var/lib/containerd, /run/containerd
//   <host>/etc/containers/storage.conf       graphroot, runroot       (else <host>/usr/share/containers/…)
//   <host>/etc/docker/daemon.json            data-root, exec-root     default /var/lib/docker, /var/run/docker
// Paths a config names besides these (containerd's overlayfs root_path, say) are not re-rooted.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeId } from "../model/store.js";
import { DEFAULT_CONFIG_PATH as CONTAINERD_CONFIG, readContainerdConfig } from "./containerd/config.js";
import { DEFAULT_GRAPHROOT, DEFAULT_RUNROOT, readStorageConfig } from "./containers-storage/config.js";
import { DEFAULT_CONFIG_PATH as DOCKER_CONFIG, readDockerConfig } from "./docker/config.js";
import { adapters } from "./index.js";

export interface LocatedStore {
  readonly runtime: RuntimeId;
  readonly root: string;
  readonly state: string;
  /** The config file under the host root, or /dev/null (defaults: never the running host's own file). */
  readonly config: string;
}

const STORAGE_CONFS = ["/etc/containers/storage.conf", "/usr/share/containers/storage.conf"];

/** Where each runtime's store would be under `hostRoot`. Cost: a few small config reads. */
function candidates(hostRoot: string): { ids: RuntimeId[]; root: string; state: string; config: string }[] {
  const at = (p: string) => join(hostRoot, p);
  const out: { ids: RuntimeId[]; root: string; state: string; config: string }[] = [];
  const ctdConfig = at(CONTAINERD_CONFIG);
  const ctd = readContainerdConfig({ path: existsSync(ctdConfig) ? ctdConfig : "/dev/null" });
  out.push({
    ids: ["containerd"],
    root: at(ctd.root),
    state: at(ctd.state),
    config: existsSync(ctdConfig) ? ctdConfig : "/dev/null",
  });
  const storageConf = STORAGE_CONFS.map(at).find((p) => existsSync(p));
  const cs =
    storageConf === undefined
      ? { graphroot: DEFAULT_GRAPHROOT, runroot: DEFAULT_RUNROOT }
      : readStorageConfig({ path: storageConf });
  out.push({
    ids: ["podman", "crio"],
    root: at(cs.graphroot),
    state: at(cs.runroot),
    config: storageConf ?? "/dev/null",
  });
  const dockerConfig = at(DOCKER_CONFIG);
  const dk = readDockerConfig({ path: existsSync(dockerConfig) ? dockerConfig : "/dev/null" });
  out.push({
    ids: ["docker"],
    root: at(dk.root),
    state: at(dk.execRoot),
    config: existsSync(dockerConfig) ? dockerConfig : "/dev/null",
  });
  return out;
}

/** The stores found under `hostRoot`, one per runtime whose layout is there. */
export function locateUnderHostRoot(hostRoot: string): LocatedStore[] {
  const found: LocatedStore[] = [];
  for (const c of candidates(hostRoot)) {
    for (const id of c.ids) {
      const a = adapters.find((x) => x.id === id);
      if (a?.detect({ root: c.root }) === true) {
        found.push({ runtime: id, root: c.root, state: c.state, config: c.config });
        break; // podman and crio share a graphroot: the first that claims it
      }
    }
  }
  return found;
}
