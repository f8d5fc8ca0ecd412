#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make distro-check: build what the series touches with Debian's own amd64
# kernel config (linux-config-6.12, config.amd64_none_amd64), the series'
# options enabled as a distro would, with W=1.  Compiled: every object and
# module object of mm/, fs/aio.o, fs/hugetlbfs/, fs/nfs/, lib/test_hmm.o
# and drivers/dma/.  Then sparse (C=2) checks every object of a file the
# series touches.  The base's own W=1 and sparse warnings in those files
# are collected from the same objects built and checked on the base, with
# the same config: the run fails on an error, or on a warning in a touched
# file that the base does not have.
#
# Its own worktree (build/distro-src), outputs (build/out/distro-base,
# build/out/distro) and logs (build/logs/distro/).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
dl=$build/dl
tree=$build/distro-src
logs=$build/logs/distro
jobs=${JOBS:-$(nproc)}
start=$(date +%s)

# How a distro enables the series: the offload built in, its engines as
# modules.  Debian builds neither device-private memory nor KUnit: they are
# enabled so that test_hmm and the KUnit tests are compiled too.
series_options="CONFIG_MIGRATE_COPY_OFFLOAD=y
CONFIG_MIGRATE_COPY_MT=m
CONFIG_MIGRATE_COPY_DMA=m
CONFIG_TEST_DMA_MEMCPY=m
CONFIG_KUNIT=m
CONFIG_MIGRATE_COPY_KUNIT_TEST=m
CONFIG_DEVICE_PRIVATE=y
CONFIG_TEST_HMM=m"
# Debian signs with its own keys, which are not in the source package
build_options='CONFIG_SYSTEM_TRUSTED_KEYS=""
CONFIG_SYSTEM_REVOCATION_KEYS=""'
targets=(mm/ fs/aio.o fs/hugetlbfs/ fs/nfs/ lib/test_hmm.o drivers/dma/)

stamp() {
	echo "[$(date +%H:%M:%S)] $*"
}

# Debian's amd64 config, from the linux-config package of the base
debian_config() {
	local deb

	deb=$(find "$dl" -name 'linux-config-6.12_*.deb' | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		(cd "$dl" && { apt-get download linux-config-6.12 ||
			{ apt-get update -qq &&
			  apt-get download linux-config-6.12; }; }) >&2
		deb=$(find "$dl" -name 'linux-config-6.12_*.deb' | sort -V |
		      tail -n 1)
	fi
	echo "distro: $(basename "$deb")" >&2
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xOf - ./usr/src/linux-config-6.12/config.amd64_none_amd64.xz |
		xz -dc
}

# configure OUT OPTIONS: Debian's config with OPTIONS merged in, checked
configure() {
	local out=$1 options=$2 line

	rm -rf "$out"
	mkdir -p "$out"
	cp "$logs/debian.config" "$out/.config"
	printf '%s\n' "$options" "$build_options" >"$out/options.config"
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "$out/options.config" >/dev/null)
	make -s -C "$tree" O="$out" olddefconfig >/dev/null
	while IFS= read -r line; do
		[ -z "$line" ] || grep -qxF "$line" "$out/.config" || {
			echo "distro: olddefconfig dropped $line" >&2
			return 1
		}
	done <<<"$options"
}

# compile OUT LOG TARGET...: W=1, every target, errors and warnings in LOG
compile() {
	local out=$1 log=$2

	shift 2
	make -s -C "$tree" O="$out" CC="ccache gcc" -j"$jobs" prepare \
		>"$log" 2>&1 || return 1
	make -k -C "$tree" O="$out" CC="ccache gcc" W=1 -j"$jobs" "$@" \
		>>"$log" 2>&1
}

# check_sparse OUT LOG OBJECT...: sparse (C=2) on each OBJECT's source
check_sparse() {
	local out=$1 log=$2

	shift 2
	make -k -C "$tree" O="$out" CC="ccache gcc" C=2 -j"$jobs" "$@" \
		>"$log" 2>&1
}

# The warnings and errors of LOG in FILES, "file: message", line numbers
# left out so that the base's and the series' compare.
diagnostics() {
	local log=$1 files=$2

	sed -n 's#^\([^ :]*\):[0-9]*:[0-9]*: \(warning\|error\): \(.*\)$#\1: \2: \3#p' \
		"$log" | sed "s|^\(\.\./\)*\([^ ]*/\)\?distro-src/||" |
		grep -F -f <(echo "$files" | awk '{ print $0 ":" }') | sort -u || true
}

mkdir -p "$dl" "$logs"
"$here/scripts/deps.sh"
"$here/scripts/fetch-base.sh" >/dev/null
debian_config >"$logs/debian.config"
"$here/scripts/apply-series.sh" "$tree" >/dev/null
series=$(git -C "$tree" rev-parse HEAD)
touched=$(git -C "$tree" diff --name-only base HEAD -- '*.c' '*.h' |
	  grep -v '^tools/')
touched_objects=$(echo "$touched" | sed -n 's/\.c$/.o/p')

stamp "base: the series' files with Debian's config, W=1, sparse"
git -C "$tree" checkout -q --detach base
configure "$build/out/distro-base" "" || exit 1
base_objects=$(for o in $touched_objects; do
	if [ -f "$tree/${o%.o}.c" ]; then echo "$o"; fi; done)
# shellcheck disable=SC2086 # one object per word
compile "$build/out/distro-base" "$logs/base.log" $base_objects || true
# shellcheck disable=SC2086 # one object per word
check_sparse "$build/out/distro-base" "$logs/base-sparse.log" $base_objects || true
cat <(diagnostics "$logs/base.log" "$touched") \
    <(diagnostics "$logs/base-sparse.log" "$touched") | sort -u \
	>"$logs/base.diag"

stamp "series: ${targets[*]} with Debian's config, W=1"
git -C "$tree" checkout -q --detach "$series"
configure "$build/out/distro" "$series_options" || exit 1
status=0
compile "$build/out/distro" "$logs/series.log" "${targets[@]}" || status=$?
stamp "series: sparse on the objects of the files the series touches"
# shellcheck disable=SC2086 # one object per word
check_sparse "$build/out/distro" "$logs/series-sparse.log" $touched_objects ||
	status=$?
cat <(diagnostics "$logs/series.log" "$touched") \
    <(diagnostics "$logs/series-sparse.log" "$touched") | sort -u \
	>"$logs/series.diag"

objects=$(cd "$build/out/distro" && find mm fs lib drivers/dma -name '*.o' |
	  wc -l)
new=$(comm -13 "$logs/base.diag" "$logs/series.diag")
stamp "compiled $objects objects in $(( $(date +%s) - start ))s; logs in $logs"
if [ -n "$new" ]; then
	echo "distro: new warnings or errors in files the series touches:"
	echo "$new"
	exit 1
fi
if [ "$status" != 0 ]; then
	grep -E ': (error|Error)' "$logs/series.log" | head -n 20 || true
	echo "distro: the build failed (make exit $status)" >&2
	exit 1
fi
echo "distro: no new W=1 or sparse warning in the $(echo "$touched" | wc -l) files the series touches ($(wc -l <"$logs/base.diag") on the base, $(wc -l <"$logs/series.diag") with the series)"
