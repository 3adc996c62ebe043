// runtimes/containers-storage/libpod-state.ts — podman's own records (libpod's state) beside c/storage's.
// Podman 5 keeps them in SQLite, Podman 4 in bolt (bolt_state.db; its containers' names are c/storage's too):
//
//   <graphroot>/db.sql                      SQLite (Podman ≥ 4.8's default, Podman 5's only backend)
//     ContainerConfig(ID, Name, PodID, JSON)   the name `podman ps` shows, the container's whole config
//     ContainerState(ID, JSON)                 {"state": 1 configured … 3 running … 6 exited, "pid", …}
//     DBConfig(…, GraphRoot, RunRoot, GraphDriver, …)   the store podman made it for
//
// Opened read-only (SQLITE_OPEN_READONLY: no journal, no -shm written) through better-sqlite3, loaded only when
// the file is there. Podman writes it while crifs reads: a locked database is waited for (busy timeout).

import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { pathExists } from "../../fs/path-exists.js";
import type { Anomaly } from "../../model/store.js";

export const LIBPOD_SQLITE = "db.sql";

export interface LibpodContainer {
  readonly id: string;
  /** The name `podman ps` shows. */
  readonly name: string;
  /** libpod's state number (1 configured, 2 created, 3 running, 4 stopped, 5 paused, 6 exited, 7 removing,
   * 8 stopping), null when the state row is missing or does not decode. */
  readonly state: number | null;
}

export interface LibpodState {
  readonly path: string;
  /** DBConfig.SchemaVersion, null when absent. */
  readonly schemaVersion: number | null;
  readonly containers: ReadonlyMap<string, LibpodContainer>;
}

/** How long a read waits for podman to release a write lock before it gives up, in ms. */
const BUSY_TIMEOUT_MS = 2000;

const require = createRequire(import.meta.url);

/** libpod's SQLite state of a graphroot: null when there is none (Podman 4's bolt, CRI-O); when it cannot be
 * read, null and an anomaly naming the file (c/storage's records still list the containers). Cost: one
 * query over the containers. */
export function readLibpodState(graphroot: string, anomalies: Anomaly[]): LibpodState | null {
  const path = join(graphroot, LIBPOD_SQLITE);
  if (!pathExists(path)) return null;
  let db: BetterSqlite3.Database | undefined;
  try {
    const Database = require("better-sqlite3") as typeof BetterSqlite3;
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    const rows = db
      .prepare(
        "SELECT c.ID AS id, c.Name AS name, s.JSON AS state FROM ContainerConfig c LEFT JOIN ContainerState s ON s.ID = c.ID",
      )
      .all() as { id: unknown; name: unknown; state: unknown }[];
    const containers = new Map<string, LibpodContainer>();
    for (const r of rows) {
      if (typeof r.id !== "string" || typeof r.name !== "string") continue;
      containers.set(r.id, { id: r.id, name: r.name, state: stateNumber(r.state) });
    }
    const schema = db.prepare("SELECT SchemaVersion AS v FROM DBConfig").get() as { v?: unknown } | undefined;
    return { path, schemaVersion: typeof schema?.v === "number" ? schema.v : null, containers };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    anomalies.push({
      path,
      subject: "libpod state",
      message: `cannot read podman's state database: ${why.toLowerCase()}`,
    });
    return null;
  } finally {
    db?.close();
  }
}

function stateNumber(json: unknown): number | null {
  if (typeof json !== "string") return null;
  try {
    const v = JSON.parse(json) as { state?: unknown };
    return typeof v.state === "number" ? v.state : null;
  } catch {
    return null;
  }
}

/** What a graphroot says of the podman that wrote it: SQLite state is podman >= 4.8 (5's only backend), bolt
 * state podman < 5; "" when there is no libpod state (CRI-O, or podman never ran). Cost: a stat or two. */
export function libpodVersionMarker(graphroot: string, state: LibpodState | null): string {
  if (state !== null)
    return `podman >= 4.8: libpod state in SQLite (db.sql, schema ${state.schemaVersion ?? "?"})`;
  if (pathExists(join(graphroot, LIBPOD_SQLITE))) return "podman >= 4.8: libpod state in SQLite (db.sql)";
  if (pathExists(join(graphroot, "libpod", "bolt_state.db")))
    return "podman < 5: libpod state in bolt (libpod/bolt_state.db)";
  return "";
}
