import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import { plantTree } from "../fs/testing-tree.js";
import type { Container, Snapshot, SnapshotKind, Store } from "../model/store.js";
import { emptyStore } from "../model/testing.js";

export interface TempStore {
  /** The temp dir everything lives in. */
  readonly dir: string;
  /** Adds a snapshot whose fs dir holds `lines`; returns its dir. Dir ids count up from 1. */
  layer(
    key: string,
    parent: string | null,
    lines: readonly string[],
    kind?: SnapshotKind,
    namespace?: string,
  ): string;
  /** Adds a container on snapshot `key` (its own key by default), with OCI spec mounts at `mounts`. */
  container(id: string, options?: { key?: string; mounts?: readonly string[]; namespace?: string }): void;
  store(): Store;
  /** Removes the temp dir. */
  remove(): void;
}

/** A store in a fresh temp dir under /var/tmp (a real disk: tmpfs may lack trusted xattrs). */
export function tempStore(): TempStore {
  const dir = mkdtempSync("/var/tmp/crifs-links-");
  const snapshots: Snapshot[] = [];
  const containers: Container[] = [];
  return {
    dir,
    layer(key, parent, lines, kind = "committed", namespace = "default") {
      const id = String(snapshots.length + 1);
      const path = join(dir, "snapshots", id, "fs");
      plantTree(path, lines);
      snapshots.push({
        namespace,
        snapshotter: "overlayfs",
        key,
        parent,
        kind,
        id,
        path,
        dir: join(dir, "snapshots", id),
        workPath: kind === "active" ? join(dir, "snapshots", id, "work") : null,
        createdAt: null,
        updatedAt: null,
        labels: {},
        recordedSize: null,
        runtimeKey: `${namespace}/${id}/${key}`,
      });
      return path;
    },
    container(id, options = {}) {
      containers.push({
        namespace: options.namespace ?? "default",
        id,
        image: "",
        snapshotter: "overlayfs",
        snapshotKey: options.key ?? id,
        runtime: "io.containerd.runc.v2",
        createdAt: null,
        updatedAt: null,
        labels: {},
        spec: { mounts: (options.mounts ?? []).map((destination) => ({ destination, type: "tmpfs" })) },
        task: null,
      });
    },
    store() {
      return emptyStore(
        { runtime: "containerd", root: dir },
        { snapshots: [...snapshots], containers: [...containers] },
      );
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A maker of temp stores, all removed after the calling test file's tests (call it at the file's top level). */
export function tempStores(): () => TempStore {
  const temps: TempStore[] = [];
  after(() => {
    for (const t of temps) t.remove();
  });
  return () => {
    const t = tempStore();
    temps.push(t);
    return t;
  };
}
