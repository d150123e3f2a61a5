#!/bin/sh
# /init of the open-iscsi guest: every step prints STEP, the end PASS or FAIL, then the guest powers off.
export PATH=/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
fail() { echo "FAIL $*"; sync; poweroff -f; }
step() { echo; echo "STEP $*"; }
for p in $(cat /proc/cmdline); do
  case $p in stowage.portal=*) portal=${p#*=} ;; stowage.iqn=*) iqn=${p#*=} ;; esac
done
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m 2>/dev/null; done
ip link set lo up; ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
echo "InitiatorName=iqn.2026-11.io.stowage:guest" > /etc/iscsi/initiatorname.iscsi
mkdir -p /run/lock /var/lock
echo "root:x:0:0:root:/:/bin/sh" > /etc/passwd
echo "root:x:0:" > /etc/group
iscsid -f > /tmp/iscsid.log 2>&1 &
sleep 1
step discovery
found=$(iscsiadm -m discovery -t sendtargets -p "$portal" 2>&1; echo "rc=$?")
echo "$found" | grep -q "$iqn" || { cat /tmp/iscsid.log; fail "discovery did not list $iqn: $found"; }
# SendTargets answers with the address the host sees (127.0.0.1); the guest reaches it as $portal
iscsiadm -m node -o new -T "$iqn" -p "$portal" > /dev/null || fail "node record"
login() {
  iscsiadm -m node -T "$iqn" -p "$portal" --login > /dev/null || fail "login"
  for i in $(seq 1 30); do [ -b /dev/sda ] && return 0; sleep 1; done
  fail "no /dev/sda after login"
}
logout() { sync; iscsiadm -m node -T "$iqn" -p "$portal" --logout > /dev/null || fail "logout"; sleep 1; }
step login; login
step mkfs; mkfs.ext4 -q -F /dev/sda || fail "mkfs.ext4"
step mount; mount -t ext4 /dev/sda /mnt || fail "mount"
step write
for i in 1 2 3 4; do dd if=/dev/urandom of=/mnt/file$i bs=1M count=4 2>/dev/null || fail "write file$i"; done
md5sum /mnt/file* > /tmp/sums
sync
step fstrim; fstrim -v /mnt || fail "fstrim"
umount /mnt || fail "umount"
step logout; logout
step relogin; login
step fsck; e2fsck -f -n /dev/sda > /dev/null || fail "e2fsck"
mount -t ext4 -o ro /dev/sda /mnt || fail "mount again"
step verify; (cd / && md5sum -c /tmp/sums) > /dev/null || fail "checksums"
umount /mnt
logout
# Second, shorter pass with an initiator that insists on CRC32C header and data digests (node record says CRC32C
# only, not "CRC32C,None"): the login must negotiate them, or it fails; then verified reads and writes
step digests
iscsiadm -m node -T "$iqn" -p "$portal" -o update -n node.conn[0].iscsi.HeaderDigest -v CRC32C > /dev/null \
  || fail "HeaderDigest in the node record"
iscsiadm -m node -T "$iqn" -p "$portal" -o update -n node.conn[0].iscsi.DataDigest -v CRC32C > /dev/null \
  || fail "DataDigest in the node record"
login
iscsiadm -m session -P 2 2>&1 | grep -q "HeaderDigest: CRC32C" || fail "HeaderDigest not CRC32C: $(iscsiadm -m session -P 2 2>&1)"
iscsiadm -m session -P 2 2>&1 | grep -q "DataDigest: CRC32C" || fail "DataDigest not CRC32C"
mount -t ext4 /dev/sda /mnt || fail "mount with digests"
(cd / && md5sum -c /tmp/sums) > /dev/null || fail "checksums with digests"
for i in 5 6; do dd if=/dev/urandom of=/mnt/file$i bs=1M count=4 2>/dev/null || fail "write file$i with digests"; done
md5sum /mnt/file5 /mnt/file6 > /tmp/sums2
umount /mnt
logout
login
mount -t ext4 -o ro /dev/sda /mnt || fail "mount again with digests"
step verifydigests; (cd / && md5sum -c /tmp/sums /tmp/sums2) > /dev/null || fail "checksums after relogin with digests"
umount /mnt
logout
echo PASS
sync
poweroff -f
