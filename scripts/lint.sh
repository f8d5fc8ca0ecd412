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

while read -r patch; do
	case "$patch" in ''|'#'*) continue ;; esac
	# In the tree, which checkpatch reads to know the kernel's own
	# identifiers (__SetPageMovable is not new CamelCase); its SPDX check
	# needs Debian's python3, with python3-ply, first in PATH.
	report=$(cd "$here/build/linux" && PATH=/usr/bin:$PATH \
		"$checkpatch" --strict --quiet \
		--ignore FILE_PATH_CHANGES "$here/patches/$patch" 2>&1) || true
	if [ -n "$report" ]; then
		echo "checkpatch: $patch"
		echo "$report"
		status=1
	fi
done <"$here/patches/series"
[ "$status" = 0 ] && echo "checkpatch: $(grep -vc '^#' "$here/patches/series") patches clean"

shellcheck "$here"/scripts/*.sh "$here/guest/init" "$here/.ci/run" &&
	echo "shellcheck: clean" || status=1
exit "$status"
