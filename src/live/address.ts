// live/address.ts — which socket to ask: --address (like crictl --runtime-endpoint), else
// /etc/crictl.yaml's runtime-endpoint, else the containerd config's grpc.address
// (/run/containerd/containerd.sock by default).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as yamlTypes from "yaml";

/** The YAML parser, loaded on first use (crictl.yaml is read only when no socket is given). */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)("yaml") as typeof yamlTypes).parse(text);
}

export const CRICTL_CONFIG = "/etc/crictl.yaml";

/** "unix:///run/x.sock" or "/run/x.sock" → "/run/x.sock"; null for other schemes (tcp, npipe). */
export function socketPath(endpoint: string): string | null {
  if (endpoint.startsWith("unix://")) return endpoint.slice("unix://".length);
  if (endpoint.startsWith("/")) return endpoint;
  return null;
}

/** runtime-endpoint from a crictl.yaml, or null when the file is absent, unreadable or names none. */
export function readCrictlEndpoint(path = CRICTL_CONFIG): string | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  try {
    const v = (parseYaml(text) as Record<string, unknown> | null)?.["runtime-endpoint"];
    return typeof v === "string" && v !== "" ? v : null;
  } catch {
    return null;
  }
}
