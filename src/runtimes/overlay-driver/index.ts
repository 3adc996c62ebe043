// runtimes/overlay-driver/index.ts — the overlay driver home shared by containers/storage and Docker overlay2.

export { type DriverStoreParts, driverStore } from "./driver-store.js";
export {
  lowerDirsOf,
  type OverlayHome,
  type OverlayLayerDir,
  parseLower,
  parseShortLinkTarget,
  readOverlayHome,
  readOverlayLayerDir,
  SHORT_LINK_DIR,
  type ShortLink,
  shortOfLowerEntry,
} from "./overlay-home.js";
