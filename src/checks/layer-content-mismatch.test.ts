// layer-content-mismatch.test.ts — the tree comparison on hand-made trees (pure), the finding per layer, and
// end to end: a two-layer image written at test time (GNU tar, gzip, manifest, config with diff ids) and
// unpacked the way containerd does (tar -xp, then whiteouts as 0:0 devices and the opaque xattr), gathered by
// gatherDoctorInput({layers: true}): silent while intact, then one finding naming each damaged path.
// The end-to-end test needs root (mknod, trusted.* xattrs, tar -p); CRIFS_SKIP_ROOT=1 skips it.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { tempStores } from "../links/testing.js";
import type { LayerContentFact } from "../model/doctor-facts.js";
import type { Image } from "../model/store.js";
import { containerdAdapter } from "../runtimes/index.js";
import { chainIds, containerdWords } from "../runtimes/testing.js";
import { gatherDoctorInput } from "./doctor-input.js";
import { layerContentMismatch } from "./layer-content-mismatch.js";
import { brief, scenario } from "./testing.js";

const skipRoot = process.getuid?.() !== 0 && process.env.CRIFS_SKIP_ROOT === "1";
const tempStore = tempStores();

function fact(over: Partial<LayerContentFact>): LayerContentFact {
  return {
    namespace: "default",
    snapshotter: "overlayfs",
    key: "sha256:chain",
    path: "/r/snapshots/3/fs",
    index: 1,
    image: "default/bb:latest",
    blob: {
      digest: "sha256:blob",
      path: "/r/blobs/sha256/blob",
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    },
    diffId: "sha256:diff",
    tarDigest: "sha256:diff",
    differences: [],
    differenceCount: 0,
    problem: null,
    ...over,
  };
}

test("one finding per layer: the first differences and the count; damaged or unreadable blobs; silent when equal", () => {
  // the gatherer keeps the first maxKeptDifferences lines and the count
  const many = {
    differences: Array.from({ length: 6 }, (_, i) => `/f${i}: missing (the layer has a file)`),
    differenceCount: 8,
  };
  const input = {
    ...scenario().input(),
    layerContents: [
      fact({}),
      fact({ key: "sha256:bad", path: "/r/snapshots/4/fs", ...many }),
      fact({
        key: "sha256:zstd",
        problem: { code: "unsupported", message: "cannot read the layer: it is zstd-compressed" },
      }),
      fact({
        key: "sha256:trunc",
        problem: { code: "corrupt", message: "cannot inflate the gzip layer: unexpected end of file" },
      }),
      fact({ key: "sha256:other", tarDigest: "sha256:else", differences: null }),
      fact({ key: "sha256:gone", differences: null }),
    ],
  };
  const found = layerContentMismatch.run(input);
  assert.deepEqual(
    found.map((f) => `${f.severity} ${brief(f)}`),
    [
      "error layer-content-mismatch /r/snapshots/4/fs 0 snapshot default/overlayfs/sha256:bad",
      "info layer-content-mismatch /r/snapshots/3/fs 0 snapshot default/overlayfs/sha256:zstd",
      "error layer-content-mismatch /r/snapshots/3/fs 0 snapshot default/overlayfs/sha256:trunc",
      "error layer-content-mismatch /r/snapshots/3/fs 0 snapshot default/overlayfs/sha256:other",
    ],
  );
  assert.equal(
    found[0]?.message,
    "snapshot default/sha256:bad differs from layer 2 of image default/bb:latest (blob sha256:blob) in 8 path(s): " +
      "/f0: missing (the layer has a file); /f1: missing (the layer has a file); /f2: missing (the layer has a file); " +
      "/f3: missing (the layer has a file); /f4: missing (the layer has a file); and 3 more",
  );
  assert.match(found[2]?.message ?? "", /: cannot inflate the gzip layer: unexpected end of file$/);
  assert.match(
    found[3]?.message ?? "",
    /unpacks to a tar with digest sha256:else, but the image's config names sha256:diff/,
  );
  assert.deepEqual(layerContentMismatch.run(scenario().input()), [], "without --verify nothing is gathered");
});

/** Writes `bytes` as a blob of the content store under `content`; returns its digest. */
function putBlob(content: string, bytes: Buffer): string {
  const hex = createHash("sha256").update(bytes).digest("hex");
  mkdirSync(join(content, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(content, "blobs", "sha256", hex), bytes);
  return `sha256:${hex}`;
}

/** Extracts `tarFile` into `fs` as containerd's unpack leaves it: tar -xp, then the overlay conversion. */
function unpackLikeContainerd(tarFile: string, fs: string, isBase: boolean): void {
  execFileSync("tar", ["-C", fs, "-xpf", tarFile, "--numeric-owner"]);
  const markers = execFileSync("find", [fs, "-name", ".wh.*"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .filter(Boolean);
  for (const m of markers) {
    execFileSync("rm", ["-f", m]);
    if (isBase) continue;
    const dir = m.slice(0, m.lastIndexOf("/"));
    const name = m.slice(m.lastIndexOf("/") + 1);
    if (name === ".wh..wh..opq") execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", dir]);
    else execFileSync("mknod", [join(dir, name.slice(4)), "c", "0", "0"]);
  }
}

test("end to end: an intact two-layer image is silent; zero-filled, re-moded and added files are named", {
  skip: skipRoot,
}, async () => {
  const t = tempStore();
  const content = join(t.dir, "content");
  const src = join(t.dir, "src");
  const layers = [
    [
      "d bin",
      "f bin/tool #!/bin/sh",
      "f etc/passwd root:x:0:0",
      "f data/old.txt old",
      "d data/keep",
      "f data/keep/k.txt k",
      "l data/abs /etc/passwd",
    ],
    [
      "f data/.wh.old.txt",
      "d data/keep",
      "f data/keep/.wh..wh..opq",
      "f data/keep/new.txt new",
      "f etc/passwd root:x:0:0 nobody",
    ],
  ];
  const diffIds: string[] = [];
  const blobs: { digest: string; mediaType: string; size: number }[] = [];
  layers.forEach((lines, i) => {
    const dir = join(src, String(i));
    mkdirSync(dir, { recursive: true });
    for (const line of lines) {
      const [type, path = "", ...rest] = line.split(" ");
      if (type === "d") mkdirSync(join(dir, path), { recursive: true });
      else if (type === "f") {
        mkdirSync(join(dir, path, ".."), { recursive: true });
        writeFileSync(join(dir, path), rest.join(" "));
      } else execFileSync("ln", ["-s", rest.join(" "), join(dir, path)]);
    }
    if (i === 0) {
      chmodSync(join(dir, "bin/tool"), 0o755);
      execFileSync("ln", [join(dir, "bin/tool"), join(dir, "bin/tool2")]);
    }
    const tarFile = join(src, `${i}.tar`);
    execFileSync("tar", ["-C", dir, "--numeric-owner", "--owner=0", "--group=0", "-cf", tarFile, "."]);
    const tar = readFileSync(tarFile);
    diffIds.push(`sha256:${createHash("sha256").update(tar).digest("hex")}`);
    const gz = gzipSync(tar);
    blobs.push({
      digest: putBlob(content, gz),
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      size: gz.length,
    });
  });
  const keys = chainIds(diffIds);
  const fs0 = t.layer(keys[0] as string, null, []);
  const fs1 = t.layer(keys[1] as string, keys[0] as string, []);
  unpackLikeContainerd(join(src, "0.tar"), fs0, true);
  unpackLikeContainerd(join(src, "1.tar"), fs1, false);
  const config = putBlob(
    content,
    Buffer.from(JSON.stringify({ rootfs: { type: "layers", diff_ids: diffIds } })),
  );
  const manifest = putBlob(
    content,
    Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: config }, layers: blobs })),
  );
  const image: Image = {
    namespace: "default",
    name: "bb:test",
    digest: manifest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    size: 1,
    createdAt: null,
    updatedAt: null,
    labels: {},
    configDigest: config,
    snapshotKeys: keys,
  };
  const store = { ...t.store(), images: [image] };
  const read = () =>
    gatherDoctorInput(
      {
        root: t.dir,
        contentRoot: content,
        store,
        words: containerdWords,
        metadataProblems: [],
        snapshotters: [],
      },
      { adapter: containerdAdapter, layers: true, links: false },
    );

  const intact = await read();
  assert.deepEqual(intact.readErrors, []);
  assert.deepEqual(
    intact.layerContents?.map(
      (f) => `${f.index} ${f.key === keys[f.index]} ${f.tarDigest === f.diffId} ${f.differences?.length}`,
    ),
    ["0 true true 0", "1 true true 0"],
  );
  assert.deepEqual(layerContentMismatch.run(intact), []);

  // a power loss: the file keeps its size, its bytes are zeros; plus a mode change and a stray file
  const tool = join(fs0, "bin/tool");
  execFileSync("dd", ["if=/dev/zero", `of=${tool}`, "bs=1", `count=${statSync(tool).size}`, "conv=notrunc"], {
    stdio: "ignore",
  });
  chmodSync(join(fs1, "etc/passwd"), 0o600);
  writeFileSync(join(fs1, "data/keep/stray"), "x");
  execFileSync("setfattr", ["-x", "trusted.overlay.opaque", join(fs1, "data/keep")]);
  const damaged = layerContentMismatch.run(await read());
  assert.deepEqual(damaged.map(brief), [
    `layer-content-mismatch ${fs0} 0 snapshot default/overlayfs/${keys[0]}`,
    `layer-content-mismatch ${fs1} 0 snapshot default/overlayfs/${keys[1]}`,
  ]);
  // bin/tool2 is the same inode: its contents differ too
  assert.match(
    damaged[0]?.message ?? "",
    / in 2 path\(s\): \/bin\/tool: contents differ \(sha256 [0-9a-f]{12}… on disk, [0-9a-f]{12}… in the layer, all zero bytes on disk\); \/bin\/tool2: contents differ/,
  );
  assert.match(
    damaged[1]?.message ?? "",
    / in 3 path\(s\): \/data\/keep: is not opaque, the layer's dir is; \/data\/keep\/stray: a file the layer does not have; \/etc\/passwd: mode 0600, the layer 0644$/,
  );
});
