// runtimes/testing.ts — each runtime's on-disk names and words for unit tests outside src/runtimes (the checks'
// scenario builders, CLI tests), as runtimes/index.ts is for the code: the one way in. Not used outside tests.

export { chainIds } from "../formats/oci/image.js";
export { loadContainerd } from "./containerd/load.js";
export { containerdTestPaths } from "./containerd/testing.js";
export { type UnpackedSample, unpackSample } from "./containerd/testing-sample.js";
export { containerdWords } from "./containerd/words.js";
export { containersStorageTestPaths } from "./containers-storage/testing.js";
export { crioWords, podmanWords } from "./containers-storage/words.js";
export { dockerTestPaths } from "./docker/testing.js";
export { dockerWords } from "./docker/words.js";
