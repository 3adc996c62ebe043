// repair/undo.ts — `crifs repair --undo [RUN]`: renames every item a run moved back where it was. A rename
// keeps the inode, so owners, modes, times, xattrs and hard links come back as they were. An item whose
// original path exists again is left in the quarantine and said so (never overwritten). A created link (a
// `symlink` step) is moved into the quarantine instead. API calls cannot be undone: each is reported.
// An undo killed midway is finished by the next undo: an item already back (its original path holds the
// quarantined inode and the item is gone) is simply recorded.

import { lstatSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { CrifsError } from "../errors.js";
import { fsPath } from "../fs/name-codec.js";
import {
  fsyncDir,
  Journal,
  type JournalRecord,
  readJournal,
  runState,
  stamp,
  stepsOf,
  writeError,
} from "./journal.js";

type Change = Extract<JournalRecord, { type: "done" | "intent" }>;

/** The journal's record that change `c` was put back from `item`. */
function restoredRecord(c: Change, item: string): JournalRecord {
  return { type: "restored", seq: c.seq, step: c.step, op: c.op, path: c.path, item, at: stamp() };
}

export interface UndoItem {
  readonly seq: number;
  readonly path: string;
  readonly item: string | null;
  /** restored: back in place; kept: left in the quarantine (see reason); not-undoable: an API call. */
  readonly outcome: "restored" | "kept" | "not-undoable";
  readonly reason: string | null;
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(fsPath(path));
  } catch {
    return null;
  }
}

/** Reverts the run in `runDir`. Throws a one-line CrifsError when the run cannot be undone (purged) or the
 * filesystem refuses; what was put back before stays recorded. */
export function undoRun(runDir: string): UndoItem[] {
  const { records } = readJournal(runDir);
  const state = runState(records);
  if (state === "purged")
    throw new CrifsError("not-found", "cannot undo the run: it was purged (its items are deleted)", {
      path: runDir,
      remedy: "crifs repair --list shows the runs that can still be undone",
    });
  const restored = new Set(
    records
      .filter((r) => r.type === "restored")
      .map((r) => `${(r as { seq: number }).seq}.${(r as { step: number }).step}`),
  );
  const { done, open } = stepsOf(records);
  // an intent without done may have been carried out (killed between the change and its done record)
  const changes: Change[] = [...done, ...open];
  changes.sort((a, b) => b.seq - a.seq || b.step - a.step); // the reverse of the order they were made in
  const journal = Journal.open(runDir);
  const out: UndoItem[] = [];
  try {
    journal.append({ type: "undo", at: stamp(), pid: process.pid });
    for (const c of changes) {
      const key = `${c.seq}.${c.step}`;
      if (restored.has(key)) {
        out.push({ seq: c.seq, path: c.path, item: c.item, outcome: "restored", reason: null });
        continue;
      }
      if (c.op === "api") {
        if (c.type === "done")
          out.push({
            seq: c.seq,
            path: c.path,
            item: null,
            outcome: "not-undoable",
            reason: "a call to the runtime's API cannot be undone",
          });
        continue;
      }
      const item = c.item ?? "";
      const atItem = lstatOrNull(item);
      const atPath = lstatOrNull(c.path);
      if (c.op === "symlink") {
        // undo a created link: move it into the quarantine (where `item` names it)
        if (atPath === null || !atPath.isSymbolicLink() || (c.ino !== null && atPath.ino !== c.ino)) continue;
        try {
          mkdirSync(dirname(item), { recursive: true, mode: 0o700 });
          renameSync(fsPath(c.path), item);
          fsyncDir(dirname(item));
        } catch (err) {
          throw writeError(err, c.path, "move the created link into the quarantine");
        }
        journal.append(restoredRecord(c, item));
        out.push({ seq: c.seq, path: c.path, item, outcome: "restored", reason: null });
        continue;
      }
      if (atItem === null) {
        // never moved (an intent only), or put back by an undo that was killed before it said so
        if (atPath !== null && c.ino !== null && atPath.ino === c.ino && c.type === "done")
          journal.append(restoredRecord(c, item));
        if (c.type === "done")
          out.push({
            seq: c.seq,
            path: c.path,
            item,
            outcome: atPath === null ? "kept" : "restored",
            reason: atPath === null ? "the quarantined item is gone" : null,
          });
        continue;
      }
      if (atPath !== null) {
        out.push({
          seq: c.seq,
          path: c.path,
          item,
          outcome: "kept",
          reason: `${c.path} exists now: the item stays in the quarantine`,
        });
        continue;
      }
      try {
        renameSync(item, fsPath(c.path));
      } catch (err) {
        throw writeError(err, c.path, "put it back");
      }
      // lazily: a lost record is settled by the next undo (the item gone, its inode back at its path)
      journal.appendLazily(restoredRecord(c, item));
      out.push({ seq: c.seq, path: c.path, item, outcome: "restored", reason: null });
    }
    if (!out.some((o) => o.outcome === "kept")) journal.append({ type: "undone", at: stamp() });
  } finally {
    journal.close();
  }
  return out;
}
