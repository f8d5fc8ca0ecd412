#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: scripts/checkpatch.pl --strict on every patch of the series
# (0 errors, 0 warnings, 0 checks), shellcheck on the harness scripts.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/fetch-base.sh" >/dev/null
checkpatch=$here/build/linux/scripts/checkpatch.pl
status=0

# checkpatch_one PATCH: its report, if any.  In the tree, which checkpatch
# reads to know the kernel's own identifiers (__SetPageMovable is not new
# CamelCase); its SPDX check needs Debian's python3, with python3-ply,
# first in PATH.
# shellcheck disable=SC2317 # called through xargs
checkpatch_one() {
	(cd "$here/build/linux" && PATH=/usr/bin:$PATH \
		"$checkpatch" --strict --quiet \
		--ignore FILE_PATH_CHANGES "$here/patches/$1" 2>&1) || true
}
export -f checkpatch_one
export here checkpatch

# One checkpatch per CPU, the reports in series order
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# shellcheck disable=SC2016 # bash -c expands its arguments
grep -v -e '^#' -e '^$' "$here/patches/series" |
	xargs -P "$(nproc)" -I{} bash -c 'checkpatch_one "$1" >"$2/$1"' _ {} \
		"$reports"
while read -r patch; do
	case "$patch" in ''|'#'*) continue ;; esac
	if [ -s "$reports/$patch" ]; then
		echo "checkpatch: $patch"
		cat "$reports/$patch"
		status=1
	fi
done <"$here/patches/series"
[ "$status" = 0 ] && echo "checkpatch: $(grep -vc '^#' "$here/patches/series") patches clean"

shellcheck "$here"/scripts/*.sh "$here/guest/init" "$here/.ci/run" &&
	echo "shellcheck: clean" || status=1
exit "$status"
