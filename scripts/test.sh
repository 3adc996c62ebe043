#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine: installs the real runtimes and tools from Debian's packages
# (root), installs npm dependencies, builds, then typecheck + lint + unit tests + the package test (npm pack,
# then npm install of the tarball: needs the registry, as npm install does) + the integration suite that
# runs against a real containerd (prometheus brings promtool, for the alert rules' tests in deploy/tests/;
# systemd is booted in a namespace of its own for relocate --systemd's tests, test/integration/systemd-ns.ts).
# Set CRIFS_SKIP_INTEGRATION=1 only where root/apt are not available: the
# suite then says loudly that it was skipped. CI never sets it.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(time systemd mmdebstrap containerd runc umoci skopeo busybox-static attr tar golang-go golang-github-coreos-bbolt-dev docker.io podman containers-storage uidmap fuse-overlayfs containernetworking-plugins docker-registry strace prometheus openssl tmux zsh xfsprogs chromium)

if [ "${CRIFS_SKIP_INTEGRATION:-}" != "1" ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "scripts/test.sh: the integration suite needs root (real containerd, overlay mounts); run as root or set CRIFS_SKIP_INTEGRATION=1" >&2
    exit 1
  fi
  missing=()
  for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "${CRIFS_SKIP_INTEGRATION:-}" != "1" ]; then
  # containerd 1.7 (Debian trixie) and 2.1 (Debian sid) for the per-version beds (issue 16): fetched once with a
  # private apt configuration into /var/cache/crifs, then reused; the beds call the same script
  for v in 1.7 2.1; do
    echo "== containerd $v (its binaries' dir follows)"
    bash test/bed/containerd-fetch.sh "$v"
  done
fi

echo "== npm install (from package-lock.json)"
# not `npm ci`: the registry here lacks the other platforms' optional binaries (@biomejs/cli-win32-*, …)
# that npm ci insists on finding in the lock; npm install takes the lock and skips them
npm install --no-save --no-audit --no-fund --loglevel=error
echo "== build (tsc, strict)"
npm run -s build
echo "== lint and format check (biome)"
npm run -s lint
echo "== unit tests"
npm run -s test:unit
echo "== package (npm pack holds no tests; the tarball installs and runs)"
npm run -s test:pack
echo "== integration tests (real containerd)"
npm run -s test:integration
