// runtimes/docker/running-dockerd.ts — the exec-root of the dockerd that serves a data-root, read from its
// command line. dockerd takes --exec-root (and --data-root, --config-file) as flags as often as from
// daemon.json, and refuses to start when both name one option; so when daemon.json is silent, the running
// dockerd's flags are the only place that says where its runc state and containerd socket are. Without them
// crifs would look under /var/run/docker: no running task found, and a relocate plan naming the wrong dir.
//
// A process is taken only when root (or crifs's own user) runs it, and its data-root (flag, else its config
// file's, else /var/lib/docker) is the same dir as the store's (the same real path). With a host root, the
// process's paths are the node's and are resolved inside it. Cost: fs/proc-stat.ts processesNamed's (one
// /proc listing, a comm read per process).

import { readFileSync } from "node:fs";
import { parseJson } from "../../formats/json/parse-json.js";
import { processesNamed } from "../../fs/proc-stat.js";
import { resolveNodePath } from "../../fs/resolve-node-path.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_ROOT } from "./defaults.js";
import { isSameDir } from "./docker-api.js";

/** The value of a long flag (`--name X` or `--name=X`) in argv, or undefined. Later wins, as in dockerd. */
export function flagValue(argv: readonly string[], names: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    for (const n of names) {
      if (a === n && argv[i + 1] !== undefined) value = argv[i + 1];
      else if (a.startsWith(`${n}=`)) value = a.slice(n.length + 1);
    }
  }
  return value === "" ? undefined : value;
}

/** What a dockerd's command line (argv without argv[0]) says of its data-root and exec-root. */
export function dockerdDirs(
  argv: readonly string[],
  readConfig: (path: string) => Record<string, unknown> | null,
): { dataRoot: string; execRoot: string | undefined } {
  const flagRoot = flagValue(argv, ["--data-root", "--graph", "-g"]);
  const flagExec = flagValue(argv, ["--exec-root"]);
  if (flagRoot !== undefined && flagExec !== undefined) return { dataRoot: flagRoot, execRoot: flagExec };
  const table = readConfig(flagValue(argv, ["--config-file"]) ?? DEFAULT_CONFIG_PATH) ?? {};
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    dataRoot: flagRoot ?? str(table["data-root"]) ?? str(table.graph) ?? DEFAULT_ROOT,
    execRoot: flagExec ?? str(table["exec-root"]),
  };
}

/**
 * The exec-root (a path to open on this machine) of a running dockerd whose data-root is `root`, when its
 * command line or its own config file names one; else undefined (the caller keeps dockerd's default).
 */
export function runningExecRoot(root: string, hostRoot: string | undefined): string | undefined {
  const onHost = (p: string) => (hostRoot === undefined ? p : resolveNodePath(p, hostRoot).hostPath);
  const readConfig = (path: string): Record<string, unknown> | null => {
    try {
      const v = parseJson(readFileSync(onHost(path), "utf8"));
      return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null; // dockerd would not run with it; its flags still say what they say
    }
  };
  for (const { uid, argv } of processesNamed("dockerd")) {
    // anyone can name a process dockerd: only root's (or crifs's own user's) is believed
    if (uid !== 0 && uid !== process.getuid?.()) continue;
    const dirs = dockerdDirs(argv.slice(1), readConfig);
    if (dirs.execRoot !== undefined && isSameDir(onHost(dirs.dataRoot), root)) return onHost(dirs.execRoot);
  }
  return undefined;
}
