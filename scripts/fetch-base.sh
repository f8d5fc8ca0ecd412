#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make build/linux a git tree whose first commit, tagged "base", is the
# untouched Linux 6.12 source: Debian's linux-source-6.12, or the tree named
# by KSRC.  Prints the base version.  Does nothing when the tree exists.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
tree=$build/linux
dl=$build/dl

if git -C "$tree" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	echo "base: $(cat "$build/base-version" 2>/dev/null || echo unknown)"
	exit 0
fi

mkdir -p "$build" "$dl"
rm -rf "$tree"

if [ -n "${KSRC:-}" ]; then
	if [ ! -f "$KSRC/Makefile" ] || [ ! -d "$KSRC/mm" ]; then
		echo "KSRC=$KSRC is not a kernel tree" >&2
		exit 1
	fi
	echo "base: copying $KSRC"
	mkdir -p "$tree"
	tar -C "$KSRC" --exclude=.git -cf - . | tar -C "$tree" -xf -
	version="KSRC $(make -s -C "$tree" kernelversion)"
else
	cd "$dl"
	deb=$(find . -name 'linux-source-6.12_*.deb' | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		echo "base: apt-get download linux-source-6.12"
		apt-get download linux-source-6.12 ||
			{ apt-get update -qq && apt-get download linux-source-6.12; }
		deb=$(find . -name 'linux-source-6.12_*.deb' | sort -V | tail -n 1)
	fi
	version="linux-source-6.12 $(dpkg-deb -f "$deb" Version)"
	echo "base: unpacking $deb"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xf - --wildcards './usr/src/linux-source-6.12.tar.xz'
	mkdir -p "$tree"
	tar -C "$tree" --strip-components=1 -xJf usr/src/linux-source-6.12.tar.xz
	rm -rf usr
fi

cd "$tree"
git init -q
git config user.name "${GIT_AUTHOR_NAME:-Series Harness}"
git config user.email "${GIT_AUTHOR_EMAIL:-harness@localhost}"
git config gc.auto 0
git add -A -f .
git commit -q -m "base: $version" --no-verify
git tag base
echo "$version ($(make -s kernelversion))" >"$build/base-version"
echo "base: $(cat "$build/base-version")"
