#!/usr/bin/env bash
# Benchmark: Stowage next to tgt on this machine in one run (the reference the issues ask for):
# 4 KiB random reads at QD32 and 1 MiB sequential reads at QD8 with libiscsi's iscsi-perf, plus the target's
# CPU time per I/O from /proc. Both targets serve an identical 1 GiB volume filled with the same random data.
#   bench/compare-tgt.sh [seconds-per-run]      (needs: tgt, libiscsi-bin, qemu-utils, qemu-block-extra)
set -euo pipefail
secs=${1:-20}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d /tmp/stowage-bench.XXXXXX)
sport=3390; tport=3391; tctl=23
cleanup() {
  [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true
  tgtadm -C $tctl --op delete --mode target --force --tid 1 >/dev/null 2>&1 || true
  tgtadm -C $tctl --op delete --mode system >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

head -c $((1 << 30)) /dev/urandom > "$work/data.img"
cp "$work/data.img" "$work/tgt.img"

cat > "$work/stowage.conf" <<CONF
portal = 127.0.0.1:$sport
data-dir = $work/var
target.bench.iqn = iqn.2026-11.io.stowage:bench
target.bench.lun.0 = bench
volume.bench.size = 1G
CONF
"$here/stowage" serve --config "$work/stowage.conf" > "$work/stowage.log" 2>&1 &
spid=$!
until grep -q "Stowage is serving" "$work/stowage.log"; do sleep 0.2; done
SURL=iscsi://127.0.0.1:$sport/iqn.2026-11.io.stowage:bench/0
qemu-img convert -n -f raw -O raw "$work/data.img" "$SURL"
spid=$(pgrep -f "io.stowage.target.daemon.Main serve --config $work/stowage.conf")

tgtd -f -C $tctl --iscsi portal=127.0.0.1:$tport > "$work/tgtd.log" 2>&1 &
sleep 1
tgtadm -C $tctl --lld iscsi --op new --mode target --tid 1 -T iqn.2026-11.ref:tgt
tgtadm -C $tctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$work/tgt.img"
tgtadm -C $tctl --lld iscsi --op bind --mode target --tid 1 -I ALL
tpid=$(pgrep -f "tgtd -f -C $tctl")
TURL=iscsi://127.0.0.1:$tport/iqn.2026-11.ref:tgt/1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() { # name url pid args...
  local name=$1 url=$2 pid=$3; shift 3
  local before after out iops
  before=$(cpu_ticks "$pid")
  out=$(iscsi-perf "$@" -t "$secs" "$url" 2>&1 | tr '\r' '\n' | grep "iops average" | tail -1)
  after=$(cpu_ticks "$pid")
  iops=$(echo "$out" | sed -E 's/.*iops average ([0-9]+) \(([0-9]+) MB\/s\).*/\1/')
  mbs=$(echo "$out" | sed -E 's/.*iops average ([0-9]+) \(([0-9]+) MB\/s\).*/\2/')
  local us=$(( (after - before) * 1000000 / hz / (iops * secs > 0 ? iops * secs : 1) ))
  printf "%-28s %8s IOPS %6s MB/s %6s us CPU/IO\n" "$name" "$iops" "$mbs" "$us"
  echo "$name,$iops,$mbs,$us" >> "$work/results.csv"
}

# writes: qemu-img bench (sequential, its only pattern), a fixed number of I/Os, then the same IOPS/CPU columns
wrun() { # name url pid count depth size
  local name=$1 url=$2 pid=$3 count=$4 depth=$5 size=$6
  local before after t iops us
  before=$(cpu_ticks "$pid")
  t=$(qemu-img bench -f raw -w -c "$count" -d "$depth" -s "$size" -S "$size" "$url" 2>&1 | sed -nE 's/.*completed in ([0-9.]+) seconds.*/\1/p')
  after=$(cpu_ticks "$pid")
  iops=$(awk -v c="$count" -v t="$t" 'BEGIN {printf "%d", c / t}')
  mbs=$(awk -v i="$iops" -v s="$size" 'BEGIN {printf "%d", i * s / 1048576}')
  us=$(( (after - before) * 1000000 / hz / count ))
  printf "%-28s %8s IOPS %6s MB/s %6s us CPU/IO\n" "$name" "$iops" "$mbs" "$us"
  echo "$name,$iops,$mbs,$us" >> "$work/results.csv"
}

echo "iscsi-perf (reads, $secs s per run) and qemu-img bench -w (writes), 1 GiB LUNs, $(nproc) cores"
for target in stowage tgt; do
  if [ $target = stowage ]; then url=$SURL; pid=$spid; else url=$TURL; pid=$tpid; fi
  run "$target 4k-randread-qd32" "$url" "$pid" -r -m 32 -b 8
  run "$target 1M-seqread-qd8" "$url" "$pid" -m 8 -b 2048
  wrun "$target 4k-seqwrite-qd32" "$url" "$pid" 200000 32 4096
  wrun "$target 1M-seqwrite-qd8" "$url" "$pid" 2000 8 1048576
done
echo
awk -F, '{v[$1]=$2; c[$1]=$4} END {
  split("4k-randread-qd32 1M-seqread-qd8 4k-seqwrite-qd32 1M-seqwrite-qd8", w, " ");
  for (i in w) printf "stowage/tgt %-18s IOPS ratio %.2f, CPU per I/O ratio %.2f\n", w[i],
    v["stowage " w[i]] / v["tgt " w[i]], c["stowage " w[i]] / (c["tgt " w[i]] > 0 ? c["tgt " w[i]] : 1) }' "$work/results.csv"
