#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# probe-kvm.sh OUT: decide once per machine whether guests boot under KVM.
# On some hosts /dev/kvm exists but guests hang; then QEMU stays on TCG.
# The answer is kept in build/kvm-probe ("ok" or "no").
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")/.." && pwd)
probe=$here/build/kvm-probe
[ -f "$probe" ] && exit 0
if [ "${KVM:-1}" = 0 ] || [ ! -w /dev/kvm ]; then
	echo no >"$probe"
	exit 0
fi

logs=$here/build/logs/kvm-probe
mkdir -p "$logs"
(timeout -k 5 30 qemu-system-x86_64 -accel kvm -cpu host -smp 2 -m 1G \
	-kernel "$out/arch/x86/boot/bzImage" -initrd "$out/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 harness=probe" -display none \
	-no-reboot -monitor none -serial "file:$logs/console.log" \
	-serial "file:$logs/results.log" >/dev/null 2>&1) 2>/dev/null || true
if grep -q '^### DONE' "$logs/results.log" 2>/dev/null; then
	echo ok >"$probe"
else
	echo no >"$probe"
fi
echo "kvm: $(cat "$probe") (QEMU uses $([ "$(cat "$probe")" = ok ] && echo KVM || echo TCG))"
