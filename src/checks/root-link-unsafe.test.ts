import assert from "node:assert/strict";
import { test } from "node:test";
import { rootLinkUnsafe } from "./root-link-unsafe.js";
import { scenario } from "./testing.js";

const link = (fact: Parameters<ReturnType<typeof scenario>["rootLink"]>[0]) =>
  rootLinkUnsafe.run(
    scenario()
      .rootLink({ isSymlink: true, ...fact })
      .input(),
  );

test("a real dir and an absolute link to a root-owned 0711 dir are fine", () => {
  assert.deepEqual(rootLinkUnsafe.run(scenario().input()), []);
  assert.deepEqual(link({ linkTarget: "/srv/containerd", resolved: "/srv/containerd" }), []);
});

test("a relative link is a warning, naming the link's path", () => {
  const f = link({ linkTarget: "../srv/containerd", resolved: "/srv/containerd" });
  assert.deepEqual(
    f.map((x) => `${x.severity} ${x.path} ${x.bytes}`),
    ["warning /r 0"],
  );
  assert.match(f[0]?.message ?? "", /relative/);
});

test("a dangling link, a target owned by another user, or a group/world-writable one is an error", () => {
  const cases = [
    link({ linkTarget: "/gone", resolved: null, targetUid: null, targetMode: null }),
    link({ linkTarget: "/home/u/ctd", resolved: "/home/u/ctd", targetUid: 1000 }),
    link({ linkTarget: "/tmp/ctd", resolved: "/tmp/ctd", targetMode: 0o1777 }),
    link({ linkTarget: "/srv/ctd", resolved: "/srv/ctd", targetMode: 0o775 }),
  ];
  assert.deepEqual(
    cases.map((c) => c.map((x) => x.severity)),
    [["error"], ["error"], ["error"], ["error"]],
  );
  assert.match(cases[2]?.[0]?.message ?? "", /writable by group and others \(mode 1777\)/);
});

test("the remedy names the runtime's own root setting: containerd's config.toml, docker's data-root, podman's graphroot", async () => {
  const { dockerWords, podmanWords } = await import("../runtimes/testing.js");
  const base = scenario()
    .rootLink({ isSymlink: true, linkTarget: "/tmp/x", resolved: "/tmp/x", targetMode: 0o1777 })
    .input();
  const remedy = (words: typeof dockerWords) => rootLinkUnsafe.run({ ...base, words })[0]?.remedy ?? "";
  assert.match(rootLinkUnsafe.run(base)[0]?.remedy ?? "", /root in \/etc\/containerd\/config\.toml/);
  assert.match(remedy(dockerWords), /data-root in \/etc\/docker\/daemon\.json/);
  assert.doesNotMatch(remedy(dockerWords), /config\.toml|containerd/);
  assert.match(remedy(podmanWords), /graphroot in \/etc\/containers\/storage\.conf/);
});
