#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh SRC OUT FLAVOR
#
# Configure and build the kernel in SRC into OUT: tinyconfig, then the mm
# selftests' config, then config/base.config and config/FLAVOR.config
# (debug or bench).  Every option the fragments ask for must survive
# olddefconfig, or the build stops naming it.  Modules are installed under
# OUT/modules and the selftests the guest runs are built statically under
# OUT/kselftest.
set -euo pipefail

src=$(realpath "$1")
out=$(realpath -m "$2")
flavor=$3
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}

frags=("$src/tools/testing/selftests/mm/config"
       "$here/config/base.config" "$here/config/$flavor.config")

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$src")}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-01-01}
export KBUILD_BUILD_USER=harness KBUILD_BUILD_HOST=harness
kmake=(make -s -C "$src" O="$out" ARCH=x86_64 CC="ccache gcc" -j"$jobs")

mkdir -p "$out"
"${kmake[@]}" tinyconfig >/dev/null
(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >/dev/null)
"${kmake[@]}" olddefconfig >/dev/null

# A fragment option that Kconfig silently dropped means the guest would
# miss a feature the suite relies on: fail here, not in the guest.  As in
# merge_config.sh, a later fragment overrides an earlier one.
last_settings() {
	awk -F= '/^CONFIG_[A-Za-z0-9_]+=/ {
			if (!($1 in value)) order[n++] = $1
			value[$1] = $0
		}
		END { for (i = 0; i < n; i++) print value[order[i]] }' "$@"
}
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%=n}
		    want="# $opt is not set" ;;
	CONFIG_*=*) opt=${line%%=*}
		    want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF "$want" "$out/.config"; then
		# The series' own options do not exist on the base.
		if ! grep -rqx --include="Kconfig*" "config ${opt#CONFIG_}" "$src"; then
			[ "${line#*=}" = n ] || echo "config: $opt is not in this tree"
			continue
		fi
		got=$(grep -E "^($opt=|# $opt is not set)" "$out/.config" || echo "absent")
		echo "config: $flavor wants '$line', got '$got'" >&2
		missing=1
	fi
done < <(last_settings "${frags[@]}")
[ "$missing" = 0 ] || exit 1

echo "build: $(basename "$out") ($flavor) in $src"
"${kmake[@]}" bzImage modules
rm -rf "$out/modules"
"${kmake[@]}" INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 \
	modules_install >/dev/null
"${kmake[@]}" INSTALL_HDR_PATH="$out/usr" headers_install >/dev/null

# The selftests the guest runs, static so that the initramfs needs no libc.
st=$out/kselftest/mm
mkdir -p "$st"
tests=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${GUEST_TESTS:-$here/guest/tests}" |
	awk '$4 ~ /^\/kselftest\/mm\// { sub(/^\/kselftest\/mm\//, "", $4); print $4 }' |
	sort -u)
targets=()
for t in $tests; do
	# A suite of the series has no source on the base (BASE=1, make bench):
	# the guest then finds no binary and the run reports it.
	[ -f "$src/tools/testing/selftests/mm/$t.c" ] && targets+=("$st/$t")
done
# None (KUnit suites only): without targets, make would build them all
[ ${#targets[@]} = 0 ] ||
	make -s -C "$src/tools/testing/selftests/mm" OUTPUT="$st" \
		KHDR_INCLUDES="-isystem $out/usr/include" \
		CC="ccache gcc" EXTRA_CFLAGS=-static -j"$jobs" "${targets[@]}"
