#!/bin/bash
# test/bed/90-teardown.sh: undo a bed completely: stop churn loops, kill and delete every task (starting
# containerd again if it was left stopped), stop containerd by its recorded pid, unmount everything below
# the work dir (deepest first, lazily if busy), remove the work dir and the host-only target's dir.
# Idempotent: safe to run twice, on a half-built bed, or on a bed whose containerd cannot start.
# Needs CRIFS_BED (it never makes a fresh one).
set -uo pipefail
if [ -z "${CRIFS_BED:-}" ]; then
  echo "90-teardown.sh: set CRIFS_BED to the bed's work dir" >&2
  exit 2
fi
. "$(dirname "$0")/common.sh"

# churn loops (test/bed/70-churn.sh, 71-churn-gc.sh) record their pid; end them first so they stop creating
# things (71 ends its own loops on SIGTERM)
for pf in "$CRIFS_BED"/churn/*.pid; do
  [ -f "$pf" ] || continue
  p=$(cat "$pf")
  grep -qE "7[0-9]-churn[a-z-]*\.sh" "/proc/$p/cmdline" 2>/dev/null && kill "$p" 2>/dev/null
done

if [ -f "$CTD_CONFIG" ]; then
  ctd_is_running || "$BED_DIR/20-containerd-start.sh" || echo "bed: containerd did not start; cleaning up by hand" >&2
  if ctd_is_running; then
    for ns in $(ctr_ namespaces ls -q 2>/dev/null); do
      tasks=$(ctr_ -n "$ns" tasks ls -q 2>/dev/null)
      for t in $tasks; do ctr_ -n "$ns" tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
      for t in $tasks; do
        # a killed task needs a moment to reach STOPPED; rm -f also deletes a still-running one
        for _ in $(seq 1 30); do ctr_ -n "$ns" tasks rm "$t" >/dev/null 2>&1 && break; sleep 0.1; done
        ctr_ -n "$ns" tasks rm -f "$t" >/dev/null 2>&1
      done
    done
  fi
  "$BED_DIR/80-containerd-stop.sh"
fi

# by hand, for whatever the API could not remove: task processes, runc state, and this bed's shims
# (found by the socket path on their command line, never by name)
TASKS=$CTD_STATE/io.containerd.runtime.v2.task
for b in "$TASKS"/*/*; do
  [ -d "$b" ] || continue
  ns=$(basename "$(dirname "$b")")
  id=$(basename "$b")
  p=$(cat "$b/init.pid" 2>/dev/null) && kill -9 "$p" 2>/dev/null
  runc --root "/run/containerd/runc/$ns" delete -f "$id" >/dev/null 2>&1
done
kill_shims_of "$CSOCK"

# anything still mounted below the work dir, deepest first (mountinfo escapes blanks as \040)
unmount_below "$CRIFS_BED" bed || exit 1
rm -rf "$CRIFS_BED" "$(dirname "$HOSTONLY")"
