#!/usr/bin/env bash
# The real Linux kernel initiator against Stowage: boots a small Debian guest under QEMU (TCG, or KVM when usable)
# whose initramfs holds Debian's kernel modules (iscsi_tcp, sd_mod, ext4, virtio_net ...), open-iscsi's
# iscsid/iscsiadm, e2fsprogs and busybox. The guest reaches the portal on the host's loopback as 10.0.2.2 (QEMU user
# networking) and runs: discovery, login, mkfs.ext4, mount, write files, sync, fstrim, umount, logout, login,
# fsck, mount, verify checksums, logout. It prints PASS/FAIL markers on the serial console.
#   tests/guest/open-iscsi-test.sh PORT TARGET_IQN WORKDIR      (needs qemu-system-x86, open-iscsi, busybox-static,
#                                                                e2fsprogs, kmod, cpio; the kernel .deb is fetched)
# The kernel and the initramfs are cached in WORKDIR (guest-lib.sh builds them).
set -euo pipefail
port=$1; iqn=$2; work=$(readlink -f "$3")
here=$(dirname "$(readlink -f "$0")")
mkdir -p "$work"
. "$here/guest-lib.sh"

guest_kernel "$work"
guest_initramfs "$work" "$here/guest-init.sh" "crc32c_generic virtio_pci virtio_net iscsi_tcp sd_mod ext4" \
  "/usr/sbin/iscsid /usr/sbin/iscsiadm /usr/sbin/mke2fs /usr/sbin/e2fsck"
guest_boot "$work" 300 "stowage.portal=10.0.2.2:$port stowage.iqn=$iqn"
# the firmware's escape sequences may share a line with the first marker: match markers anywhere in a line
tr -d '\r' < "$work/console.log" | grep -oE "(STEP [a-z]+|PASS$|FAIL .*)" || true
if grep -qE "FAIL |Kernel panic|BUG:|Oops|I/O error|EXT4-fs error" "$work/console.log"; then
  say "FAIL (console in $work/console.log)"; exit 1
fi
tr -d '\r' < "$work/console.log" | grep -qx "PASS" || { say "FAIL: no PASS marker (console in $work/console.log)"; exit 1; }
say "PASS"
