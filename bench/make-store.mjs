#!/usr/bin/env node
// bench/make-store.mjs — builds a REAL containerd store of ≥ 1,000,000 entries for the scanner benchmark.
//
//   /var/tmp/crifs-bench/            (BENCH_DIR overrides)
//     config.toml                    version = 2; private root, state and gRPC socket; CRI plugin off
//     root/                          containerd's root: what `crifs --root` reads
//       io.containerd.snapshotter.v1.overlayfs/snapshots/<id>/fs
//     manifest.json                  every snapshot: key/name, parent, kind, dir id, fs path, entries
//     stamp.json                     written last; when present (same version) the store is re-used
//
// A private containerd is started, then, for 30 images × 10 layers (seed 42): `ctr snapshots prepare
// <key> [parent] --mounts` (JSON, gives the fs dir), the fs dir is filled on disk, then `ctr snapshots
// commit`. Layer contents, with log-normal entry counts scaled to ~1.05 M entries in all:
//   copy      subtrees of /usr (files over 256 KiB become sparse: first 64 KiB real) plus ~3 % new symlinks:
//             relative, absolute (/usr/…), broken relative, broken absolute
//   hardlink  `cp -al` of an earlier layer of similar size, minus ~1 % of files, which become whiteouts
//             (mknod c 0 0), plus a few new files
//   synthetic generated trees: small files of random size, a deep path, a flat dir of thousands
// Each chain is then an image: its committed names are the chain ids of a small OCI image (one tiny tar per
// layer) built here, so `ctr images import` finds every layer unpacked and keeps our big snapshots. Then 12
// containers (`ctr containers create`), whose active snapshots (mutable) get some writes.
// containerd is stopped by its pid at the end. Usage: node bench/make-store.mjs [--force]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  ftruncateSync,
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
import { dirname, join } from "node:path";

const VERSION = 2;
const dir = process.env.BENCH_DIR ?? "/var/tmp/crifs-bench";
const root = join(dir, "root");
const sock = join(dir, "containerd.sock");
const ns = "crifs-bench";
const images = Number(process.env.BENCH_IMAGES ?? 30);
const layersPerImage = 10;
const targetEntries = Number(process.env.BENCH_ENTRIES ?? 1_050_000);
const force = process.argv.includes("--force");

const stampPath = join(dir, "stamp.json");
if (!force && existsSync(stampPath)) {
  const stamp = JSON.parse(readFileSync(stampPath, "utf8"));
  if (stamp.version === VERSION) {
    console.log(
      `make-store: re-using ${dir} (${stamp.entries} entries in ${stamp.snapshots} snapshots, made ${stamp.createdAt})`,
    );
    process.exit(0);
  }
}
if (process.getuid?.() !== 0) {
  console.error("make-store: needs root (containerd, mknod)");
  process.exit(1);
}

// ---------- deterministic randomness (mulberry32, seed 42) ----------
let seed = 42;
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

// ---------- content ----------
const candidates = execFileSync("du", ["--inodes", "-x", "-d", "4", "/usr"], {
  encoding: "utf8",
  maxBuffer: 1 << 26,
})
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
  const links = Math.max(4, Math.round(target * 0.03));
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
  for (let i = 0; i < files.length / 100; i++) {
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
const raw = Array.from({ length: total }, () => Math.exp(7.1 + 1.25 * gauss()));
const scale = targetEntries / raw.reduce((a, b) => a + b, 0);
const sizes = raw.map((r) => Math.max(40, Math.round(r * scale)));
const manifest = [];
const committed = [];
const imageNames = [];
const t0 = Date.now();
for (let img = 0; img < images; img++) {
  let parent = null;
  const tars = [];
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
    if (i % 4 === 3 && earlier.length > 0) {
      kind = "hardlink";
      fillHardlink(fs, earlier[randInt(earlier.length)].fs);
    } else if (i % 6 === 5) {
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
    if (i % 25 === 24)
      console.log(
        `make-store: ${i + 1}/${total} layers, ~${entriesMade} entries, ${Math.round((Date.now() - t0) / 1000)} s`,
      );
  }
  const imageName = `docker.io/crifs-bench/image-${img}:latest`;
  importImage(img, imageName, tars);
  imageNames.push(imageName);
}
for (let c = 0; c < 12; c++) {
  const image = imageNames[(c * 7 + 3) % imageNames.length];
  const key = `bench-container-${c}`;
  ctr("containers", "create", "--snapshotter", "overlayfs", image, key);
  const mounts = ctr("snapshots", "--snapshotter", "overlayfs", "mounts", "/x", key);
  const fs = /upperdir=([^ ,]+)/.exec(mounts)?.[1];
  if (!fs) throw new Error(`cannot find the fs dir of container ${key} in ${mounts}`);
  mkdirSync(join(fs, "tmp/work"), { recursive: true });
  for (let i = 0; i < 200; i++) writeFileSync(join(fs, "tmp/work", `w${i}`), Buffer.alloc(randInt(8192), 2));
  symlinkSync("/tmp/work/w0", join(fs, "latest"));
  symlinkSync("/no/such/file", join(fs, "broken"));
  execFileSync("mknod", [join(fs, "deleted-from-image"), "c", "0", "0"]);
  manifest.push({
    name: key,
    parent: image,
    kind: "container",
    target: 205,
    fs,
    id: fs.split("/").at(-2),
    snapshotKind: "active",
  });
}
const imagesListed = ctr("images", "ls", "-q").trim().split("\n").length;
const containersListed = ctr("containers", "ls", "-q").trim().split("\n").length;
const listed = ctr("snapshots", "--snapshotter", "overlayfs", "ls").trim().split("\n").length - 1;
stopContainerd();

const entries = Number(
  execFileSync("bash", ["-c", `find ${snapshotsDir}/*/fs | wc -l`], { encoding: "utf8" }).trim(),
);
const inodes = Number(execFileSync("du", ["-s", "--inodes", root], { encoding: "utf8" }).split("\t")[0]);
writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`);
const stamp = {
  version: VERSION,
  snapshots: manifest.length,
  listedByCtr: listed,
  images: imagesListed,
  containers: containersListed,
  entries,
  inodes,
  createdAt: new Date().toISOString(),
  seconds: Math.round((Date.now() - t0) / 1000),
};
writeFileSync(stampPath, `${JSON.stringify(stamp, null, 1)}\n`);
console.log(`make-store: done: ${JSON.stringify(stamp)}`);
if (entries < 1_000_000) console.error(`make-store: only ${entries} entries (want ≥ 1,000,000)`);
