// runtimes/docker/defaults.ts — dockerd's built-in paths, apart from config.ts so that running-dockerd.ts
// (which config.ts calls) reads them without a cycle of imports.

export const DEFAULT_CONFIG_PATH = "/etc/docker/daemon.json";
export const DEFAULT_ROOT = "/var/lib/docker";
export const DEFAULT_EXEC_ROOT = "/var/run/docker";
