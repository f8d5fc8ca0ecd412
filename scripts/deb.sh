#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: Debian packages (linux-image, linux-headers, linux-libc-dev) of
# the base plus the series, built with the bench config by the kernel's own
# bindeb-pkg, for a test machine.  The bench config is the guest's machine
# (virtio, NUMA, the copy engines as modules) without debugging: check that
# it has the drivers of the machine's disk before booting it there.
#
# Its own worktree (build/deb-src, built as build/src: see below) and
# output (build/out/deb); the packages end up in build/deb/.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
tree=$build/deb-src
out=$build/out/deb
jobs=${JOBS:-$(nproc)}
start=${DEB_START:-$(date +%s)}

if [ -z "${DEB_TREE:-}" ]; then
	# bindeb-pkg's debian/control build-depends on debhelper-compat
	"$here/scripts/deps.sh" debhelper
	"$here/scripts/fetch-base.sh" >/dev/null
	"$here/scripts/apply-series.sh" "$tree"
	# The rest runs on the worktree built as build/src (as-src.sh), so
	# that ccache serves what make bench and make configs compiled
	exec "$here/scripts/as-src.sh" "$tree" env DEB_TREE={} DEB_START="$start" "$0"
fi
tree=$DEB_TREE
"$here/scripts/build-kernel.sh" "$tree" "$out" bench

# As build-kernel.sh built it, so that bindeb-pkg does not relink it
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-01-01}
export KBUILD_BUILD_USER=harness KBUILD_BUILD_HOST=harness
export CCACHE_BASEDIR=$build
# dpkg-buildpackage leaves the packages next to the output directory
rm -f "$build"/out/*.deb "$build"/out/*.buildinfo "$build"/out/*.changes
make -s -C "$tree" O="$out" ARCH=x86_64 CC="ccache gcc" -j"$jobs" \
	bindeb-pkg >"$build/deb.log" 2>&1 ||
	{ tail -n 30 "$build/deb.log"; echo "deb: bindeb-pkg failed" >&2; exit 1; }
rm -rf "$build/deb"
mkdir -p "$build/deb"
mv "$build"/out/*.deb "$build/deb/"
rm -f "$build"/out/*.buildinfo "$build"/out/*.changes
for deb in "$build"/deb/*.deb; do
	echo "deb: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" \
	     "($(du -h "$deb" | cut -f1))"
done
echo "deb: in $build/deb/ ($(( $(date +%s) - start ))s); install with" \
     "dpkg -i, then boot the new kernel"
