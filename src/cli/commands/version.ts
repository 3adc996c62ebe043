// cli/commands/version.ts — `crifs version`: crifs's own version and, when the runtime answers, what it
// says through CRI (Version) and containerd's Version service, like `crictl version`.

import { liveAdapter } from "../../runtimes/index.js";
import { render, renderDisplayYaml } from "../render/format.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, openCri } from "../stores.js";

/** JSON contract: docs/json.md#version. */
export interface VersionData {
  readonly crifs: string;
  readonly source: "live" | "disk";
  readonly address: string | null;
  /** CRI's VersionResponse, null when no runtime answered. */
  readonly cri: {
    readonly version: string;
    readonly runtimeName: string;
    readonly runtimeVersion: string;
    readonly runtimeApiVersion: string;
  } | null;
  /** containerd's own Version service, null when it did not answer. */
  readonly containerd: { readonly version: string; readonly revision: string } | null;
}

export async function versionCommand(g: GlobalOptions, crifsVersion: string): Promise<string> {
  const cri = await openCri(g);
  let data: VersionData = { crifs: crifsVersion, source: "disk", address: null, cri: null, containerd: null };
  if (cri !== null) {
    try {
      const v = await cri.version();
      let ctd: VersionData["containerd"] = null;
      try {
        ctd = (await liveAdapter()?.readVersion?.(cri.socket, g.timeoutMs ?? DEFAULT_TIMEOUT_MS)) ?? null;
      } catch {
        ctd = null; // a CRI runtime that is not containerd (CRI-O)
      }
      data = {
        crifs: crifsVersion,
        source: "live",
        address: cri.socket,
        cri: {
          version: v.version,
          runtimeName: v.runtime_name,
          runtimeVersion: v.runtime_version,
          runtimeApiVersion: v.runtime_api_version,
        },
        containerd: ctd,
      };
    } finally {
      cri.close();
    }
  }
  return render(g.output, data, { table: () => renderDisplayYaml(data) });
}
