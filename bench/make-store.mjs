#!/usr/bin/env node
// bench/make-store.mjs — builds a REAL containerd store of one shape (bench/shapes.mjs) for the benchmark.
//
//   <shape dir>/                     /var/tmp/crifs-bench for `mixed`, /var/tmp/crifs-bench-<shape> for the others
//     config.toml                    version = 2; private root, state and gRPC socket; CRI plugin off
//     root/                          containerd's root: what `crifs --root` reads
//       io.containerd.snapshotter.v1.overlayfs/snapshots/<id>/fs
//     manifest.json                  every snapshot: key/name, parent, kind, dir id, fs path, entries
//     stamp.json                     written last: the shape, its knobs and counts; while present with the same
//                                    version and knobs the store is re-used
//
// A private containerd is started, then for each chain of the shape (seeded, so the same knobs make the same
// store): `ctr snapshots prepare <key> [parent] --mounts` (JSON, gives the fs dir), the fs dir is filled on
// disk, then `ctr snapshots commit`. How a layer is filled is the shape's recipe:
//   usr        (shape `mixed`, today's store) log-normal entry counts scaled to ~1.05 M in all, and layers of
//              copy      subtrees of /usr (files over 256 KiB become sparse: first 64 KiB real) plus ~3 % new
//                        symlinks: relative, absolute (/usr/…), broken relative, broken absolute
//              hardlink  `cp -al` of an earlier layer of similar size, minus ~1 % of files, which become
//                        whiteouts (mknod c 0 0), plus a few new files
//              synthetic generated trees: small files of random size, a deep path, a flat dir of thousands
//   generated  trees of dirs, files (a size mix, some sparse, some duplicate content), symlinks (working and
//              broken in several ways), hard links within and across layers and whiteouts, from the knobs
// Each chain is then an image: its committed names are the chain ids of a small OCI image (one tiny tar per
// layer) built here, so `ctr images import` finds every layer unpacked and keeps our big snapshots. Then the
// shape's containers (`ctr containers create`), whose active snapshots (mutable) get some writes.
// containerd is stopped by its pid at the end.
//
//   node bench/make-store.mjs [--shape NAME] [--knobs JSON] [--force] [--list]
//   BENCH_SHAPE=NAME  BENCH_KNOBS=JSON (knobs over the shape's)  BENCH_DIR (another dir for the shape)
//   BENCH_IMAGES, BENCH_ENTRIES (the old knobs: chains and entries)
// A dir that holds another shape or other knobs is not rebuilt without --force.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { shapeOf, shapes } from "./shapes.mjs";

const VERSION = 2;
const argv = process.argv.slice(2);
const arg = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (argv.includes("--list")) {
  for (const [name, s] of Object.entries(shapes)) console.log(`${name.padEnd(13)} ${s.dir}  ${s.about}`);
  process.exit(0);
}
const overrides = JSON.parse(arg("knobs") ?? process.env.BENCH_KNOBS ?? "{}");
if (process.env.BENCH_IMAGES) overrides.chains = Number(process.env.BENCH_IMAGES);
if (process.env.BENCH_ENTRIES) overrides.entries = Number(process.env.BENCH_ENTRIES);
let shape;
try {
  shape = shapeOf(arg("shape") ?? process.env.BENCH_SHAPE ?? "mixed", overrides);
} catch (err) {
  console.error(`make-store: ${err.message}`);
  process.exit(64);
}
const { about: _about, dir: shapeDir, name: shapeName, ...knobs } = shape;
const dir = process.env.BENCH_DIR ?? shapeDir;
const root = join(dir, "root");
const sock = join(dir, "containerd.sock");
const ns = "crifs-bench";
const images = knobs.chains;
const layersPerImage = knobs.layersPerChain;
const targetEntries = knobs.entries;
const force = argv.includes("--force");

const stampPath = join(dir, "stamp.json");
if (!force && existsSync(stampPath)) {
  const stamp = JSON.parse(readFileSync(stampPath, "utf8"));
  // stores made before the shapes (issue 15) have no shape in their stamp: they are `mixed` with its knobs
  const { about: _a, dir: _d, ...mixedKnobs } = shapes.mixed;
  const was = { shape: stamp.shape ?? "mixed", knobs: JSON.stringify(stamp.knobs ?? mixedKnobs) };
  if (stamp.version === VERSION) {
    if (was.shape !== shapeName || was.knobs !== JSON.stringify(knobs)) {
      console.error(
        `make-store: ${dir} holds shape ${was.shape} with other knobs; pass --force to rebuild it, or BENCH_DIR`,
      );
      process.exit(73);
    }
    console.log(
      `make-store: re-using ${dir} (${shapeName}: ${stamp.entries} entries in ${stamp.snapshots} snapshots, made ${stamp.createdAt})`,
    );
    process.exit(0);
  }
}
if (process.getuid?.() !== 0) {
  console.error("make-store: needs root (containerd, mknod)");
  process.exit(1);
}

// ---------- deterministic randomness (mulberry32, the shape's seed) ----------
let seed = knobs.seed;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (n) => Math.floor(rand() * n);
function gauss() {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

// ---------- containerd ----------
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, "config.toml"),
  `version = 2
root = "${root}"
state = "${join(dir, "state")}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "${sock}"

[ttrpc]
  address = "${sock}.ttrpc"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(dir, "opt")}"
`,
);
const log = openSync(join(dir, "containerd.log"), "w");
const containerd = spawn("containerd", ["--config", join(dir, "config.toml")], {
  stdio: ["ignore", log, log],
  detached: true,
});
const ctr = (...args) =>
  execFileSync("ctr", ["--address", sock, "-n", ns, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
function stopContainerd() {
  if (containerd.exitCode !== null) return;
  process.kill(containerd.pid, "SIGTERM");
  for (let i = 0; i < 100 && existsSync(`/proc/${containerd.pid}`); i++) {
    spawnSync("sleep", ["0.1"]);
    if (readFileSync(`/proc/${containerd.pid}/stat`, "utf8").split(" ")[2] === "Z") break;
  }
}
process.on("exit", () => {
  try {
    stopContainerd();
  } catch {}
});
for (let i = 0; ; i++) {
  if (existsSync(sock) && spawnSync("ctr", ["--address", sock, "version"]).status === 0) break;
  if (i > 100 || containerd.exitCode !== null) {
    console.error(`make-store: containerd did not come up; see ${join(dir, "containerd.log")}`);
    process.exit(1);
  }
  spawnSync("sleep", ["0.1"]);
}
console.log(`make-store: containerd ${containerd.pid} up on ${sock}`);

const snapshotsDir = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
function prepare(key, parent) {
  const out = ctr(
    "snapshots",
    "--snapshotter",
    "overlayfs",
    "prepare",
    "--mounts",
    key,
    ...(parent ? [parent] : []),
  );
  const mounts = JSON.parse(out);
  const m = mounts[0];
  const upper = m.type === "bind" || m.Type === "bind" ? (m.source ?? m.Source) : null;
  const opts = m.options ?? m.Options ?? [];
  const fs = upper ?? opts.find((o) => o.startsWith("upperdir="))?.slice("upperdir=".length);
  if (!fs?.startsWith(snapshotsDir)) throw new Error(`cannot find the fs dir of ${key} in ${out}`);
  return fs;
}

// ---------- content of the usr recipe (shape mixed) ----------
const candidates = (
  knobs.recipe === "usr"
    ? execFileSync("du", ["--inodes", "-x", "-d", "4", "/usr"], {
        encoding: "utf8",
        maxBuffer: 1 << 26,
      })
    : ""
)
  .trim()
  .split("\n")
  .map((l) => {
    const [n, p] = l.split("\t");
    return { n: Number(n), p };
  })
  .filter((c) => c.n >= 20 && c.p !== "/usr");

let entriesMade = 0;

/** Copies src into dst; files over 256 KiB keep their size but only their first 64 KiB of data. */
function copyTree(src, dst, files) {
  try {
    copyEntry(src, dst, files);
  } catch (err) {
    if (err.code !== "ENOENT") throw err; // /usr changed under us (a package being installed): skip it
  }
}

function copyEntry(src, dst, files) {
  const st = lstatSync(src);
  if (st.isDirectory()) {
    mkdirSync(dst, { recursive: true });
    entriesMade++;
    for (const e of readdirSync(src)) copyTree(join(src, e), join(dst, e), files);
    chmodSync(dst, st.mode & 0o7777);
  } else if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
    entriesMade++;
  } else if (st.isFile()) {
    if (st.size > 256 * 1024) {
      const buf = Buffer.alloc(64 * 1024);
      const i = openSync(src, "r");
      const n = readSync(i, buf, 0, buf.length, 0);
      closeSync(i);
      const o = openSync(dst, "w", st.mode & 0o7777);
      writeSync(o, buf, 0, n);
      ftruncateSync(o, st.size);
      closeSync(o);
    } else {
      copyFileSync(src, dst);
    }
    files.push(dst);
    entriesMade++;
  }
}

function fillCopy(fs, target) {
  const files = [];
  const used = [];
  let left = target;
  for (let tries = 0; left > 20 && tries < 200; tries++) {
    const fit = candidates.filter(
      (c) => c.n <= left * 1.1 && !used.some((u) => u.startsWith(c.p) || c.p.startsWith(u)),
    );
    if (fit.length === 0) break;
    const c = fit[randInt(fit.length)];
    used.push(`${c.p}/`);
    copyTree(c.p, join(fs, c.p), files);
    left -= c.n;
  }
  // ~3 % new symlinks: relative, absolute (valid in the layer and on the host), broken relative, broken absolute
  const links = Math.max(4, Math.round(target * knobs.symlinks));
  for (let i = 0; i < links && files.length > 0; i++) {
    const f = files[randInt(files.length)];
    const where = join(dirname(f), `.crifs-link-${i}`);
    const kind = i % 4;
    const tgt =
      kind === 0
        ? `./${f.slice(dirname(f).length + 1)}`
        : kind === 1
          ? f.slice(fs.length)
          : kind === 2
            ? `../missing-${i}/file`
            : `/nonexistent/crifs/${i}`;
    try {
      symlinkSync(tgt, where);
      entriesMade++;
    } catch {}
  }
  return files.length;
}

function fillHardlink(fs, from) {
  execFileSync("cp", ["-al", `${from}/.`, fs]);
  const files = execFileSync("find", [fs, "-type", "f"], { encoding: "utf8", maxBuffer: 1 << 28 })
    .split("\n")
    .filter((l) => l !== "");
  entriesMade += files.length; // a lower bound; the exact count is taken at the end
  for (let i = 0; i < files.length / (1 / knobs.cloneWhiteouts); i++) {
    const f = files[randInt(files.length)];
    try {
      unlinkSync(f);
      execFileSync("mknod", [f, "c", "0", "0"]); // overlay whiteout
    } catch {}
  }
  for (let i = 0; i < 20; i++) writeFileSync(join(fs, `new-in-layer-${i}`), Buffer.alloc(randInt(20000), 1));
}

function fillSynthetic(fs, target) {
  let made = 0;
  const flat = join(fs, "var/cache/flat");
  mkdirSync(flat, { recursive: true });
  const flatCount = Math.floor(target * 0.3);
  for (; made < flatCount; made++) writeFileSync(join(flat, `entry-${made}`), Buffer.alloc(randInt(2048)));
  let deep = join(fs, "opt/deep");
  for (let d = 0; d < 40; d++) deep = join(deep, `level-${d}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "bottom"), "bottom\n");
  made += 42;
  for (let d = 0; made < target; d++) {
    const sub = join(fs, "srv/gen", `d${d % 97}`, `e${d}`);
    mkdirSync(sub, { recursive: true });
    made += 2;
    const n = 5 + randInt(40);
    for (let i = 0; i < n; i++, made++)
      writeFileSync(join(sub, `f${i}.dat`), Buffer.alloc(randInt(16384), i));
  }
  entriesMade += made;
}

// ---------- content of the generated recipe (every other shape) ----------
const between = ([min, max]) => min + randInt(max - min + 1);
/** Data every generated file is a slice of: 1 MiB of seeded bytes (so files of one size differ, as in life). */
const pool = Buffer.alloc(1 << 20);
if (knobs.recipe === "generated")
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(Math.floor(rand() * 2 ** 32), i);
/** Absolute targets that a Debian host has and a generated layer never does: fine for `find -xtype l`. */
const hostOnly = [
  "/etc/hostname",
  "/etc/resolv.conf",
  "/etc/passwd",
  "/etc/localtime",
  "/etc/ssl/certs/ca-certificates.crt",
  "/usr/bin/env",
  "/bin/sh",
  "/usr/lib/os-release",
];

/** A tar of whiteouts (char devices 0/0) at `names`, for one `tar -x` instead of a `mknod` process each. */
function whiteoutTar(names) {
  const blocks = [];
  const octal = (h, at, width, n) => h.write(`${n.toString(8).padStart(width - 1, "0")}\0`, at, "latin1");
  for (const name of names) {
    const h = Buffer.alloc(512);
    let base = name;
    let prefix = "";
    if (Buffer.byteLength(name) > 100) {
      // ustar: prefix (≤ 155) "/" name (≤ 100), cut at a slash
      const cut = name.indexOf("/", Buffer.byteLength(name) - 101);
      if (cut < 0 || cut > 155) throw new Error(`whiteout path too long for ustar: ${name}`);
      prefix = name.slice(0, cut);
      base = name.slice(cut + 1);
    }
    h.write(base, 0, 100);
    octal(h, 100, 8, 0o644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, 0);
    octal(h, 136, 12, 0);
    h.write("        ", 148, "latin1");
    h.write("3", 156, "latin1"); // character device
    h.write("ustar\0", 257, "latin1");
    h.write("00", 263, "latin1");
    octal(h, 329, 8, 0);
    octal(h, 337, 8, 0);
    h.write(prefix, 345, 155);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    blocks.push(h);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * Fills one layer of a generated shape. `chain` carries what the lower layers left visible ({ fs, rel } of
 * their regular files) and the paths their whiteouts removed; both are updated for the next layer.
 */
function fillGenerated(fs, target, layerNo, chain) {
  const k = knobs;
  const lower = chain.visible.length;
  const nSym = Math.round(target * k.symlinks);
  const nWithin = Math.round(target * k.hardlinks.within);
  const nAcross = Math.min(Math.round(target * k.hardlinks.across), Math.floor(lower / 2));
  const nWhite = Math.min(Math.round(target * k.whiteouts), Math.floor(lower / 4));
  const nTree = Math.max(2, target - nSym - nWithin - nAcross - nWhite);
  let made = 0;
  const dirs = [];
  const files = [];
  const haveDir = new Set(["."]);
  const mkdirp = (rel) => {
    if (haveDir.has(rel)) return;
    mkdirp(dirname(rel));
    mkdirSync(join(fs, rel));
    haveDir.add(rel);
    made++;
  };
  const writeOne = (rel) => {
    let size;
    let off;
    let apparent = 0;
    if (rand() < k.sparse.share) {
      apparent = between(k.sparse.bytes);
      size = 64 * 1024;
      off = randInt(pool.length - size + 1);
    } else if (chain.contents.length > 0 && rand() < k.duplicates) {
      [size, off] = chain.contents[randInt(chain.contents.length)];
    } else {
      let r = rand();
      let row = k.sizes.at(-1);
      for (const s of k.sizes) {
        if (r < s[0]) {
          row = s;
          break;
        }
        r -= s[0];
      }
      size = between([row[1], row[2]]);
      off = randInt(pool.length - size + 1);
      if (chain.contents.length < 4096) chain.contents.push([size, off]);
      else chain.contents[randInt(4096)] = [size, off];
    }
    const fd = openSync(join(fs, rel), "w", 0o644);
    if (size > 0) writeSync(fd, pool, off, size);
    if (apparent > size) ftruncateSync(fd, apparent);
    closeSync(fd);
    files.push(rel);
    made++;
  };

  // the tree: breadth first under tops[layerNo], a new tree beside it when one is full
  const top = k.tops[layerNo % k.tops.length];
  if (k.deepPath > 0) {
    let deep = join(top, `deep-${layerNo}`);
    for (let d = 0; d < k.deepPath; d++) deep = join(deep, `level-${d}`);
    mkdirp(deep);
    writeOne(join(deep, "bottom"));
  }
  const queue = [];
  let next = 0;
  let trees = 0;
  while (made < nTree) {
    if (next === queue.length) queue.push({ rel: join(top, `layer-${layerNo}-${trees++}`), depth: 0 });
    const d = queue[next++];
    mkdirp(d.rel);
    dirs.push(d.rel);
    const n = between(k.filesPerDir);
    for (let i = 0; i < n && made < nTree; i++) writeOne(`${d.rel}/f${i}`);
    if (d.depth < k.depth) {
      const children = 1 + randInt(k.fanout);
      for (let c = 0; c < children; c++) queue.push({ rel: `${d.rel}/d${c}`, depth: d.depth + 1 });
    }
  }

  // hard links: a second name in this layer; a lower layer's file at its own path (as `cp -al` makes them)
  for (let i = 0; i < nWithin && files.length > 0; i++) {
    linkSync(join(fs, files[randInt(files.length)]), join(fs, dirs[randInt(dirs.length)], `h${i}`));
    made++;
  }
  const taken = new Set();
  for (let i = 0; i < nAcross; i++) {
    const v = chain.visible[randInt(lower)];
    if (taken.has(v.rel)) continue;
    taken.add(v.rel);
    mkdirp(dirname(v.rel));
    linkSync(join(v.fs, v.rel), join(fs, v.rel));
    made++;
  }

  // whiteouts of lower files (gone from the container from here up)
  const whiteouts = [];
  for (let i = 0; i < nWhite; i++) {
    const at = randInt(chain.visible.length);
    const v = chain.visible[at];
    if (taken.has(v.rel)) continue;
    taken.add(v.rel);
    mkdirp(dirname(v.rel));
    whiteouts.push(v.rel);
    chain.visible[at] = chain.visible.at(-1);
    chain.visible.pop();
    chain.removed.push(v.rel);
  }
  if (whiteouts.length > 0) {
    execFileSync("tar", ["-x", "-C", fs, "-f", "-"], { input: whiteoutTar(whiteouts) });
    made += whiteouts.length;
  }

  // symlinks: working (relative or absolute, to this layer's files or a lower one's) and broken
  const [host, removed] = [k.brokenMix.host, k.brokenMix.host + k.brokenMix.removed];
  for (let i = 0; i < nSym; i++) {
    const at = dirs[randInt(dirs.length)];
    let target;
    if (rand() >= k.broken) {
      const v =
        chain.visible.length > 0 && rand() < 0.5
          ? chain.visible[randInt(chain.visible.length)].rel
          : files[randInt(files.length)];
      target = rand() < k.absolute ? `/${v}` : relative(at, v);
    } else {
      const r = rand();
      if (r < host) target = hostOnly[randInt(hostOnly.length)];
      else if (r < removed)
        target =
          chain.removed.length > 0
            ? relative(at, chain.removed[randInt(chain.removed.length)])
            : `removed-${layerNo}-${i}`;
      else target = `/nonexistent/${top}/missing-${i}`;
    }
    symlinkSync(target, join(fs, at, `s${i}`));
    made++;
  }
  for (const rel of files) chain.visible.push({ fs, rel });
  entriesMade += made;
}

// ---------- images: tiny layer tars whose chain ids name the big snapshots ----------
const digest = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const imagesDir = join(dir, "images");
function layerTar(img, l) {
  const d = join(imagesDir, `layer-${img}-${l}`);
  mkdirSync(join(d, "crifs-bench"), { recursive: true });
  writeFileSync(join(d, "crifs-bench", `layer-${img}-${l}`), `image ${img} layer ${l}\n`);
  const tar = ["-C", d, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner"];
  return execFileSync("tar", [...tar, "-cf", "-", "crifs-bench"], { maxBuffer: 1 << 24 });
}
function importImage(img, name, tars) {
  const oci = join(imagesDir, `oci-${img}`);
  const blobs = join(oci, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (b) => {
    const d = digest(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layers = tars.map((t) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...put(t) }));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/bin/sh"], Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] },
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
      }),
    ),
  );
  const mediaType = "application/vnd.oci.image.manifest.v1+json";
  const manifestBlob = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers,
      }),
    ),
  );
  writeFileSync(join(oci, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(oci, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType,
          ...manifestBlob,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": "latest" },
        },
      ],
    }),
  );
  const archive = join(imagesDir, `image-${img}.tar`);
  execFileSync("tar", ["-C", oci, "-cf", archive, "."]);
  ctr("images", "import", "--snapshotter", "overlayfs", archive);
}

// ---------- layers ----------
const total = images * layersPerImage;
const dist = knobs.distribution;
let sizes;
if (dist.lognormal) {
  const [mu, sigma] = dist.lognormal;
  const raw = Array.from({ length: total }, () => Math.exp(mu + sigma * gauss()));
  const scale = targetEntries / raw.reduce((a, b) => a + b, 0);
  sizes = raw.map((r) => Math.max(knobs.minLayerEntries ?? 40, Math.round(r * scale)));
} else if (dist.uniform) {
  sizes = Array.from({ length: total }, () => between(dist.uniform));
} else {
  sizes = Array.from({ length: total }, (_, i) => dist.perLayer[i % dist.perLayer.length]);
}
const manifest = [];
const committed = [];
const imageNames = [];
const t0 = Date.now();
const every = Math.max(1, Math.min(25, Math.round(total / 10)));
for (let img = 0; img < images; img++) {
  let parent = null;
  const tars = [];
  const chain = { visible: [], removed: [], contents: [] }; // what generated layers leave to the next one
  for (let l = 0; l < layersPerImage; l++) {
    const i = img * layersPerImage + l;
    const tar = layerTar(img, l);
    tars.push(tar);
    // chain id: the first layer's diff id, then sha256("<parent chain id> <diff id>")
    const name = parent === null ? digest(tar) : digest(Buffer.from(`${parent} ${digest(tar)}`));
    const key = `extract-${i}-${name}`;
    const fs = prepare(key, parent);
    const earlier = committed.filter(
      (c) => c.kind !== "hardlink" && Math.abs(c.target - sizes[i]) < sizes[i] * 0.5,
    );
    let kind;
    if (knobs.recipe === "generated") {
      kind = "generated";
      fillGenerated(fs, sizes[i], l, chain);
    } else if (i % knobs.cloneEvery === knobs.cloneEvery - 1 && earlier.length > 0) {
      kind = "hardlink";
      fillHardlink(fs, earlier[randInt(earlier.length)].fs);
    } else if (i % knobs.syntheticEvery === knobs.syntheticEvery - 1) {
      kind = "synthetic";
      fillSynthetic(fs, sizes[i]);
    } else {
      kind = "copy";
      fillCopy(fs, sizes[i]);
    }
    ctr("snapshots", "--snapshotter", "overlayfs", "commit", name, key);
    const entry = {
      name,
      parent,
      kind,
      target: sizes[i],
      fs,
      id: fs.split("/").at(-2),
      snapshotKind: "committed",
    };
    committed.push(entry);
    manifest.push(entry);
    parent = name;
    if (i % every === every - 1)
      console.log(
        `make-store: ${shapeName}: ${i + 1}/${total} layers, ~${entriesMade} entries, ${Math.round((Date.now() - t0) / 1000)} s`,
      );
  }
  const imageName = `docker.io/crifs-bench/image-${img}:latest`;
  importImage(img, imageName, tars);
  imageNames.push(imageName);
}
for (let c = 0; c < knobs.containers; c++) {
  const image = imageNames[(c * 7 + 3) % imageNames.length];
  const key = `bench-container-${c}`;
  ctr("containers", "create", "--snapshotter", "overlayfs", image, key);
  const mounts = ctr("snapshots", "--snapshotter", "overlayfs", "mounts", "/x", key);
  const fs = /upperdir=([^ ,]+)/.exec(mounts)?.[1];
  if (!fs) throw new Error(`cannot find the fs dir of container ${key} in ${mounts}`);
  mkdirSync(join(fs, "tmp/work"), { recursive: true });
  for (let i = 0; i < knobs.containerWrites; i++)
    writeFileSync(join(fs, "tmp/work", `w${i}`), Buffer.alloc(randInt(8192), 2));
  symlinkSync("/tmp/work/w0", join(fs, "latest"));
  symlinkSync("/no/such/file", join(fs, "broken"));
  execFileSync("mknod", [join(fs, "deleted-from-image"), "c", "0", "0"]);
  manifest.push({
    name: key,
    parent: image,
    kind: "container",
    target: knobs.containerWrites + 5,
    fs,
    id: fs.split("/").at(-2),
    snapshotKind: "active",
  });
}
const imagesListed = ctr("images", "ls", "-q").trim().split("\n").length;
const containersListed = ctr("containers", "ls", "-q").trim().split("\n").length;
const listed = ctr("snapshots", "--snapshotter", "overlayfs", "ls").trim().split("\n").length - 1;
stopContainerd();

const count = (findArgs) =>
  Number(
    execFileSync("bash", ["-c", `find ${snapshotsDir}/*/fs ${findArgs} | wc -l`], {
      encoding: "utf8",
    }).trim(),
  );
const entries = count("");
const symlinks = count("-type l");
const inodes = Number(execFileSync("du", ["-s", "--inodes", root], { encoding: "utf8" }).split("\t")[0]);
writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`);
const stamp = {
  version: VERSION,
  shape: shapeName,
  knobs,
  snapshots: manifest.length,
  listedByCtr: listed,
  images: imagesListed,
  containers: containersListed,
  entries,
  inodes,
  symlinks,
  createdAt: new Date().toISOString(),
  seconds: Math.round((Date.now() - t0) / 1000),
};
writeFileSync(stampPath, `${JSON.stringify(stamp, null, 1)}\n`);
console.log(`make-store: done: ${JSON.stringify({ ...stamp, knobs: undefined })}`);
const planned = sizes.reduce((a, b) => a + b, 0);
if (entries < 0.95 * planned) console.error(`make-store: only ${entries} entries (planned ~${planned})`);
