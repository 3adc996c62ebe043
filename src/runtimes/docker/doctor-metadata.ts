// runtimes/docker/doctor-metadata.ts — what doctor reads of a Docker overlay2 data-root before its checks run:
// the model and the overlay2 home. An unparsable repositories.json stops the load, as it stops dockerd: a
// ReadProblem (metadata-corrupt), and the home is still listed.

import type { MetadataRead } from "../../model/doctor-facts.js";
import { configReadOptions } from "../load-options.js";
import { readOverlayHome } from "../overlay-driver/index.js";
import { loadOrProblem } from "../read-problem.js";
import { readDockerConfig } from "./config.js";
import { embeddedOptions, isContainerdImageStore } from "./containerd-store.js";
import { dockerLayout, STORAGE_DRIVER } from "./layout.js";
import { type DockerLoadOptions, loadDocker, loadDockerOnContainerd } from "./load.js";
import { dockerWords } from "./words.js";

/** Reads a Docker data-root's metadata for doctor: the model and the overlay2 home, or why not.
 * Cost: metadata and one listing of the home. */
export function readDockerDoctorMetadata(options: DockerLoadOptions): MetadataRead {
  const config = readDockerConfig(configReadOptions(options));
  const { embedded } = options;
  if (embedded !== undefined && isContainerdImageStore(config.root, config.containerdSnapshotter)) {
    // containerd's own facts of its root (snapshotters, content), with docker's store over them
    const ctd = embedded.readDoctorMetadata(
      embeddedOptions({ root: config.root, execRoot: config.execRoot, hostRoot: options.hostRoot }),
    );
    const { value: store, problems } = loadOrProblem(
      () => loadDockerOnContainerd(embedded, config, options.hostRoot),
      ctd.root,
    );
    return { ...ctd, store, words: dockerWords, metadataProblems: [...ctd.metadataProblems, ...problems] };
  }
  const layout = dockerLayout(config.root);
  const { value: store, problems } = loadOrProblem(() => loadDocker(options), layout.repositories);
  const home = readOverlayHome(layout.overlay);
  return {
    root: config.root,
    // no content store (and no readDoctorFacts): the root, for the paths findings name
    contentRoot: config.root,
    store,
    words: dockerWords,
    metadataProblems: problems,
    snapshotters: [],
    overlayDriver: {
      driver: STORAGE_DRIVER,
      home: layout.overlay,
      ignore: ["l", ".crifs-quarantine"],
      layers: home.layers,
      shortLinks: home.shortLinks,
      incompleteLayers: new Set(),
    },
  };
}
