#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the base and base plus series as the non-debug "bench"
# kernel with the same configuration, boot each in the same QEMU machine one
# after the other and run the series' migration benchmark
# (tools/mm/migrate_bench.c) in both.  Results, the ratio table and the plot
# go to build/bench/ (see README.md, "Benchmark").
#
# Environment:
#   BENCH_SRC=PATH  take migrate_bench.c from PATH (a kernel tree, or the
#                   file itself) instead of the series tree; for testing the
#                   program before its patch is in patches/
#   BENCH_ARGS=...  extra arguments for migrate_bench (baked into the guest
#                   through a wrapper, e.g. "-m 16 -r 2")
#   BENCH_PAIRS=N   pairs per setting, folio size and scenario in the
#                   series guest's paired phase (migrate_bench -p; default
#                   20, 0 for none): the ratios to the base path measured
#                   in one boot, with bootstrap confidence intervals
#   BENCH_TIMEOUT   seconds each guest may run (default 3600)
#   BENCH_ROUNDS=N  boot each kernel N times, alternating the order
#                   (default 1); the report pools the samples
#   BENCH_SKIP_BUILD=1  reuse build/out/{base,series}-bench as they are
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
src=$build/bench-src
bench=$build/bench
prog=migrate_bench
timeout=${BENCH_TIMEOUT:-3600}
pairs=${BENCH_PAIRS:-20}
rounds=${BENCH_ROUNDS:-1}
# The benchmark machine: 2 vCPUs, one per node, for both kernels alike
# (migrate_bench runs on CPU 0 and polls from CPU 1).
export VCPUS=2
# Without it, the first setting measured in each boot pays for the host's
# first touch of the guest's pages (every boot is a new QEMU): 4K
# move_pages figures of the series' first setting came out 6% below the
# base's with lazily allocated guest RAM, 1% with preallocated RAM.
export QEMU_PREALLOC=on
start=$(date +%s)

stamp() {
	echo "[$(date +%H:%M:%S)] $*"
}

# part NAME SECONDS: remembered for the report
part() {
	echo "$1 $2" >>"$bench/timings"
	stamp "$1 took ${2}s"
}

stamp "deps"
"$here/scripts/deps.sh"
"$here/scripts/fetch-base.sh"
# Find the program first, so that a missing one stops before the builds.
"$here/scripts/apply-series.sh" "$src" >/dev/null
find_prog() {
	if [ -n "${BENCH_SRC:-}" ]; then
		if [ -f "$BENCH_SRC/tools/mm/$prog.c" ]; then
			echo "$BENCH_SRC/tools/mm/$prog.c"
		elif [ -f "$BENCH_SRC" ]; then
			realpath "$BENCH_SRC"
		fi
	elif [ -f "$src/tools/mm/$prog.c" ]; then
		echo "$src/tools/mm/$prog.c"
	fi
}
prog_src=$(find_prog)
if [ -z "$prog_src" ]; then
	echo "bench: tools/mm/$prog.c is not in the series (patches/)." >&2
	echo "bench: add the patch 'tools/mm: add a page migration throughput" >&2
	echo "bench: benchmark' to patches/, or point BENCH_SRC at a tree or" >&2
	echo "bench: file that has it (BENCH_SRC=build/wt-bench)." >&2
	exit 1
fi
if [ -n "${BENCH_SRC:-}" ]; then
	echo "bench: program from BENCH_SRC: $prog_src (not from the series)"
fi
rm -rf "$bench"
mkdir -p "$bench"
: >"$bench/timings"
# The program is built from a copy, so that resetting the tree to the base
# below does not take it away.
mkdir -p "$bench/prog/tools/mm" "$bench/prog/lib"
cp "$prog_src" "$bench/prog/tools/mm/$prog.c"
# test_hmm's interface as the series kernel has it
cp "$src/lib/test_hmm_uapi.h" "$bench/prog/lib/"

for variant in base series; do
	out=$build/out/$variant-bench
	if [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
		stamp "reusing $variant-bench"
		continue
	fi
	base_only=0
	[ "$variant" = base ] && base_only=1
	"$here/scripts/apply-series.sh" "$src" "$base_only"
	stamp "build $variant-bench"
	t0=$(date +%s)
	"$here/scripts/build-kernel.sh" "$src" "$out" bench
	part "build-$variant" $(($(date +%s) - t0))
done

# What the series kernel is: base plus these commits (the tree is at the
# series now, unless BENCH_SKIP_BUILD kept an older build).
git -C "$src" log --format='%h %s' base..HEAD >"$bench/series-commits"

# One static binary, built against the series' headers, for both guests.
series_out=$build/out/series-bench
gcc -static -O2 -Wall -pthread -isystem "$series_out/usr/include" \
	-o "$bench/prog/$prog" "$bench/prog/tools/mm/$prog.c" -lm
# guest/init runs /bin/MODE without arguments: wrap the arguments in.  The
# base kernel has no migrate_copy settings, so no paired phase.
mkdir -p "$bench/prog/wrap"
cp "$bench/prog/$prog" "$bench/prog/wrap/$prog.bin"
printf '#!/bin/sh\nexec /bin/%s.bin -p %s %s\n' "$prog" "$pairs" \
	"${BENCH_ARGS:-}" >"$bench/prog/wrap/$prog"
chmod +x "$bench/prog/wrap/$prog"
guest_prog=$bench/prog/wrap/$prog

for variant in base series; do
	out=$build/out/$variant-bench
	extra=("$guest_prog")
	[ -f "$bench/prog/wrap/$prog.bin" ] && extra+=("$bench/prog/wrap/$prog.bin")
	"$here/scripts/mkinitramfs.sh" "$out" "${extra[@]}"
	"$here/scripts/probe-kvm.sh" "$out"
done

# Rounds alternate the order (base series, series base, ...), so that a
# drift of the host's load over the run weighs on both kernels alike.
for round in $(seq 1 "$rounds"); do
	order=(base series)
	[ $((round % 2)) = 0 ] && order=(series base)
	for variant in "${order[@]}"; do
		out=$build/out/$variant-bench
		logs=$bench/$variant
		[ "$round" = 1 ] || logs=$bench/$variant.$round
		stamp "boot $variant-bench ($(cat "$out/include/config/kernel.release")), guest $prog, round $round"
		t0=$(date +%s)
		"$here/scripts/run-qemu.sh" "$out" "$logs" "$prog" "$timeout" ||
			echo "bench: $variant guest did not finish (see $logs/console.log)" >&2
		part "guest-$variant-$round" $(($(date +%s) - t0))
	done
done

part total $(($(date +%s) - start))
echo "base: $(cat "$build/base-version")"
for variant in base series; do
	echo "$variant-bench: $(cat "$build/out/$variant-bench/include/config/kernel.release")"
done
echo "series: base + $(wc -l <"$bench/series-commits") commits (build/bench/series-commits)"
"$here/scripts/bench-report.py" "$here" "$bench"
