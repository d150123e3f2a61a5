#!/usr/bin/env bash
# The real Linux kernel initiator against Stowage: boots a small Debian guest under QEMU (TCG, or KVM when usable)
# whose initramfs holds Debian's kernel modules (iscsi_tcp, sd_mod, ext4, virtio_net ...), open-iscsi's
# iscsid/iscsiadm, e2fsprogs and busybox. The guest reaches the portal on the host's loopback as 10.0.2.2 (QEMU user
# networking) and runs: discovery, login, mkfs.ext4, mount, write files, sync, fstrim, umount, logout, login,
# fsck, mount, verify checksums, logout. It prints PASS/FAIL markers on the serial console.
#   tests/guest/open-iscsi-test.sh PORT TARGET_IQN WORKDIR      (needs qemu-system-x86, open-iscsi, busybox-static,
#                                                                e2fsprogs, kmod, cpio; the kernel .deb is fetched)
# The kernel and the initramfs are cached in WORKDIR.
set -euo pipefail
port=$1; iqn=$2; work=$(readlink -f "$3")
mkdir -p "$work"
say() { echo "guest-test: $*"; }

kdeb=$(ls "$work"/linux-image-6*-amd64_*.deb 2>/dev/null | head -1 || true)
if [ -z "$kdeb" ]; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  say "fetching $pkg"
  (cd "$work" && apt-get download "$pkg" > /dev/null 2>&1) || { say "FAIL: cannot download $pkg"; exit 1; }
  kdeb=$(ls "$work"/linux-image-6*-amd64_*.deb | head -1)
fi

if [ ! -f "$work/initrd.cpio.gz" ] || [ "$0" -nt "$work/initrd.cpio.gz" ] \
   || [ "$(dirname "$0")/guest-init.sh" -nt "$work/initrd.cpio.gz" ]; then
  say "building the initramfs"
  rm -rf "$work/k" "$work/root"
  mkdir -p "$work/k" "$work/root"
  dpkg-deb -x "$kdeb" "$work/k"
  kv=$(ls "$work/k/lib/modules")
  depmod -b "$work/k" "$kv"
  cp "$work/k/boot/vmlinuz-$kv" "$work/vmlinuz"
  r="$work/root"
  mkdir -p "$r"/{bin,sbin,etc/iscsi,lib/modules,proc,sys,dev,run,tmp,mnt,var/lock/iscsi,var/lib/iscsi}
  cp /usr/bin/busybox "$r/bin/busybox"
  for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
  for b in /usr/sbin/iscsid /usr/sbin/iscsiadm /usr/sbin/mke2fs /usr/sbin/e2fsck; do
    cp "$b" "$r/sbin/"
    for lib in $(ldd "$b" | awk '/=>/{print $3} /ld-linux/{print $1}'); do
      mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
    done
  done
  ln -sf mke2fs "$r/sbin/mkfs.ext4"
  cp /etc/mke2fs.conf "$r/etc/" 2>/dev/null || true
  cp /etc/iscsi/iscsid.conf "$r/etc/iscsi/" 2>/dev/null || true
  # modules in load order: dependencies first (modules.dep lists a module's dependencies after it)
  : > "$r/lib/modules/order"
  for m in crc32c_generic virtio_pci virtio_net iscsi_tcp sd_mod ext4; do
    line=$(grep -E "/$m\.ko:" "$work/k/lib/modules/$kv/modules.dep")
    deps=$(echo "${line#*:}" | tr ' ' '\n' | tac)
    for f in $deps ${line%%:*}; do
      [ -n "$f" ] || continue
      b=$(basename "$f")
      grep -qx "$b" "$r/lib/modules/order" || { cp "$work/k/lib/modules/$kv/$f" "$r/lib/modules/$b"; echo "$b" >> "$r/lib/modules/order"; }
    done
  done
  cp "$(dirname "$0")/guest-init.sh" "$r/init"
  chmod 755 "$r/init"
  (cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.cpio.gz"
fi

# TCG: /dev/kvm exists on this kind of machine but KVM hangs there; the guest is for correctness, not speed
accel=${STOWAGE_GUEST_ACCEL:-tcg}
say "booting the guest ($accel)"
timeout 300 qemu-system-x86_64 -accel "$accel" -m 512 -smp 1 -nographic -no-reboot \
  -kernel "$work/vmlinuz" -initrd "$work/initrd.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet stowage.portal=10.0.2.2:$port stowage.iqn=$iqn" \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0 > "$work/console.log" 2>&1 || true
# the firmware's escape sequences may share a line with the first marker: match markers anywhere in a line
tr -d '\r' < "$work/console.log" | grep -oE "(STEP [a-z]+|PASS$|FAIL .*)" || true
if grep -qE "FAIL |Kernel panic|BUG:|Oops|I/O error|EXT4-fs error" "$work/console.log"; then
  say "FAIL (console in $work/console.log)"; exit 1
fi
tr -d '\r' < "$work/console.log" | grep -qx "PASS" || { say "FAIL: no PASS marker (console in $work/console.log)"; exit 1; }
say "PASS"
