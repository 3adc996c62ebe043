// model/words.ts — how findings speak of one runtime: its name, its tools, its metadata files. Each runtime
// fills one (src/runtimes/<runtime>/words.ts, reached through its Adapter in src/runtimes/index.ts) and doctor
// hands it to the checks in DoctorInput, so a podman or docker user is never told to stop containerd or run
// ctr, and no message shows the empty namespace of a runtime that has none.

export interface RuntimeWords {
  /** The runtime as a person names it: "containerd", "podman", "CRI-O", "docker". */
  readonly name: string;
  /** Whether its objects live in namespaces (containerd); the others have one, "", that is never shown. */
  readonly hasNamespaces: boolean;
  /** The file(s) holding layer records and their parent links, in prose ("meta.db", "layers.json", …). */
  readonly layerRecords: string;
  /** The file that holds its image, container and layer records (containerd's meta.db), for a finding about
   * records that differ from what the daemon serves. */
  metadataFile(root: string): string;
  /** When it keeps one record per image layer (docker's layerdb, by chain id): the entry a layer key names
   * and what a user calls it; null when the layer records are one file (layerRecords). */
  readonly layerEntry: { readonly name: string; path(root: string, key: string): string } | null;
  /** Where `crifs why <path>` can place a path: its layer or snapshot dirs and blob files, in prose. */
  readonly objectPaths: string;
  /** A layer whose parent names no layer. */
  readonly danglingParent: string;
  /** Layers whose parents form a cycle (or a layer that is its own parent). */
  readonly parentCycle: string;
  /** A metadata file that does not decode at all. */
  readonly corruptFile: string;
  /** One record (an image, container or layer entry) that does not decode or names what is not there. */
  readonly corruptRecord: string;
  /** The setting that names the store's root, and where it is set ("root in config.toml", …). */
  readonly rootSetting: string;
  /** A command that makes the runtime open its store for writing, when one exists (containers/storage then
   * cleans up interrupted layers): "podman images"; null when only a restart does. */
  readonly openStore: string | null;
  /** Removing an image so that it can be pulled again. */
  removeImage(name: string): string;
  /** Removing a container so that it can be created again. */
  removeContainer(name: string): string;
}

/** `<what> <namespace>/<rest>`, or `<what> <rest>` for a runtime without namespaces (no leading "/"). */
export function subjectOf(what: string, namespace: string, rest: string): string {
  return namespace === "" ? `${what} ${rest}` : `${what} ${namespace}/${rest}`;
}

/** ` in namespace "<ns>"`, or nothing for the empty namespace of runtimes that have none. */
export function inNamespace(namespace: string): string {
  return namespace === "" ? "" : ` in namespace "${namespace}"`;
}
