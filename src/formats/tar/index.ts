// formats/tar/index.ts — crifs's own tar reader, enough to compare an image layer with its unpacked
// snapshot: bytes in memory in, entries out (no streaming: layers are bounded by maxLayerBytes).
//
//   read-tar.ts  parseTar: ustar, GNU long names/links, PAX records; corrupt input throws with an offset
//   layer.ts     decompressLayer (gzip or plain), parseLayer: the tree containerd's overlay unpack leaves
//   compare-layer.ts  compareLayer: that tree against the one found on disk, as lines of differences

export type { FoundEntry } from "./compare-layer.js";
export { compareLayer, isZeroFilled, zeroCheckMaxBytes } from "./compare-layer.js";
export type { LayerEntry, LayerEntryKind, ParseLayerOptions } from "./layer.js";
export { decompressLayer, layerCompression, maxLayerBytes, parseLayer } from "./layer.js";
export type { TarEntry, TarEntryKind } from "./read-tar.js";
export { blockSize, maxMetaSize, parsePaxRecords, parseTar } from "./read-tar.js";
