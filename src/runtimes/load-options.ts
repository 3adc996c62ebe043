// runtimes/load-options.ts — where a runtime's loader finds its store: crifs's --root, --state, --config and
// --host-root, the same four for every runtime (each loader reads its own defaults and config file).

export interface StoreLoadOptions {
  /** The store's root dir (containerd's root, c/storage's graphroot, docker's data-root). */
  readonly root?: string | undefined;
  /** The runtime's state dir (containerd's state, c/storage's runroot, dockerd's --exec-root). */
  readonly state?: string | undefined;
  /** The runtime's config file (config.toml, storage.conf or crio.conf, daemon.json). */
  readonly config?: string | undefined;
  /** --host-root: root, state and config are the node's paths, resolved inside this dir. */
  readonly hostRoot?: string | undefined;
}

/** The load options as a runtime's config reader takes them: --config becomes `path`, the rest keep their names. */
export function configReadOptions(
  options: StoreLoadOptions,
): Omit<StoreLoadOptions, "config"> & { readonly path: string | undefined } {
  return { path: options.config, root: options.root, state: options.state, hostRoot: options.hostRoot };
}
