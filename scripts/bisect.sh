#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bisect: after each patch of the series in turn, build the kernel
# (debug config; ccache keeps it affordable), tools/testing/selftests/mm
# against its headers, and tools/mm, so that every step builds.  Some mm
# selftests do not build on the base itself (a stable backport broke
# khugepaged.c): a step fails only on a program the base builds.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
tree=$build/bisect
out=$build/out/bisect
log=$build/bisect.log
jobs=${JOBS:-$(nproc)}

# The programs of tools/testing/selftests/mm and tools/mm that do not
# build in $tree as it is, one per line.
broken_programs() {
	local st=$out/bisect-selftests

	rm -rf "$st"
	mkdir -p "$st"
	make -k -s -C "$tree/tools/testing/selftests/mm" OUTPUT="$st" \
		KHDR_INCLUDES="-isystem $out/usr/include" CC="ccache gcc" \
		-j"$jobs" >>"$log" 2>&1 || true
	make -k -s -C "$tree/tools/mm" CC="ccache gcc" -j"$jobs" \
		>>"$log" 2>&1 || true
	git -C "$tree" clean -fdxq tools/
	sed -n 's/^make.*: \*\*\* \[[^]]*: \([^]]*\)\] Error .*/\1/p' "$log" |
		sed "s|^$st/|selftests/mm/|" | sort -u
}

# build-kernel.sh installs the headers the selftests build against
build_kernel() {
	"$here/scripts/build-kernel.sh" "$tree" "$out" debug >"$log" 2>&1
}

"$here/scripts/fetch-base.sh" >/dev/null
if [ ! -e "$tree/.git" ]; then
	git -C "$build/linux" worktree prune
	git -C "$build/linux" worktree add -q --detach "$tree" base
fi
"$here/scripts/apply-series.sh" "$tree" >/dev/null
commits=$(git -C "$tree" rev-list --reverse base..HEAD)
count=$(echo "$commits" | wc -l)

git -C "$tree" checkout -q --detach base
echo "bisect: 0/$count the base"
if ! build_kernel; then
	tail -n 30 "$log"
	echo "bisect: the base does not build" >&2
	exit 1
fi
base_broken=$(broken_programs)
[ -z "$base_broken" ] ||
	echo "bisect: the base does not build: ${base_broken//$'\n'/ }"

step=0
for commit in $commits; do
	step=$((step + 1))
	git -C "$tree" checkout -q --detach "$commit"
	echo "bisect: $step/$count $(git -C "$tree" log -1 --format=%s)"
	if ! build_kernel; then
		tail -n 30 "$log"
		echo "bisect: the kernel does not build after this patch" >&2
		exit 1
	fi
	broken=$(comm -13 <(echo "$base_broken") <(broken_programs))
	if [ -n "$broken" ]; then
		grep -B5 "Error" "$log" | tail -n 30
		echo "bisect: these do not build after this patch: ${broken//$'\n'/ }" >&2
		exit 1
	fi
done
echo "bisect: all $count steps build, with the mm selftests and tools/mm"
