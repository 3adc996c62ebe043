// bench/shapes.mjs — the store shapes bench/make-store.mjs can build, in one table (issue 15), and the knobs.
//
// Every shape is a real containerd store made by the same generator: chains of layers (`ctr snapshots
// prepare`/`commit`), one image per chain that owns them, and a few containers with active snapshots.
// `recipe` says how a layer's fs dir is filled:
//   usr        today's store (issue 15 keeps it so old results stay comparable): copies of /usr subtrees,
//              `cp -al` clones of earlier layers and flat synthetic trees; its knobs are the old constants
//   generated  trees made from the knobs below, deterministic by seed
//
// Knobs of a generated shape (shares are of the layer's entries unless said otherwise):
//   chains, layersPerChain   images × layers; layer i of a chain is the parent of layer i+1
//   entries                  about how many entries in all (every file, dir, symlink, link name, whiteout)
//   distribution             how entries spread over layers: { lognormal: [mu, sigma] } (scaled to entries),
//                            { uniform: [min, max] } (entries is then only a guide), or { perLayer: [n, …] }
//   symlinks                 share of entries that are symlinks
//   broken                   share of those symlinks that are broken inside the container, split by brokenMix:
//     brokenMix.host         absolute targets that only exist on a host (/etc/hostname, /usr/bin/env, …):
//                            `find -xtype l` calls them fine, the container cannot reach them
//     brokenMix.removed      relative targets at files a whiteout removed (in this layer or below), else at
//                            a name the layer never had
//     brokenMix.missing      absolute targets that exist nowhere
//   absolute                 share of the working symlinks that are absolute (/path inside the container)
//   hardlinks.within         share of entries that are a second name of a file of the same layer
//   hardlinks.across         share of entries that are `cp -al`-style links of a lower layer's file, at the
//                            same path (layers above the first only)
//   whiteouts                share of entries that are whiteouts (c 0 0) of a lower layer's file
//   sizes                    file-size mix: [share, minBytes, maxBytes] rows (shares add up to 1)
//   sparse                   { share, bytes: [min, max] }: files of that apparent size with 64 KiB of data
//   duplicates               share of files whose content equals an earlier file's of the chain (not linked)
//   filesPerDir, fanout, depth   each dir gets filesPerDir [min, max] files and 1..fanout subdirs, down to
//                            depth; when the tree is full a new one starts beside it
//   deepPath                 one path this many dirs deep per layer
//   tops                     the dirs the layers' trees hang under (layer i uses tops[i % tops.length])
//   containers, containerWrites   containers (`ctr containers create`) and the files written in each one's
//                            active snapshot (plus a working and a broken symlink and a whiteout)
//   seed                     mulberry32 seed

const smallFiles = [
  [0.65, 0, 1024],
  [0.29, 1024, 8 * 1024],
  [0.055, 8 * 1024, 64 * 1024],
  [0.005, 64 * 1024, 512 * 1024],
];

/** The named shapes. `dir` is where each one lives; `mixed` keeps the old store's dir and numbers. */
export const shapes = {
  mixed: {
    about: "today's store: 30 images × 10 layers of /usr copies, cp -al clones and synthetic trees",
    dir: "/var/tmp/crifs-bench",
    recipe: "usr",
    seed: 42,
    chains: 30,
    layersPerChain: 10,
    entries: 1_050_000,
    distribution: { lognormal: [7.1, 1.25] },
    minLayerEntries: 40,
    symlinks: 0.03, // new symlinks in copy layers, on top of /usr's own
    cloneEvery: 4, // layer i % 4 === 3: `cp -al` of an earlier layer of similar size
    cloneWhiteouts: 0.01, // of a clone's files
    syntheticEvery: 6, // layer i % 6 === 5: flat dir, 40-deep path, many small dirs
    containers: 12,
    containerWrites: 200,
  },
  "big-layers": {
    about:
      "one image of 5 big layers (Node, Python, JDK-like): many small files, 12 % symlinks, 8 % hard links",
    dir: "/var/tmp/crifs-bench-big-layers",
    recipe: "generated",
    seed: 1501,
    chains: 1,
    layersPerChain: 5,
    entries: 1_000_000,
    distribution: { perLayer: [150_000, 250_000, 200_000, 250_000, 150_000] },
    symlinks: 0.12,
    broken: 0.6,
    brokenMix: { host: 0.5, removed: 0.4, missing: 0.1 },
    absolute: 0.3,
    hardlinks: { within: 0.03, across: 0.05 },
    whiteouts: 0.004,
    sizes: smallFiles,
    sparse: { share: 0.001, bytes: [1 << 20, 64 << 20] },
    duplicates: 0.15,
    filesPerDir: [4, 24],
    fanout: 6,
    depth: 9,
    deepPath: 30,
    tops: ["usr/lib/node_modules", "usr/local/lib/python3.11/site-packages", "opt/java/jdk/lib"],
    containers: 1,
    containerWrites: 200,
  },
  "tiny-layers": {
    about: "1,000 layers of a few hundred entries in 5 chains of 200",
    dir: "/var/tmp/crifs-bench-tiny-layers",
    recipe: "generated",
    seed: 1502,
    chains: 5,
    layersPerChain: 200,
    entries: 400_000,
    distribution: { uniform: [150, 650] },
    symlinks: 0.06,
    broken: 0.3,
    brokenMix: { host: 0.4, removed: 0.5, missing: 0.1 },
    absolute: 0.3,
    hardlinks: { within: 0.01, across: 0.03 },
    whiteouts: 0.01,
    sizes: smallFiles,
    sparse: { share: 0.001, bytes: [1 << 20, 16 << 20] },
    duplicates: 0.1,
    filesPerDir: [3, 16],
    fanout: 4,
    depth: 5,
    deepPath: 0,
    tops: ["app", "usr/share/app", "etc/app", "var/lib/app"],
    containers: 10,
    containerWrites: 50,
  },
  "broken-links": {
    about: "4 images × 5 layers where 30 % of the entries are symlinks, 85 % of them broken",
    dir: "/var/tmp/crifs-bench-broken-links",
    recipe: "generated",
    seed: 1503,
    chains: 4,
    layersPerChain: 5,
    entries: 1_000_000,
    distribution: { lognormal: [10, 0.6] },
    symlinks: 0.3,
    broken: 0.85,
    brokenMix: { host: 0.4, removed: 0.4, missing: 0.2 },
    absolute: 0.4,
    hardlinks: { within: 0.01, across: 0.02 },
    whiteouts: 0.01,
    sizes: smallFiles,
    sparse: { share: 0.0005, bytes: [1 << 20, 16 << 20] },
    duplicates: 0.1,
    filesPerDir: [4, 20],
    fanout: 6,
    depth: 8,
    deepPath: 20,
    tops: ["usr/lib/node_modules", "usr/local/lib/python3.11/site-packages", "srv/www"],
    containers: 4,
    containerWrites: 100,
  },
};

/** The shape named `name`, with `overrides` (an object of knobs) on top; throws a one-line error if unknown. */
export function shapeOf(name, overrides = {}) {
  const s = shapes[name];
  if (!s) throw new Error(`no shape "${name}" (known: ${Object.keys(shapes).join(", ")})`);
  return { name, ...s, ...overrides };
}
