#!/usr/bin/env bash
# A throwaway single-node Ceph cluster (1 mon + 1 memstore OSD, no mgr) in one directory on 127.0.0.1, for tests
# and benchmarks. Everything (config, keyrings, data, logs, pids, sockets) lives in DIR; nothing touches /etc/ceph.
#   tests/ceph/cluster.sh up DIR [PORT]     start it (mon on PORT (v2) and PORT+1 (v1), default 46800); prints
#                                           the ceph.conf path; pool "stowage" exists when it returns
#   tests/ceph/cluster.sh down DIR          stop every daemon by its pid file (TERM, then KILL) and delete DIR
#   tests/ceph/cluster.sh osd-stop DIR      stop the OSD (its memstore survives: fast shutdown is off)
#   tests/ceph/cluster.sh osd-start DIR     start it again and wait until it is up
# CEPH_STORE=bluestore CEPH_STORE_BYTES=N   a bluestore OSD on a sparse file of N bytes in DIR (for benchmarks that
#                                           write more than RAM should hold) instead of the 4 GiB memstore
set -euo pipefail
cmd="${1:?usage: cluster.sh up|down|osd-stop|osd-start DIR [PORT]}"
dir="${2:?usage: cluster.sh up|down|osd-stop|osd-start DIR [PORT]}"
port="${3:-46800}"
conf="$dir/ceph.conf"
# glibc's allocator returns fresh memory to the kernel too eagerly on this kind of VM; large ops then cost ~5x
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824

stop_pid() { # pidfile
  [ -f "$1" ] || return 0
  local pid; pid="$(cat "$1")"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

wait_osd_up() {
  for _ in $(seq 1 300); do
    if timeout 5 rados -c "$conf" -p stowage put cluster-probe "$conf" 2>/dev/null; then
      rados -c "$conf" -p stowage rm cluster-probe 2>/dev/null || true
      return 0
    fi
    sleep 0.2
  done
  echo "cluster.sh: OSD did not come up (see $dir/log)" >&2
  return 1
}

case "$cmd" in
up)
  # a cluster left behind in DIR by a killed run goes first
  stop_pid "$dir/run/osd.0.pid"; stop_pid "$dir/run/mon.a.pid"
  rm -rf "$dir"; mkdir -p "$dir"/{log,run,mon.a,osd.0,crash}
  dir="$(cd "$dir" && pwd)"; conf="$dir/ceph.conf"
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  if [ "${CEPH_STORE:-memstore}" = bluestore ]; then
    store_conf="osd objectstore = bluestore
bluestore block path = $dir/osd.0.block
bluestore block create = true
bluestore block size = ${CEPH_STORE_BYTES:-34359738368}
bluestore block db create = false
bluestore block wal create = false"
  else
    store_conf="osd objectstore = memstore
memstore device bytes = ${CEPH_STORE_BYTES:-4294967296}"
  fi
  cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32
ms bind ipv6 = false
ms bind port min = $((port + 2))
ms bind port max = $((port + 40))
run dir = $dir/run
crash dir = $dir/crash
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.\$pid.asok
keyring = $dir/keyring
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
paxos propose interval = 0.1
$store_conf
osd fast shutdown = false
mon data = $dir/\$name
osd data = $dir/\$name
[osd]
osd op num shards = 1
osd op num threads per shard = 2
CONF
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n client.admin --cap mon 'allow *' \
    --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/keyring" >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]" \
    "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
  ceph-mon -c "$conf" -i a
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  secret="$(ceph-authtool --gen-print-key)"
  echo "{\"cephx_secret\": \"$secret\"}" > "$dir/osd.json"
  timeout 60 ceph -c "$conf" osd new "$osd_uuid" 0 -i "$dir/osd.json" >/dev/null
  ceph-authtool --create-keyring "$dir/osd.0/keyring" --name osd.0 --add-key "$secret" >/dev/null
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" --keyring "$dir/osd.0/keyring" >"$dir/log/osd.0.mkfs" 2>&1 || { cat "$dir/log/osd.0.mkfs" >&2; exit 1; }
  ceph-osd -c "$conf" -i 0 --keyring "$dir/osd.0/keyring" 2>>"$dir/log/osd.0.stderr"
  timeout 60 ceph -c "$conf" osd pool create stowage 8 8 replicated >/dev/null 2>&1
  timeout 60 ceph -c "$conf" osd pool application enable stowage stowage >/dev/null 2>&1
  wait_osd_up
  echo "$conf"
  ;;
osd-stop)
  stop_pid "$dir/run/osd.0.pid"
  ;;
osd-start)
  ceph-osd -c "$conf" -i 0 --keyring "$dir/osd.0/keyring" 2>>"$dir/log/osd.0.stderr"
  wait_osd_up
  ;;
down)
  stop_pid "$dir/run/osd.0.pid"
  stop_pid "$dir/run/mon.a.pid"
  rm -rf "$dir"
  ;;
*) echo "cluster.sh: unknown command $cmd" >&2; exit 2 ;;
esac
