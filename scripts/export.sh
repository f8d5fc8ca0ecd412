#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make export: write the commits base..series of build/linux into patches/
# as git format-patch files named after their subjects, regenerate `series`
# and the cover letter (patches/0000-cover-letter.patch): its text is the
# branch description (git branch --edit-description series), taken from
# the existing cover letter when the branch has none.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tree=$here/build/linux
patches=$here/patches
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git -C "$tree" diff --quiet HEAD ||
	{ echo "export: build/linux has uncommitted changes" >&2; exit 1; }
cover=$patches/0000-cover-letter.patch
if [ -z "$(git -C "$tree" config branch.series.description || true)" ] &&
   [ -f "$cover" ]; then
	git -C "$tree" config branch.series.description \
		"$("$here/scripts/cover-description.sh" "$cover")"
fi
# The cover letter is from whoever runs this: make it the series' author
author=$(git -C "$tree" log -1 --format=%an base..series)
email=$(git -C "$tree" log -1 --format=%ae base..series)
GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email \
git -C "$tree" format-patch -q --no-signature --zero-commit --cover-letter \
	--cover-from-description=subject -o "$tmp" base..series
find "$patches" -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
{
	echo "# The series, in the order git am applies it (make export writes this)."
	for p in "$tmp"/*.patch; do
		cp "$p" "$patches/"
		case "$p" in */0000-cover-letter.patch) ;; *) basename "$p" ;; esac
	done
} >"$patches/series"
echo "export: $(grep -vc '^#' "$patches/series") patches in patches/"
