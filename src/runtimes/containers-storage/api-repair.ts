// runtimes/containers-storage/api-repair.ts — the repairs only podman itself may make to a containers/storage
// store (never by writing layers.json behind its back): podman's own CLI, run with execFile (no shell), the
// arguments exactly as the plan's request lists them, bounded by --timeout. podman has no daemon and no
// socket: the socket argument of the Adapter's methods is not used.
//
// What it mends today: a layer containers/storage flagged incomplete, which c/storage deletes itself the next
// time podman opens the store for writing (`podman images` does: "Found incomplete layer …, deleting it").

import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { CrifsError } from "../../errors.js";
import { formatDuration } from "../../live/deadline.js";
import type { ApiRequest } from "../../repair/action.js";

/** Whether an executable `name` is in one of $PATH's dirs. */
function isOnPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => {
    if (d === "") return false;
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Null when podman is there to run the request, else the reason to skip it (the call, to run elsewhere). */
export async function checkPodmanApiRequest(request: ApiRequest): Promise<string | null> {
  if (request.api !== "podman.command") return `podman does not serve ${request.api}`;
  return isOnPath("podman")
    ? null
    : `podman is not on PATH: run podman ${request.argv.join(" ")} where it is`;
}

/** Runs `podman <argv…>` (no shell) within `timeoutMs`; throws a CrifsError line with podman's last error line
 * when it fails or runs out of time. */
export function runPodmanApiRequest(request: ApiRequest, timeoutMs: number): Promise<void> {
  if (request.api !== "podman.command")
    return Promise.reject(new Error(`podman does not serve ${request.api}`));
  const what = `podman ${request.argv.join(" ")}`;
  return new Promise((resolve, reject) => {
    execFile(
      "podman",
      [...request.argv],
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err === null) return resolve();
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        const last =
          String(stderr)
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "")
            .at(-1) ?? e.message;
        const message =
          e.code === "ENOENT"
            ? "podman is not on PATH"
            : e.killed === true
              ? `did not finish within ${formatDuration(timeoutMs)}`
              : last.slice(0, 200);
        reject(
          new CrifsError(e.code === "ENOENT" ? "not-found" : "busy", `cannot run ${what}: ${message}`, {
            remedy: "run the same command by hand to see podman's whole answer",
            cause: err,
          }),
        );
      },
    );
  });
}
