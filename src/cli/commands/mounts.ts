// cli/commands/mounts.ts — `crifs mounts <container|snapshot>`: the mount rebuilt from metadata
// (lowerdir nearest parent first, upperdir, workdir), and the live mount when the task's rootfs is mounted.

import { existsSync } from "node:fs";
import { CrifsError } from "../../errors.js";
import { overlayOptions, readMountinfo } from "../../fs/mountinfo.js";
import { SnapshotIndex } from "../../model/chain.js";
import { type MountSpec, planMount } from "../../model/mounts.js";
import type { Snapshot, Store } from "../../model/store.js";
import { adapterFor } from "../../runtimes/index.js";
import { render, renderLines } from "../render/format.js";
import { resolveRef } from "../resolve-ref.js";
import type { GlobalOptions } from "../stores.js";

/** Kernel facts containerd consults when it builds overlay options, and whose option order the store's runtime
 * follows. */
export function mountFlags(store?: Store) {
  // no store: the kernel's own facts, as containerd's snapshotter reads them
  const style =
    store === undefined ? "containerd" : (adapterFor(store.location.runtime)?.mountStyle ?? "containerd");
  // containerd 2.x appends index=off after lowerdir (1.x puts it first): its version as the store found it
  const major = Number(/^(\d+)\./.exec(store?.runtimeVersion?.version ?? "")?.[1] ?? 0);
  return {
    indexOff: style === "containerd" && existsSync("/sys/module/overlay/parameters/index"),
    userxattr: false,
    style,
    optionsLast: style === "containerd" && major >= 2,
  } as const;
}

export interface LiveMount {
  readonly mountPoint: string;
  readonly type: string;
  readonly lowerdir: readonly string[];
  readonly upperdir: string | null;
  readonly workdir: string | null;
  readonly options: readonly string[];
}

/** The mount on `mountPoint` as /proc/self/mountinfo shows it, or null. */
export function liveMount(mountPoint: string): LiveMount | null {
  const e = readMountinfo()
    .filter((m) => m.mountPoint === mountPoint)
    .at(-1);
  if (e === undefined) return null;
  const o = overlayOptions(e.superOptions);
  return {
    mountPoint,
    type: e.fsType,
    lowerdir: o.lowerdir,
    upperdir: o.upperdir,
    workdir: o.workdir,
    options: e.superOptions,
  };
}

export function snapshotOf(
  store: Store,
  c: { namespace: string; snapshotter: string; snapshotKey: string; id: string },
): Snapshot {
  const s = store.snapshots.find(
    (x) => x.namespace === c.namespace && x.snapshotter === c.snapshotter && x.key === c.snapshotKey,
  );
  if (s === undefined) {
    throw new CrifsError(
      "not-found",
      `container "${c.id}" has no snapshot "${c.snapshotKey}" in ${c.snapshotter}`,
      {
        remedy: "run crifs doctor: the container's writable layer is missing from metadata",
      },
    );
  }
  return s;
}

/** JSON contract: docs/json.md#mounts. */
export function mountsOf(
  stores: readonly Store[],
  ref: string,
): MountSpec & { subject: string; mounted: LiveMount | null } {
  const t = resolveRef(stores, ref, ["container", "snapshot"]);
  if (t.type === "container") {
    const s = snapshotOf(t.store, t.container);
    const spec = planMount(s, new SnapshotIndex(t.store.snapshots), mountFlags(t.store));
    const rootfs = t.container.task?.rootfs ?? null;
    return {
      ...spec,
      subject: `container ${t.container.namespace}/${t.container.id}`,
      mounted: rootfs === null ? null : liveMount(rootfs),
    };
  }
  if (t.type === "snapshot") {
    const spec = planMount(t.snapshot, new SnapshotIndex(t.store.snapshots), mountFlags(t.store));
    return {
      ...spec,
      subject: `snapshot ${t.snapshot.namespace}/${t.snapshot.snapshotter}/${t.snapshot.key}`,
      mounted: null,
    };
  }
  throw new CrifsError("usage", "images have no mount", { remedy: "name a container or a snapshot" });
}

export function mountsCommand(stores: readonly Store[], g: GlobalOptions, ref: string): string {
  const m = mountsOf(stores, ref);
  const spec: MountSpec = {
    type: m.type,
    source: m.source,
    options: m.options,
    lowerdir: m.lowerdir,
    upperdir: m.upperdir,
    workdir: m.workdir,
  };
  return render(
    g.output,
    { ...spec, subject: m.subject, mounted: m.mounted },
    {
      table: () => {
        const lines = [
          `# ${m.subject}`,
          `type=${m.type} source=${m.source}`,
          ...m.options.map((o) => `  ${o}`),
        ];
        if (m.mounted) lines.push(`# mounted on ${m.mounted.mountPoint}`);
        return renderLines(lines);
      },
    },
  );
}
