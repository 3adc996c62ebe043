// runtimes/containers-storage/doctor-metadata.ts — what doctor reads of a podman or CRI-O store before its
// checks run: the model (the JSON records) and the overlay driver home. A record file that does not decode is
// a ReadProblem (metadata-corrupt), not a crash; the home is still listed.

import type { MetadataRead } from "../../model/doctor-facts.js";
import { readOverlayHome } from "../overlay-driver/index.js";
import { loadOrProblem } from "../read-problem.js";
import { readStorageConfig } from "./config.js";
import {
  type ContainersStorageLoadOptions,
  HOME_NOT_LAYERS,
  loadContainersStorageDetailed,
  storeLayout,
} from "./load.js";
import { crioWords, podmanWords } from "./words.js";

/** Reads a containers/storage store's metadata for doctor: the model and the overlay home, or why not.
 * Cost: metadata and one listing of the home. */
export function readContainersStorageDoctorMetadata(options: ContainersStorageLoadOptions): MetadataRead {
  const { runtime } = options;
  const config = readStorageConfig({
    path: options.config,
    root: options.root,
    runroot: options.state,
    crio: runtime === "crio",
    hostRoot: options.hostRoot,
  });
  const layout = storeLayout(config);
  const { value: loaded, problems } = loadOrProblem(
    () => loadContainersStorageDetailed(options),
    layout.layersJson,
  );
  const home = loaded?.home ?? readOverlayHome(layout.home);
  return {
    root: config.graphroot,
    // no content store (and no readDoctorFacts): the root, for the paths findings name
    contentRoot: config.graphroot,
    store: loaded?.store ?? null,
    words: runtime === "crio" ? crioWords : podmanWords,
    metadataProblems: problems,
    snapshotters: [],
    overlayDriver: {
      driver: config.driver,
      home: layout.home,
      ignore: HOME_NOT_LAYERS,
      layers: home.layers,
      shortLinks: home.shortLinks,
      incompleteLayers: loaded?.incompleteLayers ?? new Set(),
    },
  };
}
