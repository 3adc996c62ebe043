// cli/render/progress.ts — the progress line of long work (du, doctor, links --shared; later clone, relocate,
// repair): on stderr, only when stderr is a terminal and --no-progress is not given; entries and bytes so far,
// the rate, and an ETA against the previous run's count of the same trees (fs/scan-counts.ts). cli-progress
// draws it: at most 10 times a second, cropped to the terminal's width, and cleared when done, so what is
// left on the screen is the output alone. Piped or redirected, nothing is written at all: the output is
// byte-identical with and without --no-progress. crifs prints no colour anywhere (this line neither), so
// --no-color and NO_COLOR have nothing to turn off.

import { createRequire } from "node:module";
import type * as cliProgressTypes from "cli-progress";
import { humanBytes } from "./format.js";

const require = createRequire(import.meta.url);

/** A piece of long work's progress, as the work reports it. */
export interface ProgressReporter {
  /** The entries the work is expected to meet (the last run's count), for the ETA. */
  expect(entries: number): void;
  /** Entries and bytes done so far (totals, not increments). */
  update(entries: number, bytes: number): void;
  /** Removes the line (call it also when the work fails). */
  done(): void;
}

let isEnabled = true;

/** --no-progress: no progress line for the rest of the run. */
export function setProgressEnabled(on: boolean): void {
  isEnabled = on;
}

/** Whether a progress line would be drawn: stderr is a terminal (not dumb) and --no-progress was not given. */
export function isProgressShown(): boolean {
  return isEnabled && process.stderr.isTTY === true && process.env.TERM !== "dumb";
}

const silent: ProgressReporter = { expect() {}, update() {}, done() {} };

/** 1234567 → "1.2M". */
function count(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
    : `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** The line's text: "du <root>: 1.2M entries, 3.4 GiB, 250.0k entries/s, 48% ETA 0:12". */
export function progressLine(
  label: string,
  s: { entries: number; bytes: number; elapsedMs: number; total: number | null },
): string {
  const rate = s.elapsedMs > 0 ? (s.entries * 1000) / s.elapsedMs : 0;
  let line = `${label}: ${count(s.entries)} entries, ${humanBytes(Math.round(s.bytes))}, ${count(rate)} entries/s`;
  if (s.total !== null && s.total > 0) {
    if (s.entries < s.total && rate > 0) {
      const pct = Math.floor((100 * s.entries) / s.total);
      line += `, ${pct}% ETA ${duration(((s.total - s.entries) / rate) * 1000)}`;
    } else {
      line += ", past last run's count";
    }
  }
  return line;
}

/**
 * A progress line for `label` (silent when isProgressShown() is false). `total`: the entries expected, when
 * the caller knows them (else expect() may give them later). Cost: a redraw timer while the line is up.
 */
export function progress(label: string, o: { total?: number } = {}): ProgressReporter {
  if (!isProgressShown()) return silent;
  const { SingleBar } = require("cli-progress") as typeof cliProgressTypes;
  const t0 = Date.now();
  const state = { entries: 0, bytes: 0, total: o.total ?? null };
  const bar = new SingleBar({
    stream: process.stderr,
    fps: 10,
    clearOnComplete: true,
    hideCursor: false,
    linewrap: false, // cropped to the width: a wrapped line could not be cleared
    gracefulExit: false, // Ctrl-C stays Node's: end the run
    format: () => progressLine(label, { ...state, elapsedMs: Date.now() - t0 }),
  });
  bar.start(1, 0);
  let isDone = false;
  const clear = () => {
    if (isDone) return;
    isDone = true;
    bar.stop();
    process.off("exit", clear);
  };
  process.on("exit", clear); // an error thrown past the caller still leaves a clean line
  return {
    expect(entries) {
      state.total = entries;
    },
    update(entries, bytes) {
      state.entries = entries;
      state.bytes = bytes;
      bar.update(0); // the bar redraws on its own timer, at most fps times a second
    },
    done: clear,
  };
}
