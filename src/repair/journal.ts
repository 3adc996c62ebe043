// repair/journal.ts — a repair run on disk. A run is a dir in the quarantine,
//
//   <root>/.crifs-quarantine/<run-id>/
//     journal.jsonl     one JSON record per line (JournalRecord), appended a batch at a time
//     items/<seq>-<step> what the run moved aside (renamed here, on the same filesystem as where it lay)
//
// and items from outside the root (kubelet's log dirs) go to `<log dir's parent>/.crifs-quarantine/<run-id>/
// items/`, named in their records. The records, in order: the run header (with the whole plan); per step an
// `intent` (written and fsynced, with the journal's dir, BEFORE the change; the applier writes the intents of
// a batch of actions in one append and one fsync, then makes their changes) and a `done` after it (what undo
// needs: the original path, the quarantined item, dev/ino); a `skip` per action a guard stopped; `fail` when a
// step could not be made (the error); `end` when the apply finished. Undo writes `undo`, `restored` per item
// and `undone`; purge writes `purged`. A line cut short by a kill or a power loss is the last line only (each
// record is one write): reading ignores it and the next append starts a fresh line.

import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { CrifsError, errnoWords } from "../errors.js";
import type { Plan, Step } from "./action.js";

export const JOURNAL_FILE = "journal.jsonl";
export const ITEMS_DIR = "items";

export interface RunHeader {
  readonly type: "run";
  readonly version: 1;
  readonly id: string;
  readonly createdAt: string;
  /** The process that applies it (a live one means the run is still going). */
  readonly pid: number;
  readonly runtime: string;
  readonly root: string;
  readonly plan: Plan;
}

/** Where a step's change lies: the original path and, for a move, the item in the quarantine. */
interface StepRef {
  readonly seq: number;
  /** Index of the step in its action's steps. */
  readonly step: number;
  readonly op: Step["op"];
  readonly path: string;
  /** The quarantined name (absolute) of what was or will be moved: the original's for `quarantine`, the
   * created link's for `symlink` (where undo moves it). */
  readonly item: string | null;
}

export type JournalRecord =
  | RunHeader
  | (StepRef & {
      readonly type: "intent";
      readonly at: string;
      readonly dev: number | null;
      readonly ino: number | null;
    })
  | (StepRef & {
      readonly type: "done";
      readonly at: string;
      readonly dev: number | null;
      readonly ino: number | null;
      /** Bytes the item holds as the plan measured them (null: not measured). */
      readonly bytes: number | null;
    })
  | { readonly type: "skip"; readonly seq: number; readonly at: string; readonly reason: string }
  | {
      readonly type: "fail";
      readonly seq: number;
      readonly step: number;
      readonly at: string;
      readonly error: string;
    }
  | { readonly type: "end"; readonly at: string }
  /** An interrupted apply taken up again by another process. */
  | { readonly type: "resume"; readonly at: string; readonly pid: number }
  | { readonly type: "undo"; readonly at: string; readonly pid: number }
  | (StepRef & { readonly type: "restored"; readonly at: string })
  | { readonly type: "undone"; readonly at: string }
  | { readonly type: "purged"; readonly at: string };

/** A new record's `at`. */
export function stamp(): string {
  return new Date().toISOString();
}

/** One line per errno crifs can meet while writing, as a CrifsError naming the path. */
export function writeError(err: unknown, path: string, verb: string): CrifsError {
  if (err instanceof CrifsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const msg = (words: string) => `cannot ${verb}: ${words}`;
  switch (code) {
    case "EROFS":
      return new CrifsError("permission", msg("read-only file system"), {
        path,
        remedy: "remount it read-write, then crifs repair --apply finishes the run (or --undo reverts it)",
        cause: err,
      });
    case "ENOSPC":
    case "EDQUOT":
      return new CrifsError("busy", msg("no space left on device"), {
        path,
        remedy: "free some space (the journal needs a few KiB), then crifs repair --apply finishes the run",
        cause: err,
      });
    case "EXDEV":
      return new CrifsError("unsupported", msg("it is on another filesystem or mount than the quarantine"), {
        path,
        remedy: "crifs only moves within one filesystem (a rename): remove it by hand if it must go",
        cause: err,
      });
    case "EACCES":
    case "EPERM":
      return new CrifsError("permission", msg("permission denied"), {
        path,
        remedy: "run crifs repair as root",
        cause: err,
      });
    default:
      return new CrifsError("corrupt", msg(errnoWords(code)), { path, cause: err });
  }
}

/** fsync of a dir: makes the names it holds (a rename, a new file) durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** An open journal, appended to one fsynced record at a time. */
export class Journal {
  readonly dir: string;
  readonly path: string;
  #fd: number;

  private constructor(dir: string, fd: number) {
    this.dir = dir;
    this.path = join(dir, JOURNAL_FILE);
    this.#fd = fd;
  }

  /** Makes the run dir `<quarantine>/<header.id>/` with its items/ and writes the header (fsynced with
   * every dir made). Throws a one-line CrifsError on a read-only or full filesystem. */
  static create(quarantine: string, header: RunHeader): Journal {
    const dir = join(quarantine, header.id);
    try {
      mkdirSync(quarantine, { recursive: true, mode: 0o700 });
      mkdirSync(dir, { mode: 0o700 });
      mkdirSync(join(dir, ITEMS_DIR), { mode: 0o700 });
    } catch (err) {
      throw writeError(err, dir, "make the run's quarantine dir");
    }
    let fd: number;
    try {
      fd = openSync(join(dir, JOURNAL_FILE), "wx", 0o600);
    } catch (err) {
      throw writeError(err, join(dir, JOURNAL_FILE), "make the journal");
    }
    const j = new Journal(dir, fd);
    try {
      j.append(header);
    } catch (err) {
      // no header, no run: nothing was changed, so the run's dir goes (removing needs no space)
      j.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    try {
      fsyncDir(dir);
      fsyncDir(quarantine);
    } catch (err) {
      throw writeError(err, dir, "sync the run's dir");
    }
    return j;
  }

  /** Opens a run's journal to append to it; a torn last line is ended first, so the next record starts a line. */
  static open(dir: string): Journal {
    const path = join(dir, JOURNAL_FILE);
    let fd: number;
    try {
      fd = openSync(path, "a");
    } catch (err) {
      throw writeError(err, path, "open the journal");
    }
    const j = new Journal(dir, fd);
    const text = readFileSync(path, "utf8");
    if (text !== "" && !text.endsWith("\n")) j.#write("\n");
    return j;
  }

  #write(s: string, sync = true): void {
    let start = -1;
    try {
      const b = Buffer.from(s);
      start = fstatSync(this.#fd).size;
      let off = 0;
      while (off < b.length) off += writeSync(this.#fd, b, off, b.length - off, start + off);
      if (sync) fsyncSync(this.#fd);
    } catch (err) {
      // a full filesystem can take part of a record: cut it off, so the journal holds whole records only
      // (a truncate needs no space) and the next append starts a line at the end
      if (start >= 0) {
        try {
          ftruncateSync(this.#fd, start);
        } catch {
          // the reader skips a torn line; Journal.open ends it
        }
      }
      throw writeError(err, this.path, "write the journal");
    }
  }

  /** Appends one record as one line and fsyncs the file. */
  append(record: JournalRecord): void {
    this.#write(`${JSON.stringify(record)}\n`);
  }

  /**
   * Appends a record that the disk can stand in for, without an fsync: a `done` or `restored` lost to a power
   * cut leaves its intent open (or the item recorded as still quarantined), and the next --apply or --undo
   * settles that by looking at the disk (apply.ts, undo.ts). One fsync per step instead of two: the intent's.
   */
  appendLazily(record: JournalRecord): void {
    this.#write(`${JSON.stringify(record)}\n`, false);
  }

  /** Appends an intent and fsyncs the journal's dir too (the file is durable by name before the step). */
  appendIntent(record: JournalRecord): void {
    this.append(record);
    try {
      fsyncDir(this.dir);
    } catch (err) {
      throw writeError(err, this.dir, "sync the run's dir");
    }
  }

  /**
   * Appends records already made into lines (each `JSON.stringify(record) + "\n"`) in one write; with `intent`,
   * fsyncs the file and the journal's dir once for all of them: a batch of intents costs what one did.
   */
  appendLines(lines: string, intent: boolean): void {
    if (lines === "") return;
    this.#write(lines, intent);
    if (!intent) return;
    try {
      fsyncDir(this.dir);
    } catch (err) {
      throw writeError(err, this.dir, "sync the run's dir");
    }
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** The records of a run's journal; a last line that does not parse (torn by a kill) is left out. */
export function readJournal(dir: string): { records: JournalRecord[]; torn: boolean } {
  const path = join(dir, JOURNAL_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw writeError(err, path, "read the journal");
  }
  const lines = text.split("\n");
  const records: JournalRecord[] = [];
  let torn = false;
  for (const line of lines) {
    if (line === "") continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // a line cut short by a kill: each record is one append, so only the last line of a killed process can
      // be torn, and Journal.open ends it before the next record; the record is lost, never half read
      torn = true;
    }
  }
  const first = records[0];
  if (first === undefined || first.type !== "run") {
    throw new CrifsError("corrupt", "cannot read the journal: it does not start with a run header", {
      path,
      remedy: "the run was cut short before it changed anything: remove its dir",
    });
  }
  return { records, torn };
}

export type RunState = "planned" | "applying" | "interrupted" | "done" | "undone" | "purged";

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The state a run's records say it is in. A run without an end whose process is gone was interrupted. */
export function runState(records: readonly JournalRecord[]): RunState {
  const has = (t: JournalRecord["type"]) => records.some((r) => r.type === t);
  if (has("purged")) return "purged";
  if (has("undone")) return "undone";
  const undo = records.findLast((r) => r.type === "undo");
  if (undo !== undefined) return isAlive(undo.pid) ? "applying" : "interrupted";
  if (has("end")) return "done";
  // the process that last took the run up: the header's, or a resume's
  const last = records.findLast((r) => r.type === "run" || r.type === "resume") as { pid: number };
  if (!isAlive(last.pid)) return "interrupted";
  return has("intent") ? "applying" : "planned";
}

/** The changes a run made (its `done` steps) and those it may have made (an `intent` without `done`). */
export function stepsOf(records: readonly JournalRecord[]): {
  done: Extract<JournalRecord, { type: "done" }>[];
  open: Extract<JournalRecord, { type: "intent" }>[];
} {
  const done = records.filter((r): r is Extract<JournalRecord, { type: "done" }> => r.type === "done");
  const key = (r: { seq: number; step: number }) => `${r.seq}.${r.step}`;
  const doneKeys = new Set(done.map(key));
  const open = records.filter(
    (r): r is Extract<JournalRecord, { type: "intent" }> => r.type === "intent" && !doneKeys.has(key(r)),
  );
  return { done, open };
}

export interface RunSummary {
  readonly id: string;
  readonly dir: string;
  readonly createdAt: string;
  readonly runtime: string;
  readonly root: string;
  readonly state: RunState;
  /** Items the run moved into the quarantine and has not put back. */
  readonly items: number;
  /** Their bytes as the plan measured them. */
  readonly bytes: number;
  /** Whether the journal's last line was cut short (a kill mid-write). */
  readonly torn: boolean;
}

/** A run's summary from its journal. A purged or undone run holds nothing: only its header is parsed (a
 * record starts its line with its type, and a newline inside a string is escaped, so the marker is exact). */
export function summarizeRun(dir: string): RunSummary {
  const path = join(dir, JOURNAL_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw writeError(err, path, "read the journal");
  }
  const over = text.includes('\n{"type":"purged"')
    ? "purged"
    : text.includes('\n{"type":"undone"')
      ? "undone"
      : null;
  if (over !== null) {
    let head: RunHeader | null = null;
    try {
      head = JSON.parse(text.slice(0, text.indexOf("\n"))) as RunHeader;
    } catch {
      // no header: readJournal below says so
    }
    if (head?.type === "run")
      return {
        id: head.id,
        dir,
        createdAt: head.createdAt,
        runtime: head.runtime,
        root: head.root,
        state: over,
        items: 0,
        bytes: 0,
        torn: text !== "" && !text.endsWith("\n"),
      };
  }
  const { records, torn } = readJournal(dir);
  const head = records[0] as RunHeader;
  const state = runState(records);
  const restored = new Set(
    records.filter((r) => r.type === "restored").map((r) => `${(r as StepRef).seq}.${(r as StepRef).step}`),
  );
  const moved = stepsOf(records).done.filter(
    (r) => r.op === "quarantine" && !restored.has(`${r.seq}.${r.step}`),
  );
  const gone = state === "purged" || state === "undone";
  return {
    id: head.id,
    dir,
    createdAt: head.createdAt,
    runtime: head.runtime,
    root: head.root,
    state,
    items: gone ? 0 : moved.length,
    bytes: gone ? 0 : moved.reduce((n, r) => n + (r.bytes ?? 0), 0),
    torn,
  };
}

/** Every run in a quarantine, oldest first (run ids sort by time); none when the quarantine does not exist. */
export function listRuns(quarantine: string): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(quarantine);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw writeError(err, quarantine, "list the quarantine");
  }
  const out: RunSummary[] = [];
  for (const n of names.sort()) {
    const dir = join(quarantine, n);
    try {
      if (!statSync(join(dir, JOURNAL_FILE)).isFile()) continue;
    } catch {
      continue; // not a run's dir (or a run cut short before its journal existed)
    }
    try {
      out.push(summarizeRun(dir));
    } catch (err) {
      // a journal without its header: the run was killed between making the file and its first write,
      // before any change; nothing to finish or undo
      if (err instanceof CrifsError && err.code === "corrupt") continue;
      throw err;
    }
  }
  return out;
}

/** A new run id: the UTC time to the millisecond and the pid, so that ids sort by time. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(".", "")}-${process.pid}`;
}
