// runtimes/docker/api-repair.ts — the repairs only dockerd may make, through its Engine API on its unix socket
// (never by writing its JSON or layerdb behind its back): the removal of one image (DELETE /images/<id>,
// without force, keeping its untagged parents), and only when no container uses it.
//
// checkDockerApiRequest re-proves, just before the call, that the image is still there and that no container
// (running or not) was made from it; dockerd makes its own checks again inside the call (an image with
// children, or one tagged in several repositories, is refused without force), so a race ends in dockerd's
// refusal, never in a removed image a container needs.

import { CrifsError } from "../../errors.js";
import { getUnix, getUnixJson } from "../../live/unix-http.js";
import type { ApiRequest } from "../../repair/action.js";

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** "sha256:<hex>" or "<hex>" (an id docker prints) as the full "sha256:<hex>". */
function fullId(id: string): string {
  return id.startsWith("sha256:") ? id : `sha256:${id}`;
}

/** Null when `request` may be made now, else the reason to skip it. Throws when dockerd does not answer.
 * Cost: two requests (the image, every container). */
export async function checkDockerApiRequest(
  request: ApiRequest,
  socket: string,
  timeoutMs: number,
): Promise<string | null> {
  if (request.api !== "docker.image.remove") return `dockerd does not serve ${request.api}`;
  const id = fullId(request.id);
  const o = { timeoutMs, speaker: "Docker" };
  const img = await getUnix(socket, `/images/${encodeURIComponent(id)}/json`, o);
  if (img.status === 404) return `image ${id} is gone already`;
  if (img.status < 200 || img.status > 299)
    throw new CrifsError(
      "busy",
      `cannot read image ${id}: HTTP ${img.status}: ${img.body.trim().slice(0, 200)}`,
      {
        path: socket,
        remedy: "check that the socket is the daemon crifs expects",
      },
    );
  const containers = await getUnixJson(socket, "/containers/json?all=1", o);
  for (const c of Array.isArray(containers) ? containers : []) {
    if (str(obj(c).ImageID) !== id) continue;
    const name = (Array.isArray(obj(c).Names) ? (obj(c).Names as unknown[]) : []).map(str)[0] ?? "";
    return `container ${name.replace(/^\//, "") || str(obj(c).Id).slice(0, 12)} uses image ${id}`;
  }
  return null;
}

/** Removes the image through dockerd on `socket` (no force, untagged parents kept). Throws a CrifsError line
 * with dockerd's own reason when it refuses, or when it does not answer. Not undoable. */
export async function runDockerApiRequest(
  request: ApiRequest,
  socket: string,
  timeoutMs: number,
): Promise<void> {
  if (request.api !== "docker.image.remove") throw new Error(`dockerd does not serve ${request.api}`);
  const id = fullId(request.id);
  const r = await getUnix(socket, `/images/${encodeURIComponent(id)}?force=0&noprune=1`, {
    timeoutMs,
    speaker: "Docker",
    method: "DELETE",
  });
  if (r.status >= 200 && r.status <= 299) return;
  let why = r.body.trim();
  try {
    why = str(obj(JSON.parse(r.body)).message) || why;
  } catch {
    // not JSON: dockerd's text as it is
  }
  throw new CrifsError(
    r.status === 404 ? "not-found" : r.status === 409 ? "busy" : "unsupported",
    `cannot remove image ${id}: ${why.split("\n")[0]?.slice(0, 200) ?? ""}`,
    { path: socket, remedy: `docker rmi ${id} says the same: remove what still uses the image first` },
  );
}
