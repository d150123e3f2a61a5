#!/usr/bin/env bash
# Installs the .deb on a clean Debian 12 root (a debootstrap chroot), runs the daemon exactly as the unit's
# ExecStart would (as the stowage user), logs in with libiscsi and verifies I/O, upgrades to a rebuilt package with a
# higher version (config kept, data intact), then purges and checks nothing is left behind. With PREVIOUS.deb (the
# release before), that one is installed first and writes data, and installing PACKAGE.deb is an upgrade from it
# that must keep the data readable (stored formats of the previous release are read by this one).
#   tests/deb/install-test.sh PACKAGE.deb WORKDIR [PREVIOUS.deb]   (root; needs debootstrap, libiscsi-bin, qemu-utils)
# The debootstrapped base is cached as WORKDIR/base.tar between runs.
set -euo pipefail
deb=$(readlink -f "$1")
work=$(readlink -f "$2")
previous=${3:+$(readlink -f "$3")}
mirror=${STOWAGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$work/root"
port=3260
say() { echo "install-test: $*"; }
fail() { echo "install-test: FAIL: $*" >&2; exit 1; }

mkdir -p "$work"
if [ ! -f "$work/base.tar" ]; then
  say "debootstrap bookworm (minbase) from $mirror"
  rm -rf "$work/base"
  debootstrap --variant=minbase bookworm "$work/base" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  tar -C "$work/base" -cf "$work/base.tar" .
  rm -rf "$work/base"
fi

cleanup() {
  [ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null || true
  if mountpoint -q "$root/proc" 2>/dev/null; then umount -l "$root/proc" || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# a run killed earlier may have left /proc mounted in the old root: unmount before deleting, never cross mounts
if mountpoint -q "$root/proc" 2>/dev/null; then umount -l "$root/proc"; fi
rm -rf --one-file-system "$root"
mkdir -p "$root"
tar -C "$root" -xf "$work/base.tar"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

in_root apt-get update -qq > "$work/apt.log" 2>&1 || { tail "$work/apt.log"; fail "apt-get update"; }
# the package's home is a systemd machine; systemd (not booted here) also lets systemd-analyze verify the unit
in_root apt-get install -y -qq --no-install-recommends systemd >> "$work/apt.log" 2>&1 || fail "install systemd"

execstart_of() { sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/stowage.service"; }
start_daemon() {
  # the log of an earlier run may still say "serving": empty it here, not in the background job's own redirection,
  # which may run after the first grep below
  : > "$work/daemon-$1.log"
  chroot --userspec=stowage:stowage "$root" env HOME=/var/lib/stowage $(execstart_of) > "$work/daemon-$1.log" 2>&1 &
  dpid=$!
  for _ in $(seq 1 120); do
    grep -q "Stowage is serving" "$work/daemon-$1.log" 2>/dev/null && return 0
    kill -0 "$dpid" 2>/dev/null || { cat "$work/daemon-$1.log"; fail "daemon exited"; }
    sleep 0.5
  done
  cat "$work/daemon-$1.log"; fail "daemon did not start"
}
stop_daemon() {
  kill -TERM "$dpid"
  wait "$dpid" || fail "daemon did not exit 0 on SIGTERM"
  dpid=
}
url=iscsi://127.0.0.1:$port/iqn.2026-11.io.stowage:demo/0
json="json:{\"driver\":\"raw\",\"size\":8388608,\"file\":{\"driver\":\"iscsi\",\"transport\":\"tcp\",\"portal\":\"127.0.0.1:$port\",\"target\":\"iqn.2026-11.io.stowage:demo\",\"lun\":0}}"
# a package as another version (same contents): for upgrades between two builds of one tree
repack() { # DEB VERSION-SUFFIX OUT
  rm -rf "$work/repack"
  dpkg-deb -R "$1" "$work/repack"
  local v
  v=$(sed -n 's/^Version: //p' "$work/repack/DEBIAN/control")
  sed -i "s/^Version: .*/Version: $v$2/" "$work/repack/DEBIAN/control"
  dpkg-deb --root-owner-group -b "$work/repack" "$3" > /dev/null
}

if [ -n "$previous" ]; then
  say "the previous release first: apt-get install $(basename "$previous") (as an older version)"
  repack "$previous" "~previous" "$root/tmp/stowage_previous_all.deb"
  in_root apt-get install -y -qq "/tmp/stowage_previous_all.deb" >> "$work/apt.log" 2>&1 \
    || { tail -30 "$work/apt.log"; fail "apt-get install of the previous release"; }
  start_daemon 0
  head -c 8388608 /dev/urandom > "$work/previous.img"
  qemu-img convert -n -f raw -O raw "$work/previous.img" "$url" || fail "write through the previous release"
  stop_daemon
fi

say "apt-get install ./$(basename "$deb")${previous:+ (an upgrade from the previous release)}"
cp "$deb" "$root/tmp/"
in_root apt-get install -y -qq "/tmp/$(basename "$deb")" >> "$work/apt.log" 2>&1 \
  || { tail -30 "$work/apt.log"; fail "apt-get install"; }

say "files and user"
for f in /usr/bin/stowage /etc/stowage/stowage.conf /lib/systemd/system/stowage.service \
         /usr/share/doc/stowage/copyright /usr/share/man/man1/stowage.1.gz \
         /usr/share/bash-completion/completions/stowage; do
  [ -e "$root$f" ] || fail "$f missing"
done
ls "$root"/usr/share/stowage/lib/target-server-*.jar > /dev/null || fail "jars missing"
in_root getent passwd stowage > /dev/null || fail "no stowage user"
[ "$(in_root stat -c %U /var/lib/stowage)" = stowage ] || fail "/var/lib/stowage not owned by stowage"
grep -q "^/etc/stowage/stowage.conf$" "$root/var/lib/dpkg/info/stowage.conffiles" || fail "config is not a conffile"
[ "$(in_root stat -c %U:%G:%a /etc/stowage/stowage.conf)" = root:stowage:640 ] \
  || fail "stowage.conf (it may hold CHAP secrets) is $(in_root stat -c %U:%G:%a /etc/stowage/stowage.conf), not root:stowage:640"
systemd-analyze verify --man=no --root="$root" /lib/systemd/system/stowage.service > "$work/verify.log" 2>&1 \
  || { cat "$work/verify.log"; fail "systemd-analyze verify"; }
in_root stowage --help | grep -q "stowage serve" || fail "stowage --help"
zcat "$root/usr/share/man/man1/stowage.1.gz" | grep -q "data\\\\-dir" || fail "man page does not describe --data-dir"

execstart=$(execstart_of)
say "start as ExecStart: $execstart"
start_daemon 1
if [ -n "$previous" ]; then
  qemu-img compare -f raw -F raw "$work/previous.img" "$json" > /dev/null \
    || fail "data written by the previous release does not read back after the upgrade"
  say "data written by the previous release reads back"
fi
iscsi-ls -s "iscsi://127.0.0.1:$port" | grep -q "iqn.2026-11.io.stowage:demo" || fail "iscsi-ls"
head -c 8388608 /dev/urandom > "$work/data.img"
qemu-img convert -n -f raw -O raw "$work/data.img" "$url" || fail "write"
qemu-img compare -f raw -F raw "$work/data.img" "$json" > /dev/null || fail "read back"

say "the CLI on the running service: a volume created and exported is served without a restart"
[ "$(in_root stat -c %U:%a /var/lib/stowage/admin.token)" = stowage:600 ] || fail "admin token is not stowage 0600"
in_root stowage volume create cli-vol --size 64M > "$work/cli.log" 2>&1 || { cat "$work/cli.log"; fail "stowage volume create"; }
in_root stowage export add demo cli-vol --lun 1 >> "$work/cli.log" 2>&1 || { cat "$work/cli.log"; fail "stowage export add"; }
iscsi-inq "iscsi://127.0.0.1:$port/iqn.2026-11.io.stowage:demo/1" > /dev/null || fail "iscsi-inq does not see LUN 1"
iscsi-readcapacity16 "iscsi://127.0.0.1:$port/iqn.2026-11.io.stowage:demo/1" | grep -q "RETURNED LOGICAL BLOCK ADDRESS:131071" \
  || fail "LUN 1 is not the 64M volume"
in_root stowage volume list | grep -q "^cli-vol " || fail "stowage volume list"
stop_daemon
[ -n "$(in_root find /var/lib/stowage -user stowage -name header)" ] || fail "no volume under /var/lib/stowage"

say "upgrade to a rebuilt package with a higher version"
echo "# kept across upgrades" >> "$root/etc/stowage/stowage.conf"
new="$(dpkg-deb -f "$deb" Version)+upgrade1"
repack "$deb" "+upgrade1" "$root/tmp/stowage_${new}_all.deb"
in_root apt-get install -y -qq "/tmp/stowage_${new}_all.deb" >> "$work/apt.log" 2>&1 || fail "upgrade"
[ "$(in_root dpkg-query -W -f='${Version}' stowage)" = "$new" ] || fail "version after upgrade"
grep -q "# kept across upgrades" "$root/etc/stowage/stowage.conf" || fail "config not kept"
start_daemon 2
qemu-img compare -f raw -F raw "$work/data.img" "$json" > /dev/null || fail "data lost in the upgrade"
iscsi-inq "iscsi://127.0.0.1:$port/iqn.2026-11.io.stowage:demo/1" > /dev/null \
  || fail "the export made with the CLI was not kept across the restart"
stop_daemon

say "remove keeps data, purge removes everything"
in_root apt-get remove -y -qq stowage >> "$work/apt.log" 2>&1 || fail "remove"
[ -d "$root/var/lib/stowage" ] || fail "remove deleted the data"
in_root apt-get purge -y -qq stowage >> "$work/apt.log" 2>&1 || fail "purge"
for f in /usr/bin/stowage /usr/share/stowage /etc/stowage /var/lib/stowage /lib/systemd/system/stowage.service; do
  [ ! -e "$root$f" ] || fail "$f left behind after purge"
done
! in_root getent passwd stowage > /dev/null || fail "stowage user left behind"
say "PASS"
