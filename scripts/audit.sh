#!/usr/bin/env bash
# The main job, from a fresh clone: install npm dependencies, build, and audit this machine's container
# runtimes (or, where none is found, the sample store bundled with crifs, saying so). Extra arguments go to
# `crifs audit` (e.g. -o json, --root DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # not `npm ci`: the registry lacks other platforms' optional binaries that npm ci wants in the lock
  npm install --no-save --no-audit --no-fund --loglevel=error >&2
fi
npm run -s build >&2
exec bin/crifs audit "$@"
