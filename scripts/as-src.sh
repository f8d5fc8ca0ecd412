#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# as-src.sh TREE COMMAND [ARG...]: run COMMAND on the worktree TREE as if it
# were build/src; "{}" in an ARG stands for the path COMMAND must use.
# ccache keys on the source paths: so that a build of TREE takes its objects
# from the cache make check fills and compiles only what differs from
# build/src, TREE is mounted over build/src in a private mount namespace
# that only COMMAND sees (build/src itself is untouched).  Without the
# privilege for that, or without build/src, COMMAND runs on TREE where it
# is: with a cold cache the first time.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tree=$(realpath "$1")
src=$here/build/src
shift

mount=0
if [ -d "$src" ] && [ "$tree" != "$(realpath "$src")" ] &&
   unshare -m --propagation private true 2>/dev/null; then
	mount=1
else
	src=$tree
fi
args=()
for arg; do
	args+=("${arg//\{\}/$src}")
done
if [ "$mount" = 1 ]; then
	# shellcheck disable=SC2016 # sh -c expands its arguments
	exec unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
		"$tree" "$src" "${args[@]}"
fi
exec "${args[@]}"
