// runtimes/read-problem.ts — what the adapters' doctor reads share: a load that stopped on a file that does not
// decode becomes a ReadProblem (doctor's metadata-corrupt finding) instead of an error.

import { CrifsError } from "../errors.js";
import type { ReadProblem } from "../model/doctor-facts.js";

/** The problem of a "corrupt" error (at its own path, else `path`); any other error is rethrown. */
export function readProblemOf(err: unknown, path: string): ReadProblem {
  if (!(err instanceof CrifsError) || err.code !== "corrupt") throw err;
  return { path: err.path ?? path, message: err.message };
}

/** Runs a load: its value, or null and the problem when a file it reads does not decode. */
export function loadOrProblem<T>(load: () => T, path: string): { value: T | null; problems: ReadProblem[] } {
  try {
    return { value: load(), problems: [] };
  } catch (err) {
    return { value: null, problems: [readProblemOf(err, path)] };
  }
}
