// repair/journal.ts — a repair run on disk. A run is a dir in the quarantine,
//
//   <root>/.crifs-quarantine/<run-id>/
//     plan.json         the plan the run carries out (what a resumed run goes on with), fsynced before the
//                       journal's header
//     journal.jsonl     one JSON record per line (JournalRecord), appended a batch at a time
//     items/<seq>-<step> what the run moved aside (renamed here, on the same filesystem as where it lay)
//
// and items from outside the root (kubelet's log dirs) go to `<log dir's parent>/.crifs-quarantine/<run-id>/
// items/`, named in their records. The records, in order: the run header (one short line: the plan is in
// plan.json, so that --list, --undo and --purge never parse it; a version 1 header, of runs made before,
// holds the whole plan); per step an
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
  readSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { CrifsError, errnoWords } from "../errors.js";
import type { Plan, PlannedAction, Step } from "./action.js";
import { actionText } from "./plan-text.js";

export const JOURNAL_FILE = "journal.jsonl";
export const PLAN_FILE = "plan.json";
export const ITEMS_DIR = "items";

export interface RunHeader {
  readonly type: "run";
  /** 2: the plan is in `planFile`; 1 (runs made before): the plan is in the header. */
  readonly version: 1 | 2;
  readonly id: string;
  readonly createdAt: string;
  /** The process that applies it (a live one means the run is still going). */
  readonly pid: number;
  readonly runtime: string;
  readonly root: string;
  /** Version 2: the plan's file in the run's dir, and how many actions it holds. */
  readonly planFile?: string;
  readonly actions?: number;
  /** Version 1: the whole plan. */
  readonly plan?: Plan;
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

/**
 * Writes all of `text` to `fd` (at `position`, else at the file's offset); returns how many bytes. The text goes
 * to writeSync as a string (Node encodes it into its own buffer, no Buffer object of it is made); a write cut
 * short (a full filesystem takes part of it) goes on from where it stopped, as bytes.
 */
function writeText(fd: number, text: string, position: number | null = null): number {
  const n = writeSync(fd, text, position, "utf8");
  const size = Buffer.byteLength(text, "utf8");
  if (n >= size) return n;
  const b = Buffer.from(text, "utf8");
  let off = n;
  while (off < b.length)
    off += writeSync(fd, b, off, b.length - off, position === null ? null : position + off);
  return off;
}

/** Text handed to writeSync at a time by writePlanDurably. */
const PLAN_CHUNK = 1 << 18;

/**
 * Writes a plan as a new file, the text JSON.stringify(plan) makes, and fsyncs it (its name is made durable by
 * the fsync of its dir that follows). The actions go a chunk of text at a time: 10^4 actions are some 11 MB
 * of JSON, which as one string and one Buffer of its bytes were two large allocations of the apply's.
 */
export function writePlanDurably(path: string, plan: Plan, chunk = PLAN_CHUNK): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    let out = "{";
    const flush = () => {
      writeText(fd, out);
      out = "";
    };
    let first = true;
    for (const [key, value] of Object.entries(plan)) {
      if (value === undefined) continue; // as JSON.stringify leaves it out
      out += `${first ? "" : ","}${JSON.stringify(key)}:`;
      first = false;
      if (key !== "actions") {
        out += JSON.stringify(value);
        continue;
      }
      out += "[";
      for (let i = 0; i < plan.actions.length; i++) {
        out += `${i === 0 ? "" : ","}${actionText(plan.actions[i] as PlannedAction)}`;
        if (out.length >= chunk) flush();
      }
      out += "]";
    }
    out += "}";
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The plan a run carries out: its plan.json (version 2), or its header's (version 1). */
export function readPlan(dir: string, header: RunHeader): Plan {
  if (header.plan !== undefined) return header.plan;
  const path = join(dir, header.planFile ?? PLAN_FILE);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Plan;
  } catch (err) {
    if (err instanceof SyntaxError)
      throw new CrifsError("corrupt", "cannot read the run's plan: it is not whole JSON", {
        path,
        remedy: "crifs repair --undo reverts what the run did (its journal alone is enough)",
      });
    throw writeError(err, path, "read the run's plan");
  }
}

/** An open journal, appended to one fsynced record at a time. */
export class Journal {
  readonly dir: string;
  readonly path: string;
  #fd: number;
  /** Whether the journal's name is durable in its dir (create fsyncs the dir; open does at the first intent).
   * An append only grows the file, which the file's own fsync makes durable: the dir is fsynced once, not per
   * batch (under other I/O each fsync waits for the filesystem's journal commit). */
  #dirSynced = false;

  private constructor(dir: string, fd: number) {
    this.dir = dir;
    this.path = join(dir, JOURNAL_FILE);
    this.#fd = fd;
  }

  /** Makes the run dir `<quarantine>/<header.id>/` with its items/ and writes the header (fsynced with
   * every dir made); with `plan`, the plan's file first (fsynced) and a version 2 header naming it. Throws a
   * one-line CrifsError on a read-only or full filesystem. */
  static create(quarantine: string, header: RunHeader, plan?: Plan): Journal {
    const dir = join(quarantine, header.id);
    try {
      mkdirSync(quarantine, { recursive: true, mode: 0o700 });
      mkdirSync(dir, { mode: 0o700 });
      mkdirSync(join(dir, ITEMS_DIR), { mode: 0o700 });
    } catch (err) {
      throw writeError(err, dir, "make the run's quarantine dir");
    }
    if (plan !== undefined) {
      const path = join(dir, PLAN_FILE);
      try {
        writePlanDurably(path, plan);
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw writeError(err, path, "write the run's plan");
      }
      header = { ...header, version: 2, planFile: PLAN_FILE, actions: plan.actions.length };
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
    j.#dirSynced = true;
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
    // only its last byte: a journal of 10^4 steps is not read whole to append to it
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = openSync(path, "r");
      try {
        readSync(rfd, last, 0, 1, size - 1);
      } finally {
        closeSync(rfd);
      }
      if (last[0] !== 0x0a) j.#write("\n");
    }
    return j;
  }

  #write(s: string, sync = true): void {
    let start = -1;
    try {
      start = fstatSync(this.#fd).size;
      writeText(this.#fd, s, start);
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

  /** The journal's dir fsynced once (the file is durable by name before the first step). */
  #syncDir(): void {
    if (this.#dirSynced) return;
    try {
      fsyncDir(this.dir);
    } catch (err) {
      throw writeError(err, this.dir, "sync the run's dir");
    }
    this.#dirSynced = true;
  }

  /** Appends an intent, fsynced, and the journal's dir once (the file is durable by name before the step). */
  appendIntent(record: JournalRecord): void {
    this.append(record);
    this.#syncDir();
  }

  /**
   * Appends records already made into lines (each `JSON.stringify(record) + "\n"`) in one write; with `intent`,
   * fsyncs the file once for all of them (and the journal's dir, the first time): a batch of intents costs
   * what one did.
   */
  appendLines(lines: string, intent: boolean): void {
    if (lines === "") return;
    this.#write(lines, intent);
    if (intent) this.#syncDir();
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** The lines of a file, read 1 MiB at a time (a journal of 10^4 steps is never held whole as one string);
 * the last one even without its newline. */
function* linesOf(path: string): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw writeError(err, path, "read the journal");
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    const decoder = new StringDecoder("utf8");
    let rest = "";
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        throw writeError(err, path, "read the journal");
      }
      if (n === 0) break;
      const text = rest + decoder.write(buf.subarray(0, n));
      let from = 0;
      for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", from)) {
        yield text.slice(from, at);
        from = at + 1;
      }
      rest = text.slice(from);
    }
    rest += decoder.end();
    if (rest !== "") yield rest;
  } finally {
    closeSync(fd);
  }
}

/** The records of a run's journal, read a chunk at a time; a last line that does not parse (torn by a kill)
 * is left out. */
export function readJournal(dir: string): { records: JournalRecord[]; torn: boolean } {
  const path = join(dir, JOURNAL_FILE);
  const records: JournalRecord[] = [];
  let torn = false;
  for (const line of linesOf(path)) {
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
  /** Their bytes as the plan measured them; null when it did not measure them all (`--apply --yes`). */
  readonly bytes: number | null;
  /** Whether the journal's last line was cut short (a kill mid-write). */
  readonly torn: boolean;
}

/** The first `max` bytes of a file and its last `max` bytes (both the whole file when it is smaller). */
function headAndTail(path: string, max: number): { head: string; tail: string; size: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const read = (at: number, n: number) => {
      const b = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const k = readSync(fd, b, got, n - got, at + got);
        if (k === 0) break;
        got += k;
      }
      return b.subarray(0, got).toString("utf8");
    };
    const head = read(0, Math.min(size, max));
    return { head, tail: size <= max ? head : read(size - max, max), size };
  } finally {
    closeSync(fd);
  }
}

/** The header's line from the first bytes of a journal; a version 1 header (the whole plan in it, written
 * by crifs with `plan` its last field) without its plan. */
function headerText(head: string): string {
  const end = head.indexOf("\n");
  if (end >= 0) return head.slice(0, end);
  const plan = head.indexOf(',"plan":{');
  return plan < 0 ? head : `${head.slice(0, plan)}}`;
}

/**
 * A run's summary from its journal. A run whose last record says it is over (`undone`, or `purged`: nothing
 * follows either) holds nothing: only its header and its last line are read, never the rest (a journal of
 * 10^4 steps is megabytes, and every command lists the runs). A record starts its line with its type, and a
 * newline inside a string is escaped, so the markers are exact.
 */
export function summarizeRun(dir: string): RunSummary {
  const path = join(dir, JOURNAL_FILE);
  let ends: { head: string; tail: string; size: number };
  try {
    ends = headAndTail(path, 64 * 1024);
  } catch (err) {
    throw writeError(err, path, "read the journal");
  }
  const lastLine = ends.tail.endsWith("\n")
    ? ends.tail.slice(ends.tail.lastIndexOf("\n", ends.tail.length - 2) + 1)
    : "";
  const over = lastLine.startsWith('{"type":"purged"')
    ? "purged"
    : lastLine.startsWith('{"type":"undone"')
      ? "undone"
      : null;
  if (over !== null) {
    let head: RunHeader | null = null;
    try {
      head = JSON.parse(headerText(ends.head)) as RunHeader;
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
        torn: false,
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
  // bytes the plan did not measure (`--apply --yes` plans without the walk) are unknown, never 0
  const unmeasured = !gone && moved.some((r) => r.bytes === null);
  return {
    id: head.id,
    dir,
    createdAt: head.createdAt,
    runtime: head.runtime,
    root: head.root,
    state,
    items: gone ? 0 : moved.length,
    bytes: gone ? 0 : unmeasured ? null : moved.reduce((n, r) => n + (r.bytes ?? 0), 0),
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
