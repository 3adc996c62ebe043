// runtimes/containerd/served-root.ts — the root the containerd on a socket serves, asked of the daemon itself:
// its Introspection service lists its plugins, and the content plugin exports its dir as `root`
// (`<root>/io.containerd.content.v1.content`, in 1.6, 1.7 and 2.x: `ctr plugins ls -d id==content` shows it).
// A store's files and the daemon on a socket are two things: --address may name the containerd of another root.

import { dirname } from "node:path";
import { dial, loadProtos, serviceCtor, unary } from "../../live/grpc.js";

/** The content plugin's type and id, whose `root` export lies in the daemon's root. */
const CONTENT_PLUGIN = { type: "io.containerd.content.v1", id: "content" };

interface PbPlugin {
  type: string;
  id: string;
  exports?: Record<string, string>;
}

/** The root the containerd on `socket` serves (the dir its content plugin's root lies in), or null when it
 * does not say. Cost: one call. Throws a CrifsError line when the socket fails. */
export async function containerdServedRoot(socket: string, timeoutMs: number): Promise<string | null> {
  const pkg = loadProtos(["containerd/introspection.proto"]);
  const client = dial(serviceCtor(pkg, "containerd.services.introspection.v1.Introspection"), socket);
  try {
    const r = await unary<{ plugins?: PbPlugin[] }>(
      client,
      "Plugins",
      { filters: [] },
      { socket, timeoutMs, speaker: "containerd" },
      "ask containerd which root it serves",
    );
    const content = (r.plugins ?? []).find(
      (p) => p.type === CONTENT_PLUGIN.type && p.id === CONTENT_PLUGIN.id,
    );
    const root = content?.exports?.root;
    return root === undefined || root === "" ? null : dirname(root);
  } finally {
    client.close();
  }
}
