#!/usr/bin/env bash
# Builds fio with its libiscsi engine (Debian's fio binary has none) from Debian's fio source package, once, into
# bench/.cache/fio; prints the binary's path. Needs libiscsi-dev and a C toolchain (installed if missing).
# Two local changes: the libiscsi engine sets the FUA bit on its WRITE(16)s when the job says sync=1 (upstream it
# ignores sync=, having no file to open O_SYNC), so the bench can send FUA writes as databases do; and its
# SYNCHRONIZE CACHE(16) names 0 blocks (the whole medium) instead of the LUN's size in bytes as a block count,
# which lies past the end: a target that checks the range answers LBA OUT OF RANGE, and fio ignores a failed
# sync, so the flush workloads measured no flush at all on Stowage (tgt does not check the range).
# The source comes through a private apt list, so the system's apt sources are not changed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/.cache"
bin="$cache/fio"
stamp="$cache/fio.build"   # names the local change, so a binary built before it is rebuilt
build="libiscsi fua-on-sync 1, sync-whole-medium 1"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$build" ]; then echo "$bin"; exit 0; fi
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
for p in libiscsi-dev gcc make pkg-config zlib1g-dev libaio-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true # a fresh machine has no lists
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { echo "build-fio.sh: missing ${need[*]}; apt-get install ${need[*]} failed" >&2; exit 1; }
fi
src="$cache/src"
rm -rf "$src"; mkdir -p "$src/lists/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
  > "$src/sources.list"
apt_opts=(-o Dir::Etc::SourceList="$src/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$src/lists")
apt-get -qq "${apt_opts[@]}" update >/dev/null
(cd "$src" && apt-get -qq "${apt_opts[@]}" source --download-only fio >/dev/null 2>&1)
tar xzf "$src"/fio_*.orig.tar.gz -C "$src"
eng="$(echo "$src"/fio-*/engines/libiscsi.c)"
sed -i '/scsi_cdb_write16(/,/0, 0, 0, 0, 0);/ s/0, 0, 0, 0, 0);/0, 0, td->o.sync_io ? 1 : 0, 0, 0);/' "$eng"
grep -q 'td->o.sync_io ? 1' "$eng" || { echo "build-fio.sh: could not patch FUA into $eng" >&2; exit 1; }
sed -i 's/0, iscsi_lun->num_blocks \* iscsi_lun->block_size, 0, 0);/0, 0, 0, 0);/' "$eng"
grep -A1 'scsi_cdb_synchronizecache16(' "$eng" | grep -q '0, 0, 0, 0);' ||
  { echo "build-fio.sh: could not patch the SYNCHRONIZE CACHE range in $eng" >&2; exit 1; }
(cd "$src"/fio-*/ && ./configure --enable-libiscsi --disable-native >/dev/null && make -j"$(nproc)" >/dev/null 2>&1)
cp "$src"/fio-*/fio "$bin"
rm -rf "$src"
"$bin" --enghelp | grep -q libiscsi || { echo "build-fio.sh: fio was built without libiscsi" >&2; exit 1; }
echo "$build" > "$stamp"
echo "$bin"
