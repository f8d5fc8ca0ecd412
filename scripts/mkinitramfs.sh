#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT [EXTRA...]
#
# Pack the guest's initramfs OUT/initramfs.cpio with the kernel's own
# usr/gen_init_cpio: Debian's static busybox, guest/init, the suite list,
# the modules (in /lib/modules), the static selftests built under
# OUT/kselftest, and any EXTRA files: static programs (executable) are
# installed in /bin, data files in /etc.
set -euo pipefail

out=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")/.." && pwd)
busybox=${BUSYBOX:-/bin/busybox}
list=$out/initramfs.list

file "$busybox" | grep -q 'statically linked' ||
	{ echo "$busybox is not static: install busybox-static" >&2; exit 1; }
hmm=$(find "$out/modules" -name test_hmm.ko | head -n 1)
[ -n "$hmm" ] || { echo "test_hmm.ko not built in $out" >&2; exit 1; }

{
	for d in /bin /sbin /dev /etc /proc /sys /tmp /mnt /lib /lib/modules \
		 /kselftest /kselftest/mm; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $busybox 0755 0 0"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || echo "slink /bin/$applet busybox 0777 0 0"
	done
	echo "file /init $here/guest/init 0755 0 0"
	echo "file /tests ${GUEST_TESTS:-$here/guest/tests} 0644 0 0"
	# Every module the kernel built, flat in /lib/modules: test_hmm, the
	# KUnit suites guest/tests names and the modules selftests load.
	find "$out/modules" -name '*.ko' | sort | while read -r ko; do
		echo "file /lib/modules/$(basename "$ko") $ko 0644 0 0"
	done
	for t in "$out"/kselftest/mm/*; do
		[ -x "$t" ] && [ -f "$t" ] &&
			echo "file /kselftest/mm/$(basename "$t") $t 0755 0 0"
	done
	for x in "$@"; do
		if [ -x "$x" ]; then
			echo "file /bin/$(basename "$x") $(realpath "$x") 0755 0 0"
		else
			echo "file /etc/$(basename "$x") $(realpath "$x") 0644 0 0"
		fi
	done
} >"$list"

"$out/usr/gen_init_cpio" "$list" >"$out/initramfs.cpio"
