#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh MODE: build base plus series (base only with BASE=1) as the debug
# kernel, boot it under QEMU and run MODE in the guest:
#   check  the guest suite of guest/tests, judged by parse-results.py
#   demo   the series at work on a small example (make run)
set -euo pipefail

mode=${1:-check}
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
variant=series
[ "${BASE:-0}" = 1 ] && variant=base
out=$build/out/$variant-debug
logs=$build/logs/$variant-$mode
src=$build/src

stamp() {
	echo "[$(date +%H:%M:%S)] $*"
}

stamp "deps"
"$here/scripts/deps.sh"
"$here/scripts/fetch-base.sh"
if [ ! -d "$src/.git" ] && [ ! -f "$src/.git" ]; then
	git -C "$build/linux" worktree prune
	git -C "$build/linux" worktree add -q --detach "$src" base
fi
"$here/scripts/apply-series.sh" "$src" "${BASE:-0}"

# The suites the series adds (marked "series-only" in guest/tests) cannot
# run on the base: BASE=1 leaves them out, and says so.
export GUEST_TESTS=$here/guest/tests
if [ "$variant" = base ]; then
	GUEST_TESTS=$build/tests.base
	grep -Ev '^[^#].*# series-only' "$here/guest/tests" >"$GUEST_TESTS"
	grep -E '^[^#].*# series-only' "$here/guest/tests" | awk '{ print "check: BASE=1 leaves out", $1 }'
fi

stamp "build $variant-debug"
t0=$(date +%s)
"$here/scripts/build-kernel.sh" "$src" "$out" debug
stamp "built in $(($(date +%s) - t0))s: $(cat "$out/include/config/kernel.release")"

# The demo is make run, and a test of the suite.  /etc/series tells it what
# kernel it runs: the base, then the subject of each patch applied.
gcc -static -O2 -Wall -I "$src/lib" -I "$out/usr/include" \
	-o "$out/demo" "$here/guest/demo.c"
{
	cat "$build/base-version"
	git -C "$src" log --reverse --format=%s base..HEAD
} >"$out/series"
"$here/scripts/mkinitramfs.sh" "$out" "$out/demo" "$out/series"
"$here/scripts/probe-kvm.sh" "$out"

# The migration selftest needs three CPUs (two threads touch the memory
# while a third migrates it) and skips below that: the test guest has two
# vCPUs per node.
export VCPUS=${VCPUS:-4}
stamp "boot $variant-debug ($VCPUS vCPUs), guest $mode"
t0=$(date +%s)
"$here/scripts/run-qemu.sh" "$out" "$logs" "$mode" "${GUEST_TIMEOUT:-3600}" ||
	guest_failed=1
stamp "guest ran ${variant} $mode in $(($(date +%s) - t0))s; console: $logs/console.log"
echo "base: $(cat "$build/base-version")"

case "$mode" in
check)
	"$here/scripts/parse-results.py" "$logs" "$GUEST_TESTS" \
		"$here/guest/known-skips" | tee "$logs/summary"
	status=${PIPESTATUS[0]}
	[ -z "${guest_failed:-}" ] || status=1
	exit "$status"
	;;
*)
	# The guest prints the demo's report, then "### END demo rc=N": its
	# exit status, non-zero when a step failed.
	[ -f "$logs/results.log" ] || : >"$logs/results.log"
	tr -d '\r' <"$logs/results.log" | grep -v '^### ' || true
	rc=$(sed -n "s/^### END $mode rc=\([0-9]*\).*/\1/p" "$logs/results.log")
	if [ -z "$rc" ]; then
		echo "$mode: no complete result (see $logs/console.log)" >&2
		exit 1
	fi
	[ "$rc" = 0 ] || echo "$mode: FAILED (exit status $rc)" >&2
	[ -z "${guest_failed:-}" ] && [ "$rc" = 0 ]
	;;
esac
