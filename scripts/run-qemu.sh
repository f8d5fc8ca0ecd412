#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh OUT LOGDIR MODE TIMEOUT
#
# Boot OUT/arch/x86/boot/bzImage with OUT/initramfs.cpio: VCPUS vCPUs (2 by
# default) split evenly over two NUMA nodes, one socket each (a socket that
# spans nodes makes the kernel WARN at boot), with 1280 MiB each, of which the
# last 512 MiB of node 1 are reserved at boot and given to test_hmm as
# device-coherent memory.  Fresh ext4, xfs
# and btrfs images are attached as virtio disks.  The kernel console goes to
# LOGDIR/console.log, the guest's results to LOGDIR/results.log.  MODE is
# passed to guest/init (check, demo, bench).  The guest is killed after
# TIMEOUT seconds.  QEMU_PREALLOC=on has QEMU allocate the guest's RAM on
# the host before the boot (make bench), so that no guest figure pays for
# the host's first touch of a page.
set -euo pipefail

out=$(realpath "$1")
logs=$(realpath -m "$2")
mode=$3
limit=$4
here=$(cd "$(dirname "$0")/.." && pwd)

node_mb=1280
vcpus=${VCPUS:-2}
half=$((vcpus / 2))
spm_mb=512
prealloc=${QEMU_PREALLOC:-off}
spm_start_mb=$((2 * node_mb - spm_mb))
# Node 2 has no CPUs; its memory, right above the other two nodes', is soft
# reserved at boot, and dax_hmem gives it to kmem, which onlines it in a
# lower memory tier: demotion and promotion run as with CXL memory.  kmem
# onlines whole memory blocks (128M), and the top of the memory below 4G
# is not aligned (the firmware keeps a bit of it): the last block of node 2
# is kept from the kernel.
tier_mb=512
tier_dax_mb=384

mkdir -p "$logs"
rm -f "$logs/console.log" "$logs/results.log"

# Every run starts from empty filesystems.
disks=()
for fs in ext4 xfs btrfs; do
	img=$logs/$fs.img
	rm -f "$img"
	truncate -s 320M "$img"
	case "$fs" in
	ext4) mkfs.ext4 -q -F "$img" ;;
	xfs) mkfs.xfs -q -f "$img" ;;
	btrfs) mkfs.btrfs -q -f "$img" >/dev/null ;;
	esac
	disks+=(-drive "file=$img,if=virtio,format=raw")
done

accel=tcg,thread=multi
if [ "$(cat "$here/build/kvm-probe" 2>/dev/null)" = ok ]; then
	accel=kvm
fi

cmdline="console=ttyS0 panic=-1 loglevel=7 harness=$mode"
cmdline+=" memmap=${spm_mb}M!${spm_start_mb}M spm=$((spm_start_mb << 20))"
cmdline+=" transparent_hugepage=madvise"
cmdline+=" memmap=${tier_dax_mb}M%$((2 * node_mb))M-1+0xefffffff"
cmdline+=" memmap=$((tier_mb - tier_dax_mb))M\$$((2 * node_mb + tier_dax_mb))M"
cmdline+=" memhp_default_state=online_movable"
# TCG can stall a vCPU for many seconds when the host is busy (seen: 26 s in
# stop_machine at boot): report soft lockups after 120 s, not 20 s.
cmdline+=" watchdog_thresh=60"

status=0
timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
	-machine pc -accel "$accel" -cpu max -m $((2 * node_mb + tier_mb))M \
	-smp "$vcpus,sockets=2,cores=$half,threads=1" \
	-object "memory-backend-ram,id=m0,size=${node_mb}M,prealloc=$prealloc" \
	-object "memory-backend-ram,id=m1,size=${node_mb}M,prealloc=$prealloc" \
	-numa "node,nodeid=0,cpus=0-$((half - 1)),memdev=m0" \
	-numa "node,nodeid=1,cpus=$half-$((vcpus - 1)),memdev=m1" \
	-object "memory-backend-ram,id=m2,size=${tier_mb}M,prealloc=$prealloc" \
	-numa "node,nodeid=2,memdev=m2" \
	-kernel "$out/arch/x86/boot/bzImage" -initrd "$out/initramfs.cpio" \
	-append "$cmdline" "${disks[@]}" -device virtio-balloon-pci \
	-display none -no-reboot -monitor none \
	-serial "file:$logs/console.log" -serial "file:$logs/results.log" ||
	status=$?
rm -f "$logs"/*.img
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo "qemu: guest killed after ${limit}s (see $logs/console.log)" >&2
	exit 1
fi
exit 0
