#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# apply-series.sh TREE [BASE]
#
# Reset the git tree TREE to the tag "base" (a new worktree of build/linux
# if TREE does not exist) and, unless BASE is 1, apply
# patches/ in `series` order with git am.  A patch that does not apply stops
# with its file name and the hunk that failed.
set -euo pipefail

tree=$(realpath -m "$1")
base_only=${2:-0}
here=$(cd "$(dirname "$0")/.." && pwd)

# A tree that does not exist yet becomes a worktree of build/linux
if [ ! -e "$tree/.git" ]; then
	git -C "$here/build/linux" worktree prune
	git -C "$here/build/linux" worktree add -q --detach "$tree" base
fi
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q --detach base
git -C "$tree" reset -q --hard base
git -C "$tree" clean -q -fdx
[ "$base_only" = 1 ] && { echo "series: none (BASE=1)"; exit 0; }

# Print the hunks of PATCH that git am named in "error: patch failed:
# FILE:LINE" lines of its LOG.
show_failed_hunks() {
	echo "$2" | sed -n 's/^error: patch failed: \(.*\):\([0-9]*\)$/\1 \2/p' |
	while read -r path line; do
		echo "--- failing hunk of $path at line $line:"
		awk -v path="$path" -v line="$line" '
			/^diff --git / { infile = ($3 == "a/" path) }
			/^@@ / { show = infile && $2 == "-" line || \
				 infile && index($2, "-" line ",") == 1 }
			/^diff --git / { show = 0 }
			show' "$1"
	done
}

n=0
while read -r patch; do
	case "$patch" in ''|'#'*) continue ;; esac
	file=$here/patches/$patch
	[ -f "$file" ] || { echo "series: $patch is listed but missing" >&2; exit 1; }
	if ! log=$(git -C "$tree" am -q --3way "$file" 2>&1); then
		echo "series: patches/$patch does not apply:" >&2
		echo "$log" | grep -E '^(error|CONFLICT)' >&2 || true
		show_failed_hunks "$file" "$log" >&2
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		exit 1
	fi
	n=$((n + 1))
done <"$here/patches/series"
echo "series: $n patches applied"
