#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-as-src.sh TREE OUT FLAVOR: scripts/build-kernel.sh on the worktree
# TREE, built as if it were build/src.  ccache keys on the source paths:
# so that the objects come from the cache make check fills and only what
# differs from build/src is compiled, TREE is mounted over build/src in a
# private mount namespace that only this build sees (build/src itself is
# untouched).  Without the privilege for that, or without build/src, TREE
# is built where it is: with a cold cache the first time.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tree=$(realpath "$1")
out=$2
flavor=$3

if [ -d "$here/build/src" ] && [ "$tree" != "$(realpath "$here/build/src")" ] &&
   unshare -m --propagation private true 2>/dev/null; then
	# shellcheck disable=SC2016 # sh -c expands its arguments
	exec unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
		"$tree" "$here/build/src" \
		"$here/scripts/build-kernel.sh" "$here/build/src" "$out" "$flavor"
fi
exec "$here/scripts/build-kernel.sh" "$tree" "$out" "$flavor"
