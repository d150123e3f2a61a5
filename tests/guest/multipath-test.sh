#!/usr/bin/env bash
# dm-multipath in a QEMU guest against two Stowage nodes: the guest (multipath-init.sh) logs in to TARGET_IQN on
# both portals (the host's loopback, 10.0.2.2 in the guest), builds the map with Debian's multipath-tools, checks
# the ALUA priorities, then runs a checksummed write+fsync load (mpath-writer.c) while the host fails the owner
# over, verifies every acknowledged block, and follows the returning node and the move back.
#   tests/guest/multipath-test.sh PORT_A PORT_B TARGET_IQN WORKDIR
# The console is WORKDIR/console.log (markers: STEP, MARK, PATH, WRITER, VERIFY, PASS, FAIL); the guest waits at
# each MARK for the host's word on its second serial port, written to the FIFO WORKDIR/ctl.in ("stop", "returned",
# "moved", one a line; see multipath-init.sh). MultipathGuestIT drives both. Needs what open-iscsi-test.sh needs,
# plus multipath-tools and gcc (the writer is built static).
set -euo pipefail
port_a=$1; port_b=$2; iqn=$3; work=$(readlink -f "$4")
here=$(dirname "$(readlink -f "$0")")
mkdir -p "$work"
. "$here/guest-lib.sh"

add_multipath() { # the root being built
  local r=$1 f
  gcc -static -O2 -Wall -o "$r/sbin/mpath-writer" "$here/mpath-writer.c"
  # multipath's checkers and prioritizers are dlopened from /lib/multipath; pthread_cancel needs libgcc_s
  for f in /lib/multipath/*.so /lib/x86_64-linux-gnu/libgcc_s.so.1; do guest_copy_binary "$r" "$f"; done
  # udev: multipathd takes only devices that udev initialized, and their WWID from ID_SERIAL (scsi_id); the
  # device-mapper rules tell libdevmapper that udev made /dev/mapper's nodes
  guest_copy_binary "$r" /bin/udevadm /lib/udev/scsi_id
  mkdir -p "$r/lib/systemd" "$r/lib/udev/rules.d" "$r/etc/udev"
  ln -sf /bin/udevadm "$r/lib/systemd/systemd-udevd"
  for f in 50-udev-default 60-block 60-persistent-storage 55-dm 56-dm-mpath 60-multipath 95-dm-notify; do
    cp "/lib/udev/rules.d/$f.rules" "$r/lib/udev/rules.d/"
  done
}
guest_kernel "$work"
guest_initramfs "$work" "$here/multipath-init.sh" \
  "crc32c_generic virtio_pci virtio_net iscsi_tcp sd_mod scsi_dh_alua dm-multipath dm-round-robin dm-service-time" \
  "/usr/sbin/iscsid /usr/sbin/iscsiadm /sbin/multipath /sbin/multipathd /sbin/dmsetup" add_multipath
rm -f "$work/ctl.in" "$work/ctl.out"
mkfifo "$work/ctl.in" "$work/ctl.out"
# QEMU holds both FIFOs open read-write, so the host's writes never block and the guest's echo goes nowhere
# STOWAGE_GUEST_WRITES_PER_FSYNC: the writer's pwrites before each fsync (8: a database's commit, writes that the
# target acknowledged before the flush that covers them)
guest_boot "$work" "${STOWAGE_GUEST_SECONDS:-600}" \
  "stowage.portals=10.0.2.2:$port_a,10.0.2.2:$port_b stowage.iqn=$iqn stowage.batch=${STOWAGE_GUEST_WRITES_PER_FSYNC:-8}" \
  -serial mon:stdio -serial "pipe:$work/ctl"
tr -d '\r' < "$work/console.log" | grep -oE "(STEP [a-z]+|MARK .*|PATH .*|CACHE .*|WRITER done.*|VERIFY .*|MOVED .*|PASS$|FAIL .*)" || true
# the paths' own I/O errors during the failover are expected (dm-multipath retries them); one that reached the
# map (dm-N) or a filesystem is not
if grep -qE "FAIL |Kernel panic|BUG:|Oops|I/O error, dev dm-|Buffer I/O error on dev dm-" "$work/console.log"; then
  say "FAIL (console in $work/console.log)"; exit 1
fi
tr -d '\r' < "$work/console.log" | grep -qx "PASS" || { say "FAIL: no PASS marker (console in $work/console.log)"; exit 1; }
say "PASS"
