#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make configs: build the series in the configurations a kernel test robot
# would try: the test and bench configs, and the bench config with the
# offload, the DMA engine, migration, NUMA, THP or device-private memory off,
# with the engines built in, and a 32-bit i386 kernel.  Each is tinyconfig
# with the harness's fragments (config/) and its own options, which must
# survive olddefconfig; each must build (bzImage and modules) without a
# warning or an error.  ccache keeps the configurations that differ little
# cheap.
#
# Its own worktree (build/configs-src, built as build/src: see below),
# outputs (build/out/configs-NAME) and logs (build/logs/configs/NAME.log).
#
# Environment:
#   CONFIGS=REGEX  only the configurations whose name matches REGEX
#   JOBS           make -j (default: the number of CPUs)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
tree=$build/configs-src
logs=$build/logs/configs
jobs=${JOBS:-$(nproc)}
start=$(date +%s)

# NAME ARCH FLAVOR OPTIONS...: FLAVOR's config fragment, then OPTIONS
matrix=(
	"test x86_64 debug"
	"bench x86_64 bench"
	"offload-off x86_64 bench CONFIG_MIGRATE_COPY_OFFLOAD=n"
	"engines-builtin x86_64 bench CONFIG_MIGRATE_COPY_MT=y
	 CONFIG_MIGRATE_COPY_DMA=y CONFIG_MIGRATE_COPY_KUNIT_TEST=y"
	"dma-engine-off x86_64 bench CONFIG_DMADEVICES=n CONFIG_DMA_ENGINE=n"
	"migration-off x86_64 bench CONFIG_NUMA=n CONFIG_TRANSPARENT_HUGEPAGE=n
	 CONFIG_COMPACTION=n CONFIG_CMA=n CONFIG_MEMORY_HOTREMOVE=n
	 CONFIG_MIGRATION=n"
	"numa-off x86_64 bench CONFIG_NUMA=n"
	"device-private-off x86_64 bench CONFIG_DEVICE_PRIVATE=n"
	"thp-off x86_64 bench CONFIG_TRANSPARENT_HUGEPAGE=n"
	"i386 i386 i386 CONFIG_64BIT=n CONFIG_HIGHMEM4G=y
	 CONFIG_MIGRATE_COPY_OFFLOAD=y
	 CONFIG_MIGRATE_COPY_MT=m CONFIG_MIGRATE_COPY_DMA=m"
)

stamp() {
	echo "[$(date +%H:%M:%S)] $*"
}

# The fragments of a configuration in OUT: the mm selftests' and the
# harness's for x86_64; for i386, which has neither NUMA nor device-private
# memory, the harness's base without its 64BIT.
fragments() {
	local out=$1 flavor=$2

	if [ "$flavor" = i386 ]; then
		grep -v '^CONFIG_64BIT=' "$here/config/base.config" \
			>"$out/base-i386.config"
		echo "$out/base-i386.config"
	else
		echo "$tree/tools/testing/selftests/mm/config"
		echo "$here/config/base.config"
		echo "$here/config/$flavor.config"
	fi
}

# configure OUT ARCH FLAVOR OPTIONS...: fail if olddefconfig drops an option
configure() {
	local out=$1 arch=$2 flavor=$3 opt want

	shift 3
	# Called under "if !", where set -e does not hold: every step checks
	mkdir -p "$out" || return 1
	printf '%s\n' "$@" >"$out/options.config" || return 1
	make -s -C "$tree" O="$out" ARCH="$arch" tinyconfig >/dev/null ||
		return 1
	# shellcheck disable=SC2046 # one fragment per word
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" $(fragments "$out" "$flavor") "$out/options.config" \
		>/dev/null) || return 1
	make -s -C "$tree" O="$out" ARCH="$arch" olddefconfig >/dev/null ||
		return 1
	for opt in "$@"; do
		case "$opt" in
		*=n) want="# ${opt%=n} is not set" ;;
		*) want=$opt ;;
		esac
		if ! grep -qxF "$want" "$out/.config" &&
		   ! { [ "${opt#*=}" = n ] &&
		       ! grep -q "^${opt%=n}=" "$out/.config"; }; then
			echo "configs: olddefconfig dropped $opt" >&2
			return 1
		fi
	done
}

if [ -z "${CONFIGS_TREE:-}" ]; then
	mkdir -p "$logs"
	"$here/scripts/deps.sh"
	"$here/scripts/fetch-base.sh" >/dev/null
	"$here/scripts/apply-series.sh" "$tree" >/dev/null
	# The rest runs on the worktree built as build/src (as-src.sh), so
	# that ccache serves what make check compiled
	exec "$here/scripts/as-src.sh" "$tree" env CONFIGS_TREE={} "$0"
fi
tree=${CONFIGS_TREE:-$tree}
export CCACHE_BASEDIR=$build KBUILD_BUILD_TIMESTAMP=2024-01-01
export KBUILD_BUILD_USER=harness KBUILD_BUILD_HOST=harness

failed=()
for entry in "${matrix[@]}"; do
	# shellcheck disable=SC2086 # the entry's words
	set -- $entry
	name=$1 arch=$2 flavor=$3
	shift 3
	[[ "$name" =~ ${CONFIGS:-.} ]] || continue
	out=$build/out/configs-$name
	log=$logs/$name.log
	t0=$(date +%s)
	if ! configure "$out" "$arch" "$flavor" "$@" >"$log" 2>&1; then
		stamp "$name: NOT CONFIGURED ($(tail -n 1 "$log"))"
		failed+=("$name")
		continue
	fi
	if ! make -C "$tree" O="$out" ARCH="$arch" CC="ccache gcc" \
		-j"$jobs" bzImage modules >>"$log" 2>&1; then
		stamp "$name: BUILD FAILED"
		grep -E '(error|Error)' "$log" | head -n 10 || true
		failed+=("$name")
		continue
	fi
	# The compiler's, modpost's and Kconfig's
	warn=': warning: |^WARNING: '
	warnings=$(grep -cE "$warn" "$log" || true)
	if [ "$warnings" != 0 ]; then
		stamp "$name: $warnings warnings"
		grep -E "$warn" "$log" | head -n 10 || true
		failed+=("$name")
		continue
	fi
	stamp "$name: built without warnings in $(( $(date +%s) - t0 ))s"
done

echo "configs: $(( $(date +%s) - start ))s; logs in $logs"
if [ ${#failed[@]} != 0 ]; then
	echo "configs: failed: ${failed[*]}" >&2
	exit 1
fi
