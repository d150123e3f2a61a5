# Shared by the QEMU guest tests (open-iscsi-test.sh, multipath-test.sh); source it, do not run it.
# A guest is Debian's kernel (from the linux-image .deb, fetched once with apt-get download) and a busybox initramfs
# with the kernel modules, host binaries (with their shared libraries) and files a test asks for, and its /init.

say() { echo "guest-test: $*"; }

# guest_kernel WORK: the kernel .deb in WORK (or copied from a sibling cache, or downloaded), extracted to WORK/k
# with its modules.dep, WORK/vmlinuz; sets kv (the kernel version)
guest_kernel() {
  local work=$1 kdeb pkg
  kdeb=$(ls "$work"/linux-image-6*-amd64_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$kdeb" ]; then
    kdeb=$(ls "$work"/../*/linux-image-6*-amd64_*.deb 2>/dev/null | head -1 || true)
    if [ -n "$kdeb" ]; then
      cp "$kdeb" "$work/"
    else
      pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
      say "fetching $pkg"
      (cd "$work" && apt-get download "$pkg" > /dev/null 2>&1) || { say "FAIL: cannot download $pkg"; exit 1; }
    fi
    kdeb=$(ls "$work"/linux-image-6*-amd64_*.deb | head -1)
  fi
  if [ ! -d "$work/k/lib/modules" ] || [ "$kdeb" -nt "$work/vmlinuz" ]; then
    rm -rf "$work/k"; mkdir -p "$work/k"
    dpkg-deb -x "$kdeb" "$work/k"
    kv=$(ls "$work/k/lib/modules")
    depmod -b "$work/k" "$kv"
    cp "$work/k/boot/vmlinuz-$kv" "$work/vmlinuz"
  fi
  kv=$(ls "$work/k/lib/modules")
}

# guest_copy_binary ROOT FILE...: each file at the same path under ROOT, with the shared libraries ldd names
guest_copy_binary() {
  local r=$1 b lib; shift
  for b in "$@"; do
    mkdir -p "$r$(dirname "$b")"; cp -L "$b" "$r$b"
    for lib in $(ldd "$b" 2>/dev/null | awk '/=>/{print $3} /ld-linux/{print $1}'); do
      [ -f "$r$lib" ] || { mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"; }
    done
  done
}

# guest_initramfs WORK INIT "MODULES" "BINARIES" [HOOK]: builds WORK/initrd.cpio.gz when it is missing or older
# than INIT or any script of this directory. MODULES are loaded by /init in the order of WORK/root/lib/modules/order
# (dependencies first); BINARIES go to /sbin with their libraries; HOOK (a function name) adds more to $r.
guest_initramfs() {
  local work=$1 init=$2 modules=$3 binaries=$4 hook=${5:-} here r m line deps f b a stale=0
  here=$(dirname "$init")
  [ -f "$work/initrd.cpio.gz" ] || stale=1
  for f in "$here"/*.sh "$here"/*.c; do
    [ -e "$f" ] && [ "$f" -nt "$work/initrd.cpio.gz" ] && stale=1
  done
  [ "$stale" = 1 ] || return 0
  say "building the initramfs"
  r="$work/root"
  rm -rf "$r"
  mkdir -p "$r"/{bin,sbin,etc/iscsi,lib/modules,proc,sys,dev,run,tmp,mnt,var/lock/iscsi,var/lib/iscsi}
  cp /usr/bin/busybox "$r/bin/busybox"
  for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
  for b in $binaries; do
    guest_copy_binary "$r" "$b"
    [ "$(dirname "$b")" = /sbin ] || ln -sf "$b" "$r/sbin/$(basename "$b")"
  done
  [ ! -e "$r/sbin/mke2fs" ] || ln -sf mke2fs "$r/sbin/mkfs.ext4"
  cp /etc/mke2fs.conf "$r/etc/" 2>/dev/null || true
  cp /etc/iscsi/iscsid.conf "$r/etc/iscsi/" 2>/dev/null || true
  # modules in load order: dependencies first (modules.dep lists a module's dependencies after it)
  : > "$r/lib/modules/order"
  for m in $modules; do
    line=$(grep -E "/$m\.ko:" "$work/k/lib/modules/$kv/modules.dep") || { say "FAIL: no module $m"; exit 1; }
    deps=$(echo "${line#*:}" | tr ' ' '\n' | tac)
    for f in $deps ${line%%:*}; do
      [ -n "$f" ] || continue
      b=$(basename "$f")
      grep -qx "$b" "$r/lib/modules/order" || { cp "$work/k/lib/modules/$kv/$f" "$r/lib/modules/$b"; echo "$b" >> "$r/lib/modules/order"; }
    done
  done
  [ -z "$hook" ] || "$hook" "$r"
  cp "$init" "$r/init"
  chmod 755 "$r/init"
  (cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.cpio.gz"
}

# guest_boot WORK SECONDS APPEND [QEMU ARGS...]: boots the guest (TCG unless STOWAGE_GUEST_ACCEL says otherwise:
# /dev/kvm exists on this kind of machine but KVM hangs there; the guest is for correctness, not speed), serial
# console in WORK/console.log, user networking (the host's loopback is 10.0.2.2)
guest_boot() {
  local work=$1 seconds=$2 append=$3 accel=${STOWAGE_GUEST_ACCEL:-tcg}; shift 3
  say "booting the guest ($accel)"
  timeout "$seconds" qemu-system-x86_64 -accel "$accel" -m 512 -smp 1 -nographic -no-reboot \
    -kernel "$work/vmlinuz" -initrd "$work/initrd.cpio.gz" \
    -append "console=ttyS0 panic=-1 quiet $append" \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0 "$@" > "$work/console.log" 2>&1 || true
}
