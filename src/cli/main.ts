// cli/main.ts — the one boundary: parse flags, run a command, print its output; catch every error and print
// one line (`crifs: <path>: <problem> (hint: <remedy>)`), set the exit code. `--debug` adds the cause chain.

import { writeSync } from "node:fs";
import { CommanderError } from "commander";
import { CrifsError, exitCodes } from "../errors.js";
import { program } from "./program.js";
import { terminalSafe } from "./render/terminal-safe.js";
import { stdioFailure } from "./stdio-error.js";

export { VERSION } from "./program.js";

function describe(err: unknown, debug: boolean): { line: string; code: number } {
  if (err instanceof CrifsError) {
    let line = err.oneLine();
    if (debug) {
      let c: unknown = err.cause;
      for (let i = 0; c !== undefined && i < 8; i++) {
        line += `\n  caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`;
        c = c instanceof Error ? c.cause : undefined;
      }
    }
    return { line, code: exitCodes[err.code] };
  }
  const msg = err instanceof Error ? err.message : String(err);
  const line =
    debug && err instanceof Error
      ? (err.stack ?? msg)
      : `internal error: ${msg.split("\n")[0]} (hint: rerun with --debug and report it)`;
  return { line, code: 70 };
}

/**
 * A reader that went away (`crifs links | head`) is not an error worth a word: stop at once, quietly, with
 * the status a program killed by SIGPIPE has (Node ignores the signal, so the write fails with EPIPE). Any
 * other failed write (a full disk behind `> FILE`) ends crifs with one line (stdio-error.ts).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") > 0) continue;
    stream.on("error", (err: NodeJS.ErrnoException) => {
      const failure = stdioFailure(err, stream === process.stdout ? "stdout" : "stderr");
      if (failure.line !== null && stream !== process.stderr) {
        try {
          writeSync(2, failure.line);
        } catch {
          // stderr is gone too: the exit code says it
        }
      }
      process.exit(failure.code);
    });
  }
}

/** Runs crifs with argv (without node and script); returns the exit code. Never throws. */
export async function run(argv: readonly string[]): Promise<number> {
  quietOnClosedPipe();
  const debug = argv.includes("--debug");
  const out: string[] = [];
  const write = (s: string) => {
    out.push(s);
  };
  let status = 0; // raised by commands that report through their exit code (doctor)
  try {
    await program(write, (code) => {
      status = Math.max(status, code);
    }).parseAsync([...argv], { from: "user" });
    process.stdout.write(out.join(""));
    return status;
  } catch (err) {
    process.stdout.write(out.join(""));
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      process.stderr.write(
        `crifs: ${err.message.replace(/^error: /, "").split("\n")[0]} (hint: crifs --help)\n`,
      );
      return exitCodes.usage;
    }
    const d = describe(err, debug);
    // the line names paths and records a hostile image chose: shown escaped, never raw
    process.stderr.write(`crifs: ${debug ? d.line : terminalSafe(d.line)}\n`);
    return d.code;
  }
}
