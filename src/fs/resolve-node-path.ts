// fs/resolve-node-path.ts — a path the node names (in a config file, a flag, a default such as
// /var/lib/containerd) as the path to open on this machine.
//
// Without a host root the node is this machine: the path is used as given, and the kernel resolves it.
// With one (--host-root DIR: the node's / mounted on a rescue machine) DIR is a chroot, not a prefix: the path
// is resolved by resolveInRoot over plainDirTree(DIR), the same resolver `crifs fs` uses for container paths,
// so absolute symlink targets restart at DIR and `..` stops there. The host path handed back is DIR plus the
// canonical node path, which holds no symlink, so the kernel cannot leave DIR when it opens it (short of
// someone swapping a dir for a link in between; crifs reads a dead node's disk, which nothing else writes).

import { realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromFsError } from "../errors.js";
import { pathExists } from "./path-exists.js";
import { plainDirTree, resolveInRoot } from "./resolve-in-root.js";

/** The components of an unwalked rest, ".." dropped: below a missing dir they would climb back out of it. */
function dotless(rest: string | undefined): string[] {
  return (rest ?? "").split("/").filter((c) => c !== "" && c !== "..");
}

/** A node path, resolved. */
export interface NodePath {
  /** The node path as named (a config's value, a flag, a default). */
  readonly named: string;
  /**
   * What to hand to fs on this machine. Under a host root: the host root plus the canonical node path (when
   * absent, up to the first missing component, so opening it or anything below says ENOENT).
   */
  readonly hostPath: string;
  /** Where it leads on the node: canonical, every symlink followed (as far as it exists). */
  readonly target: string;
  readonly exists: boolean;
  /** The named path is a symlink or passes through one: `target` differs from it. */
  readonly isLink: boolean;
}

/**
 * Resolves node path `named` on this machine (see the header). Absent is not an error; a symlink loop is
 * (ELOOP), and so is a component crifs may not look at (permission, exit 77, naming that host path).
 * Cost: without a host root one stat (and a realpath when it exists); with one, one lstat per component
 * walked and one readlink per symlink.
 */
export function resolveNodePath(named: string, hostRoot?: string): NodePath {
  if (hostRoot === undefined) {
    const exists = pathExists(named);
    const target = exists ? realpathSync(named) : resolve(named);
    return { named, hostPath: named, target, exists, isLink: target !== resolve(named) };
  }
  const r = resolveInRoot(plainDirTree(hostRoot), named);
  if (r.ok) {
    return {
      named,
      hostPath: join(hostRoot, r.path),
      target: r.path,
      exists: true,
      isLink: r.hops.length > 0,
    };
  }
  if (r.error === "ELOOP") throw fromFsError({ code: "ELOOP" }, join(hostRoot, r.at), "resolve");
  // ENOENT: what follows the missing component is missing too, so it can be named; ENOTDIR stops at a
  // non-dir, and a trailing "/" keeps the host path from opening it as the file it is
  const hostPath =
    r.error === "ENOTDIR" ? `${join(hostRoot, r.at)}/` : join(hostRoot, r.at, ...dotless(r.rest));
  const target = r.error === "ENOTDIR" ? r.at : join(r.at, ...dotless(r.rest));
  return { named, hostPath, target, exists: false, isLink: r.hops.length > 0 };
}

/** Where a node path is on this machine, for reading it: itself without a host root; with one, its host path
 * (resolved as in a chroot: no link leads out). A path that cannot be resolved (a symlink loop, a component
 * crifs may not read) comes back joined below the host root, where reading it fails and says why. */
export function nodePathAt(named: string, hostRoot: string | undefined): string {
  if (hostRoot === undefined) return named;
  try {
    return resolveNodePath(named, hostRoot).hostPath;
  } catch {
    return join(hostRoot, ...dotless(resolve("/", named)));
  }
}
