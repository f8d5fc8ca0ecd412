#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bisect: build the kernel after each patch of the series in turn
# (debug config; ccache keeps it affordable), so every step builds.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
tree=$build/bisect
"$here/scripts/fetch-base.sh" >/dev/null
if [ ! -e "$tree/.git" ]; then
	git -C "$build/linux" worktree prune
	git -C "$build/linux" worktree add -q --detach "$tree" base
fi
"$here/scripts/apply-series.sh" "$tree" >/dev/null
commits=$(git -C "$tree" rev-list --reverse base..HEAD)
count=$(echo "$commits" | wc -l)
step=0
for commit in $commits; do
	step=$((step + 1))
	git -C "$tree" checkout -q --detach "$commit"
	echo "bisect: $step/$count $(git -C "$tree" log -1 --format=%s)"
	if ! "$here/scripts/build-kernel.sh" "$tree" "$build/out/bisect" debug \
		>"$build/bisect.log" 2>&1; then
		tail -n 30 "$build/bisect.log"
		echo "bisect: the tree does not build after this patch" >&2
		exit 1
	fi
done
echo "bisect: all $count steps build"
