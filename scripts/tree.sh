#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make tree: give build/linux a branch "series" with one commit per patch,
# on top of the base, to edit with git (rebase -i, commit --amend, ...).
# `make export` writes the branch back into patches/.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tree=$here/build/linux
"$here/scripts/fetch-base.sh"

if git -C "$tree" rev-parse -q --verify refs/heads/series >/dev/null &&
   [ "${FORCE:-0}" != 1 ]; then
	echo "tree: build/linux already has branch 'series'" \
	     "($(git -C "$tree" rev-list --count base..series) commits);" \
	     "FORCE=1 recreates it from patches/" >&2
	git -C "$tree" checkout -q series
	exit 0
fi
"$here/scripts/apply-series.sh" "$tree"
git -C "$tree" checkout -q -B series
if [ -f "$here/patches/0000-cover-letter.patch" ]; then
	git -C "$tree" config branch.series.description \
		"$("$here/scripts/cover-description.sh" \
			"$here/patches/0000-cover-letter.patch")"
fi
echo "tree: build/linux on branch 'series'"
