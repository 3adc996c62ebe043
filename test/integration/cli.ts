// test/integration/cli.ts — spawn bin/crifs the way a user does, and read docs/json.md's schemas.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import type { Bed } from "../bed/bed.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "bin", "crifs"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the repo root above this file");
}

export const REPO = repoRoot();
export const CRIFS = join(REPO, "bin", "crifs");

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function crifs(args: readonly string[], options: { uid?: number; gid?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CRIFS, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Async variant, so the test process's event loop (and churn loops) keep running. */
export function crifsAsync(args: readonly string[]): Promise<CliResult> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CRIFS, ...args]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => {
      stdout += d;
    });
    p.stderr.on("data", (d) => {
      stderr += d;
    });
    p.on("close", (code) => done({ status: code ?? -1, stdout, stderr }));
  });
}

/** Parses stdout as JSON, failing with crifs's stderr in the message. */
export function json<T = unknown>(r: CliResult): T {
  if (r.status !== 0) throw new Error(`crifs exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const schemas = new Map<string, object>();
for (const m of readFileSync(join(REPO, "docs", "json.md"), "utf8").matchAll(
  /```json schema:(\w+)\n([\s\S]*?)```/g,
)) {
  schemas.set(m[1] as string, JSON.parse(m[2] as string) as object);
}
const ajv = new Ajv({ allErrors: true, strict: false });

/** Validates data against the schema block `schema:<name>` of docs/json.md; returns the errors as text. */
export function contractErrors(name: string, data: unknown): string | null {
  const schema = schemas.get(name);
  if (schema === undefined) return `docs/json.md has no schema:${name} block`;
  const validate = ajv.compile(schema);
  return validate(data) ? null : ajv.errorsText(validate.errors);
}

/** A one-line error: exactly one stderr line starting "crifs: ", no stack trace. */
export function isOneLineError(r: CliResult): boolean {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  return lines.length === 1 && (lines[0] ?? "").startsWith("crifs: ") && !/\n\s+at /.test(r.stderr);
}

/** The global flags that point crifs at the bed's containerd store. */
export function bedFlags(bed: Bed): string[] {
  return ["--runtime", "containerd", "--root", bed.root, "--state", bed.state, "--config", bed.configPath];
}

/**
 * The kernel's overlay options on `mountPoint`, read from /proc/self/mountinfo by the tests' own small parse
 * (not crifs's parser, which is what is under test): lowerdir split on ':', upperdir, workdir.
 */
export function kernelOverlay(mountPoint: string): {
  lowerdir: string[] | undefined;
  upperdir: string | undefined;
  workdir: string | undefined;
} {
  const line = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .find((l) => l.split(" ")[4] === mountPoint);
  if (line === undefined) throw new Error(`no mount on ${mountPoint}`);
  const superOpts = (line.split(" - ")[1] ?? "").split(" ")[2]?.split(",") ?? [];
  const opt = (k: string) => superOpts.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  return { lowerdir: opt("lowerdir")?.split(":"), upperdir: opt("upperdir"), workdir: opt("workdir") };
}
