#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the harness needs, and those named as
# arguments (what one target alone needs): apt-get when root, a clear
# message naming the missing packages otherwise.
set -euo pipefail

packages=(build-essential bc bison flex cpio kmod libelf-dev libssl-dev
	  dwarves python3 python3-ply python3-git ccache sparse git file rsync xz-utils
	  qemu-system-x86 busybox-static libnuma-dev libcap-dev
	  e2fsprogs xfsprogs btrfs-progs shellcheck gnuplot-nox "$@")

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: please install: ${missing[*]}" >&2
	echo "deps: e.g. sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
