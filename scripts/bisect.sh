#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bisect: after each patch of the series in turn, build the kernel
# (debug config; ccache keeps it affordable), tools/testing/selftests/mm
# against its headers, and tools/mm, so that every step builds.  Some mm
# selftests do not build on the base itself (a stable backport broke
# khugepaged.c): a step fails when a program the base builds is missing.
# A step builds again only what its patch can change: the kernel unless
# the patch touches nothing the kernel build reads, the programs if it
# touches tools/ or a uapi header; the rest is as built at the step before.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
tree=$build/bisect
out=$build/out/bisect
log=$build/bisect.log
jobs=${JOBS:-$(nproc)}

# The programs of tools/testing/selftests/mm and tools/mm that build in
# $tree as it is, one per line.  What counts is what was built, not make's
# messages: a "No rule" or a $(error) stop leaves no "Error" line to parse.
built_programs() {
	local st=$out/bisect-selftests

	rm -rf "$st"
	mkdir -p "$st"
	make -k -s -C "$tree/tools/testing/selftests/mm" OUTPUT="$st" \
		KHDR_INCLUDES="-isystem $out/usr/include" CC="ccache gcc" \
		-j"$jobs" >>"$log" 2>&1 || true
	make -k -s -C "$tree/tools/mm" CC="ccache gcc" -j"$jobs" \
		>>"$log" 2>&1 || true
	{
		find "$st" -maxdepth 1 -type f -perm -u+x -printf 'selftests/mm/%f\n'
		git -C "$tree" ls-files --others tools/mm |
			while read -r f; do
				if [ -x "$tree/$f" ]; then echo "$f"; fi
			done
	} | sort -u
	git -C "$tree" clean -fdxq tools/
}

# build-kernel.sh installs the headers the selftests build against; built
# as build/src, each step takes what it does not change from the cache.
# The guest's static selftests are not wanted: built_programs() builds all.
build_kernel() {
	GUEST_TESTS=/dev/null \
		"$here/scripts/as-src.sh" "$tree" "$here/scripts/build-kernel.sh" \
		{} "$out" debug >"$log" 2>&1
}

# Whether commit $1 changes a file the kernel build reads: anything but
# the selftests, tools/mm, Documentation/ and MAINTAINERS
changes_kernel() {
	local files

	files=$(git -C "$tree" diff --name-only "$1^" "$1")
	grep -qvE '^(tools/testing/|tools/mm/|Documentation/|MAINTAINERS$)' \
		<<<"$files"
}

# Whether commit $1 changes what the programs build from: tools/, or a
# uapi header that the selftests get through the installed headers
changes_programs() {
	local files

	files=$(git -C "$tree" diff --name-only "$1^" "$1")
	grep -qE '^tools/|/uapi/' <<<"$files"
}

"$here/scripts/fetch-base.sh" >/dev/null
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
base_built=$(built_programs)
echo "bisect: the base builds $(echo "$base_built" | wc -l) programs of the mm selftests and tools/mm"

step=0
built=$base_built
for commit in $commits; do
	step=$((step + 1))
	git -C "$tree" checkout -q --detach "$commit"
	echo "bisect: $step/$count $(git -C "$tree" log -1 --format=%s)"
	if ! changes_kernel "$commit"; then
		echo "bisect:   the kernel is as at the step before"
	elif ! build_kernel; then
		tail -n 30 "$log"
		echo "bisect: the kernel does not build after this patch" >&2
		exit 1
	fi
	if ! changes_programs "$commit"; then
		echo "bisect:   the programs are as at the step before"
	else
		built=$(built_programs)
	fi
	missing=$(comm -23 <(echo "$base_built") <(echo "$built"))
	if [ -n "$missing" ]; then
		grep -B5 -E "Error|error:|Stop" "$log" | tail -n 30 || true
		echo "bisect: these do not build after this patch: ${missing//$'\n'/ }" >&2
		exit 1
	fi
done
echo "bisect: all $count steps build, with the mm selftests and tools/mm"
