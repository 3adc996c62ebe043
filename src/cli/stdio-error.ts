// cli/stdio-error.ts — how crifs ends when writing its stdout or stderr fails: a reader that went away (EPIPE)
// quietly with 141, as SIGPIPE would; anything else (a full disk behind `> FILE`, /dev/full, EIO) with one line
// naming the stream, in words, with a remedy. It was a Node stack trace: the error was thrown from the stream's
// error event, outside every command's catch.

import { errnoWords, exitCodes } from "../errors.js";

export const EXIT_SIGPIPE = 141;

export interface StdioFailure {
  /** The line for stderr (with its newline), or null: say nothing. */
  readonly line: string | null;
  readonly code: number;
}

/** The line and exit code for `err`, raised by writing `stream`. */
export function stdioFailure(err: NodeJS.ErrnoException, stream: "stdout" | "stderr"): StdioFailure {
  if (err.code === "EPIPE") return { line: null, code: EXIT_SIGPIPE };
  const full = err.code === "ENOSPC" || err.code === "EDQUOT";
  const remedy = full
    ? "free space where the output goes, or send it elsewhere"
    : "check where the output goes (a disk error: dmesg), or send it elsewhere";
  return {
    line: `crifs: ${stream}: cannot write: ${errnoWords(err.code)} (hint: ${remedy})\n`,
    code: full ? exitCodes.busy : exitCodes.corrupt,
  };
}
