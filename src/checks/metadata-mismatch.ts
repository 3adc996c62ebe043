// checks/metadata-mismatch.ts — a daemon whose view differs from its files: the snapshots, containers and
// images containerd lists through its API (the live model, src/live) against the ones crifs reads from
// meta.db and the snapshotter's metadata.db. containerd opens its bolt files once at start and keeps the
// inode: a file replaced or restored while it runs (a backup copied back, a `mv` over meta.db) leaves the
// daemon serving the old records while the next start reads the new ones. Only runs when the runtime
// answered (doctor reads it live when its socket answers: --address, crictl.yaml, or the default socket).

import type { Container, Image, Snapshot, Store } from "../model/store.js";
import type { Finding } from "./check.js";
import { CONTAINERD_ONLY, defineCheck, isInFlight } from "./check.js";
import type { DoctorInput } from "./doctor-input.js";

type Kind = "snapshot" | "container" | "image";

interface Side<T> {
  readonly key: (x: T) => string;
  readonly describe: (x: T) => string;
  readonly subject: (x: T) => string;
}

const snapshotSide: Side<Snapshot> = {
  key: (s) => `${s.namespace}\u0000${s.snapshotter}\u0000${s.key}`,
  describe: (s) => `${s.kind}, parent ${s.parent === null ? "none" : `"${s.parent}"`}, dir ${s.id}`,
  subject: (s) => `snapshot ${s.namespace}/${s.snapshotter}/${s.key}`,
};
const containerSide: Side<Container> = {
  key: (c) => `${c.namespace}\u0000${c.id}`,
  describe: (c) => `image "${c.image}", snapshot "${c.snapshotKey}"`,
  subject: (c) => `container ${c.namespace}/${c.id}`,
};
const imageSide: Side<Image> = {
  key: (i) => `${i.namespace}\u0000${i.name}`,
  describe: (i) => `target ${i.digest}`,
  subject: (i) => `image ${i.namespace}/${i.name}`,
};

function* diff<T extends { createdAt: string | null; updatedAt: string | null; namespace: string }>(
  kind: Kind,
  side: Side<T>,
  live: readonly T[],
  disk: readonly T[],
  input: DoctorInput,
): Generator<{ subject: string; message: string }> {
  const onDisk = new Map(disk.map((x) => [side.key(x), x]));
  const seen = new Set<string>();
  for (const l of live) {
    const k = side.key(l);
    seen.add(k);
    const d = onDisk.get(k);
    if (isInFlight(input, l.createdAt, l.updatedAt, d?.createdAt, d?.updatedAt)) continue;
    if (d === undefined) {
      yield {
        subject: side.subject(l),
        message: `containerd lists ${kind} "${side.subject(l).split("/").pop()}" in namespace "${l.namespace}" (${side.describe(l)}) but the files on disk have no such record`,
      };
    } else if (side.describe(d) !== side.describe(l)) {
      yield {
        subject: side.subject(l),
        message: `containerd says ${side.subject(l)} is ${side.describe(l)}; the files say ${side.describe(d)}`,
      };
    }
  }
  for (const d of disk) {
    if (seen.has(side.key(d)) || isInFlight(input, d.createdAt, d.updatedAt)) continue;
    yield {
      subject: side.subject(d),
      message: `the files hold ${kind} "${side.subject(d).split("/").pop()}" in namespace "${d.namespace}" (${side.describe(d)}) but containerd does not list it`,
    };
  }
}

/** Live vs disk records. Cost: metadata only (the live read happens while gathering the input). */
export const metadataMismatch = defineCheck({
  id: "metadata-mismatch",
  summary:
    "containerd lists snapshots, containers or images other than its files hold (a file replaced while it ran)",
  kind: { severity: "error", needs: ["metadata"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    const { live, store: disk } = input;
    if (live === undefined) return;
    const path = input.words.metadataFile(disk.location.root);
    const remedy = `containerd serves the records it opened at start: restart it to make it read the files (if the files are an older copy, stop containerd and put the newer ${input.words.layerRecords} back first)`;
    const differences = [
      ...diff("snapshot", snapshotSide, live.snapshots, disk.snapshots, input),
      ...diff("container", containerSide, live.containers, disk.containers, input),
      ...diff("image", imageSide, live.images, disk.images, input),
    ];
    for (const d of differences) yield { ...d, path, bytes: null, remedy };
  },
});

/** Every difference between the live and the disk model, per kind. Pure. */
export function compareLiveAndDisk(live: Store, disk: Store, input: DoctorInput): Finding[] {
  return metadataMismatch.run({ ...input, live, store: disk });
}
