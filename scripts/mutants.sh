#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make mutants: mutation testing of the series.  Each patch in mutants/ is
# one small, plausible mistake in the series' code, applied on top of the
# branch "series" of build/linux.  Its header, the lines before the diff,
# names it ("Mutant: ...") and the guest suites that must catch it ("Test: "
# lines in guest/tests syntax, with selftest filters so that only what
# matters for the mutant runs).
#
# The union of the suites of the mutants runs first on the series itself:
# it has to pass, or a kill would mean nothing.  Then, for each mutant, the
# debug kernel is built with the mutant applied and only its suites'
# selftests, booted, and judged by parse-results.py.  One line per mutant:
#   NAME  killed by TEST[, TEST...]   the tests that failed, and the
#                                     kernel's first report if any (alone
#                                     if no test failed: a splat, a hang)
#   NAME  SURVIVED                    everything passed: a test is missing
#   NAME  DID NOT APPLY/BUILD         the mutant needs updating
#   NAME  DID NOT RUN                 QEMU failed (not the kernel)
#   NAME  INCONCLUSIVE                no test failed and no splat, but a
#                                     suite timed out or the guest died
# The run fails unless every mutant is killed.
#
# Its own worktree (build/mutant-src), output (build/out/mutant-debug) and
# logs (build/logs/mutants/NAME/): make check and make bench can run
# meanwhile.
#
# Environment:
#   MUTANTS=REGEX  only the mutants whose name (the file name without
#                  .patch) matches REGEX (grep -E); the baseline then runs
#                  the union of their suites only
#   VCPUS, JOBS    as for make check (4 vCPUs by default)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
tree=$build/linux
src=$build/mutant-src
out=$build/out/mutant-debug
logs=$build/logs/mutants
start=$(date +%s)
export VCPUS=${VCPUS:-4}

stamp() {
	echo "[$(date +%H:%M:%S)] $*"
}

# One run at a time: they share the worktree and the output directory.
mkdir -p "$logs"
exec 9>"$logs/lock"
flock -n 9 || { echo "mutants: another run holds $logs/lock" >&2; exit 1; }

"$here/scripts/deps.sh"
if ! git -C "$tree" rev-parse -q --verify refs/heads/series >/dev/null; then
	echo "mutants: build/linux has no branch \"series\": run make tree" >&2
	exit 1
fi
# The branch may move while this runs (it is where the series is edited):
# the baseline and every mutant use the commit it points to now.
tip=$(git -C "$tree" rev-parse series)
if [ ! -e "$src/.git" ]; then
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$src" "$tip"
fi

# header PATCH KEY: the values of PATCH's "KEY: " lines before its diff
header() {
	sed -n -e '/^diff --git /q' -e "s/^$2: *//p" "$1"
}

mutants=()
for patch in "$here"/mutants/*.patch; do
	name=$(basename "$patch" .patch)
	if [ -z "${MUTANTS:-}" ] || grep -qE -- "$MUTANTS" <<<"$name"; then
		mutants+=("$name")
	fi
done
if [ ${#mutants[@]} = 0 ]; then
	echo "mutants: no mutant in mutants/ matches MUTANTS=${MUTANTS:-}" >&2
	exit 1
fi
for name in "${mutants[@]}"; do
	rm -rf "${logs:?}/$name"
	mkdir -p "$logs/$name"
	header "$here/mutants/$name.patch" Test >"$logs/$name/tests"
	if [ ! -s "$logs/$name/tests" ]; then
		echo "mutants: $name.patch has no \"Test:\" line" >&2
		exit 1
	fi
done

# The baseline runs each suite line once.  Two different lines with the
# same suite name get distinct names, or their results would mix.
rm -rf "$logs/baseline"
mkdir -p "$logs/baseline"
for name in "${mutants[@]}"; do
	cat "$logs/$name/tests"
done | awk '{ line = $0; gsub(/[ \t]+/, " ", line) }
	line in seen { next }
	{ seen[line] = 1; if (++uses[$1] > 1) $1 = $1 "." uses[$1]; print }' \
	>"$logs/baseline/tests"

# build_kernel: the worktree built as build/src (scripts/as-src.sh), so
# that the objects come from the cache make check fills and a mutant
# compiles only what it changes.
build_kernel() {
	"$here/scripts/as-src.sh" "$src" "$here/scripts/build-kernel.sh" {} \
		"$out" debug
}

# reset: the worktree back to the series as it was when the run started
reset() {
	git -C "$src" reset -q --hard "$tip"
	git -C "$src" clean -q -fdx
}

# run DIR: build the worktree as it is with the selftests DIR/tests names,
# boot it, run those suites and judge them into DIR/summary.  Returns 2 if
# the kernel did not build, 3 if QEMU did not run it, else the status of
# parse-results.py.
run() {
	local dir=$1 limit t0 status=0

	export GUEST_TESTS=$dir/tests
	t0=$(date +%s)
	if ! build_kernel >"$dir/build.log" 2>&1 ||
	   ! "$here/scripts/mkinitramfs.sh" "$out" >>"$dir/build.log" 2>&1; then
		return 2
	fi
	stamp "$(basename "$dir"): built in $(($(date +%s) - t0))s"
	# The guest kills each suite at its own timeout; the boot and the
	# guest's set-up get five minutes more.
	limit=$(awk '{ t += $2 } END { print t + 300 }' "$dir/tests")
	t0=$(date +%s)
	"$here/scripts/run-qemu.sh" "$out" "$dir" check "$limit" \
		>"$dir/qemu.log" 2>&1 || true
	# A kernel that dies at boot still prints: an empty console is QEMU's.
	[ -s "$dir/console.log" ] || return 3
	"$here/scripts/parse-results.py" "$dir" "$dir/tests" \
		"$here/guest/known-skips" >"$dir/summary" 2>&1 || status=$?
	stamp "$(basename "$dir"): guest ran in $(($(date +%s) - t0))s"
	return "$status"
}

# killers SUMMARY: what killed the mutant: the failed tests, and the
# kernel's first report if there was one.  Nothing if neither: a suite cut
# off by its timeout or a dead guest may be the host's load under TCG, not
# the mutant, and does not count as a kill.
killers() {
	local fails splat

	fails=$(awk '$1 == "FAIL" { print $2 }' "$1")
	splat=$(sed -n 's/^ERROR kernel console has .*, first: //p' "$1" |
		cut -c 1-100)
	if [ -n "$fails" ]; then
		echo "$fails" | awk -v splat="$splat" '
			NR <= 5 { names = names (NR > 1 ? ", " : "") $0 }
			END {
				if (NR > 5)
					names = names ", +" NR - 5 " more"
				if (splat != "")
					names = names " (console: " splat ")"
				print names
			}'
	elif [ -n "$splat" ]; then
		echo "console: $splat"
	fi
}

stamp "series at $(git -C "$tree" log -1 --format='%h %s' "$tip")"
stamp "baseline: $(wc -l <"$logs/baseline/tests") suite(s) of ${#mutants[@]} mutant(s) on the series"
reset
status=0
run "$logs/baseline" || status=$?
if [ "$status" = 2 ]; then
	echo "mutants: the series does not build: $logs/baseline/build.log" >&2
	tail -n 20 "$logs/baseline/build.log" >&2
	exit 1
elif [ "$status" = 3 ]; then
	echo "mutants: QEMU did not run: $logs/baseline/qemu.log" >&2
	exit 1
elif [ "$status" != 0 ]; then
	grep -E '^(FAIL|ERROR)' "$logs/baseline/summary" >&2 || true
	echo "mutants: the suites fail on the series itself: fix that first ($logs/baseline)" >&2
	exit 1
fi
stamp "baseline: $(tail -n 1 "$logs/baseline/summary")"

results=()
failed=0
for name in "${mutants[@]}"; do
	dir=$logs/$name
	stamp "$name: $(header "$here/mutants/$name.patch" Mutant)"
	reset
	status=0
	if ! git -C "$src" apply "$here/mutants/$name.patch" >"$dir/build.log" 2>&1; then
		status=2
	else
		run "$dir" || status=$?
	fi
	case "$status" in
	0) line="$name  SURVIVED"
	   failed=1 ;;
	2) line="$name  DID NOT APPLY/BUILD (see $dir/build.log)"
	   failed=1 ;;
	3) line="$name  DID NOT RUN (QEMU: see $dir/qemu.log)"
	   failed=1 ;;
	*) killer=$(killers "$dir/summary")
	   if [ -n "$killer" ]; then
		line="$name  killed by $killer"
	   else
		line="$name  INCONCLUSIVE: $(sed -n 's/^ERROR //p' \
			"$dir/summary" | head -n 1 | cut -c 1-140)"
		failed=1
	   fi ;;
	esac
	echo "$line"
	results+=("$line")
done
reset

elapsed=$(($(date +%s) - start))
echo
printf '%s\n' "${results[@]}" | tee "$logs/results"
echo "mutants: ${#mutants[@]} run, $(grep -c '  killed by ' "$logs/results") killed, in $((elapsed / 60))m$((elapsed % 60))s (logs: $logs)"
exit "$failed"
