// explain/match.ts — finds the known messages (patterns.ts) in text an operator pasted or piped in: a journal,
// kubelet's events, `kubectl describe`, a CLI's stderr. Line by line, so `journalctl | crifs explain` holds
// one line at a time: ANSI escapes are removed first (a colouring pager or `kubectl` leaves them in), each
// line is cut at MAX_LINE characters, and every pattern that matches is kept once, with the first line that
// showed it, how many lines did, and the names (paths, ids, digests) in those lines. Pure: no I/O.

import { type MessagePattern, messagePatterns } from "./patterns.js";

/** Longest part of a line the patterns look at (a journal line of a whole JSON spec is 10^5 characters). */
export const MAX_LINE = 16_384;

/** The names at most kept per message (paths, ids, digests of its lines), for relating findings to it. */
export const MAX_NAMES = 64;

export interface MessageMatch {
  readonly pattern: MessagePattern;
  /** The first line that showed it, escapes removed (untrusted: print it through terminalSafe). */
  readonly line: string;
  /** How many lines showed it. */
  readonly count: number;
  /** Absolute paths, ids (12+ hex digits), digests and quoted names in those lines, first seen first. */
  readonly names: readonly string[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** A line as the patterns see it: ANSI escape sequences removed, a trailing CR dropped, cut at MAX_LINE. */
export function cleanLine(line: string): string {
  const cut = line.length > MAX_LINE * 2 ? line.slice(0, MAX_LINE * 2) : line;
  const clean = cut.replace(ANSI, "").replace(/\r$/, "");
  return clean.length > MAX_LINE ? clean.slice(0, MAX_LINE) : clean;
}

const PATH = /\/[^\s"'`,;()<>[\]{}]+/g;
const HEX_ID = /\b(?:sha256:)?[0-9a-f]{12,64}\b/g;
/** A quoted word that is not a path: a snapshot key, a container or image name. */
const QUOTED = /"([^"\s/\\]{3,200})"/g;

/** The paths, ids, digests and quoted names (keys, container names) a line names: what a finding's path or subject may share with it. */
export function namesIn(line: string): string[] {
  const out: string[] = [];
  // a journal escapes quotes (\"): drop the backslashes that would end a path
  const text = line.replace(/\\"/g, '"');
  for (const m of text.matchAll(PATH)) {
    const p = m[0].replace(/[.:]+$/, "");
    // a path of the store has a few levels; "/" or "/proc" alone relates to everything
    if (p.split("/").length >= 4) out.push(p);
  }
  for (const m of text.matchAll(HEX_ID)) out.push(m[0]);
  for (const m of text.matchAll(QUOTED)) if (!out.includes(m[1] as string)) out.push(m[1] as string);
  return out;
}

/** Gathers the known messages of a text fed one line at a time. */
export class MessageMatcher {
  readonly #found = new Map<
    string,
    { pattern: MessagePattern; line: string; count: number; names: string[] }
  >();
  #lines = 0;

  /** Lines seen so far. */
  get lines(): number {
    return this.#lines;
  }

  add(rawLine: string): void {
    this.#lines++;
    const line = cleanLine(rawLine);
    if (line.trim() === "") return;
    for (const pattern of messagePatterns) {
      if (!pattern.regex.test(line)) continue;
      let m = this.#found.get(pattern.id);
      if (m === undefined) {
        m = { pattern, line, count: 0, names: [] };
        this.#found.set(pattern.id, m);
      }
      m.count++;
      for (const n of namesIn(line)) {
        if (m.names.length >= MAX_NAMES) break;
        if (!m.names.includes(n)) m.names.push(n);
      }
    }
  }

  /** The messages found, in the table's order (patterns.ts). */
  matches(): MessageMatch[] {
    return messagePatterns.flatMap((p) => {
      const m = this.#found.get(p.id);
      return m === undefined ? [] : [m];
    });
  }
}

/** The known messages of a whole text (lines split on \n). */
export function matchMessages(text: string): MessageMatch[] {
  const m = new MessageMatcher();
  for (const line of text.split("\n")) m.add(line);
  return m.matches();
}
