// cli/examples.ts — the examples of crifs's usage, in one place: `crifs help <command>` prints a command's,
// the man page (cli/man-page.ts) lists them all, and README.md's "Examples" block is exactly these lines
// (examples.test.ts checks it). Adding a command: add its lines here.

export interface Example {
  /** The command it shows (as program.ts names it): `crifs help <command>` prints it. */
  readonly command: string;
  readonly line: string;
  readonly comment: string;
}

export const examples: readonly Example[] = [
  {
    command: "snapshots",
    line: "crifs snapshots tree",
    comment: "every namespace's snapshot chains, daemon up or down",
  },
  {
    command: "containers",
    line: "crifs -n k8s.io containers -o json",
    comment: "containers with task status and pid",
  },
  {
    command: "mounts",
    line: "crifs mounts my-container",
    comment: "lowerdir/upperdir/workdir, and what the kernel has mounted",
  },
  {
    command: "info",
    line: "crifs --root /mnt/old-disk/containerd info",
    comment: "a store copied off a dead node",
  },
  {
    command: "snapshots",
    line: "crifs --runtime podman snapshots tree",
    comment: "containers/storage layers (podman or CRI-O), daemon or not",
  },
  {
    command: "doctor",
    line: "crifs --root /mnt/old/storage --state /mnt/old/run doctor",
    comment: "a c/storage graphroot, found by its layout",
  },
  {
    command: "containers",
    line: "crifs --root /var/lib/docker containers",
    comment: "a Docker data-root (found by its layout), dockerd up or down",
  },
  { command: "doctor", line: "crifs doctor", comment: "what is broken or leaked, with the bytes it frees" },
  {
    command: "audit",
    line: "crifs --host-root /mnt/node audit",
    comment: "every runtime on a dead node's disk: contents, du, doctor",
  },
  {
    command: "doctor",
    line: "crifs doctor --quick -o json",
    comment: "metadata and dir listings only: no size walks",
  },
  {
    command: "doctor",
    line: "crifs doctor --list-checks",
    comment: "every check: its id, the runtimes it applies to, its summary",
  },
  {
    command: "repair",
    line: "crifs repair",
    comment: "what repair would do, action by action, and what it leaves to you",
  },
  {
    command: "repair",
    line: "crifs repair --apply --yes",
    comment: "do it: leftovers go to <root>/.crifs-quarantine, journaled",
  },
  {
    command: "repair",
    line: "crifs repair --undo",
    comment: "put the last run back exactly; --purge deletes quarantined items",
  },
  {
    command: "why",
    line: "crifs -n k8s.io why sha256:<chain id>",
    comment: "which image, container or lease holds this layer",
  },
  {
    command: "explain",
    line: "journalctl -u containerd | crifs explain",
    comment: "each known error in the log: what it means, its cause on disk, what to do",
  },
  {
    command: "fs",
    line: "crifs fs my-container cat /etc/os-release",
    comment: "a file as the container sees it, daemon up or down",
  },
  {
    command: "fs",
    line: "crifs fs my-container stat /etc/localtime",
    comment: "which layer provides it, and where the link leads inside",
  },
  {
    command: "export",
    line: "crifs export my-container -o root.tar",
    comment: "its merged root as a tar, like docker export, daemon up or down",
  },
  {
    command: "export",
    line: "crifs export docker.io/library/nginx:1 > nginx.tar",
    comment: "an image's layers merged",
  },
  {
    command: "diff",
    line: "crifs diff my-container",
    comment: "A/C/D per path, like docker diff / podman diff (docs/export.md)",
  },
  {
    command: "clone",
    line: "crifs clone my-container /srv/rescue --verify",
    comment: "a container's writable layer copied exactly, then compared",
  },
  {
    command: "links",
    line: "crifs links",
    comment: "links that work on the build host but not in the image",
  },
  {
    command: "links",
    line: "crifs links --shared",
    comment: "also duplicate files across layers: what dedupe would save",
  },
  {
    command: "logs",
    line: "crifs logs 2c6a982e --tail 20 --follow",
    comment: "a CRI container's log (found by its pod's labels or kubelet's link)",
  },
  {
    command: "logs",
    line: "crifs --address /run/containerd/containerd.sock logs 2c6a982e",
    comment: "as crictl logs: the log path from CRI ContainerStatus",
  },
  {
    command: "doctor",
    line: "crifs doctor --log-root /var/log/pods",
    comment: "also: dangling /var/log/containers links, orphan pod log dirs",
  },
  {
    command: "serve",
    line: "crifs serve",
    comment: "metrics and JSON on 127.0.0.1:9637, a scan every 5 minutes",
  },
  {
    command: "web",
    line: "crifs web",
    comment: "one scan, then the snapshot graph, du treemap and findings in a browser",
  },
  {
    command: "doctor",
    line: "crifs doctor --textfile /var/lib/node_exporter/textfile > /dev/null",
    comment: "from cron, for node_exporter",
  },
  {
    command: "ps",
    line: "crifs ps -q --label io.kubernetes.pod.namespace=kube-system",
    comment: "ids only, like crictl ps -q, of one namespace's pods",
  },
  {
    command: "images",
    line: "crifs images --no-headers",
    comment: "the table without its header line, for awk",
  },
  {
    command: "du",
    line: "crifs du",
    comment: "where the disk went (a progress line on a terminal; --no-progress: none)",
  },
  {
    command: "completion",
    line: "source <(crifs completion bash)",
    comment: "complete commands, flags, container ids and snapshot keys",
  },
];

/** The examples of `command`, as `crifs help <command>` prints them after the flags ("" when none). */
export function examplesText(command: string): string {
  const mine = examples.filter((e) => e.command === command);
  return mine.length === 0 ? "" : `\nExamples:\n${examplesBlock(mine, "  ")}`;
}

/** The column the comments start at (a longer line puts its comment three spaces after it). */
const COMMENT_AT = 43;

/** Lines `<line> # <comment>`, the comments aligned at COMMENT_AT where the line leaves room. */
export function examplesBlock(list: readonly Example[] = examples, indent = ""): string {
  const at = COMMENT_AT - 1;
  return list
    .map((e) => `${indent}${e.line.length <= at ? `${e.line.padEnd(at)} ` : `${e.line}   `}# ${e.comment}\n`)
    .join("");
}
