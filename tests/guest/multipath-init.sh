#!/bin/sh
# /init of the multipath guest (multipath-test.sh builds it). open-iscsi logs in to the same target on two portals
# (two Stowage nodes); dm-multipath (multipathd: group_by_prio, alua prioritizer, tur checker, no_path_retry
# queue) joins the two paths into one map. Markers on the console (ttyS0): STEP, MARK (a point the host acts on),
# PATH (one line per path), WRITER/VERIFY (the writer's figures), PASS or FAIL. The host answers on ttyS1, one
# word a line: "stop" (end the load), "returned" (the killed node runs again), "moved" (the volume was moved back).
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/shm /run/lock /var/lock /etc/multipath /tmp/mp
dump() {
  echo "--- multipathd show topology"; multipathd show topology 2>&1
  echo "--- multipathd log"; grep -v "(operator)" /tmp/multipathd.log | tail -n 150
  echo "--- iscsid log (tail)"; tail -n 20 /tmp/iscsid.log
}
fail() { echo "FAIL $*"; dump; sync; poweroff -f; }
step() { echo; echo "STEP $*"; }
for p in $(cat /proc/cmdline); do
  case $p in
    stowage.portals=*) portals=$(echo "${p#*=}" | tr , ' ') ;;
    stowage.iqn=*) iqn=${p#*=} ;;
    stowage.batch=*) batch=${p#*=} ;; # the writer's pwrites per fsync
  esac
done
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m 2>/dev/null; done
ip link set lo up; ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
echo "InitiatorName=iqn.2026-11.io.stowage:mpath-guest" > /etc/iscsi/initiatorname.iscsi
echo "root:x:0:0:root:/:/bin/sh" > /etc/passwd
echo "root:x:0:" > /etc/group
# ttyS1 stays open, so that no word the host sends is lost between two reads
exec 3< /dev/ttyS1
stty -echo <&3 2>/dev/null
# the host's word on ttyS1 (waits up to $2 seconds for it)
await() {
  word=""
  read -t "$2" word <&3
  [ "$word" = "$1" ] || fail "waited for '$1' from the host, got '$word'"
}

/lib/systemd/systemd-udevd --daemon --resolve-names=never 2> /tmp/udevd.log || fail "systemd-udevd"
udevadm trigger --type=devices --action=add
udevadm settle -t 60
iscsid -f > /tmp/iscsid.log 2>&1 &
sleep 1
step login
for portal in $portals; do
  iscsiadm -m node -o new -T "$iqn" -p "$portal" > /dev/null || fail "node record for $portal"
  # a lost connection hands its I/O to dm-multipath after 5 s (open-iscsi's default is 120 s, meant for no
  # multipath); NOP-Outs find a silent portal within 10 s
  for kv in node.session.timeo.replacement_timeout=5 node.conn[0].timeo.noop_out_interval=5 \
            node.conn[0].timeo.noop_out_timeout=5; do
    iscsiadm -m node -T "$iqn" -p "$portal" -o update -n "${kv%%=*}" -v "${kv#*=}" > /dev/null || fail "$kv"
  done
  iscsiadm -m node -T "$iqn" -p "$portal" --login > /dev/null || fail "login to $portal"
done
n=$(echo $portals | wc -w)
for i in $(seq 1 30); do [ "$(ls -d /sys/block/sd* 2>/dev/null | wc -l)" -ge "$n" ] && break; sleep 1; done
[ "$(ls -d /sys/block/sd* 2>/dev/null | wc -l)" -ge "$n" ] || fail "fewer than $n disks after login"

# portal of each disk, from the session list: "sda 10.0.2.2:3261"
iscsiadm -m session -P 3 2>/dev/null | awk '/Current Portal:/{split($3,a,","); p=a[1]} /Attached scsi disk/{print $4, p}' \
  > /tmp/disks
portal_of() { awk -v d="$1" '$1==d{print $2}' /tmp/disks; }
disk_of() { awk -v p="$1" '$2==p{print $1}' /tmp/disks; }

step multipath
cat > /etc/multipath.conf <<'EOF'
defaults {
    user_friendly_names no
    find_multipaths no
    polling_interval 1
    max_polling_interval 2
    path_grouping_policy group_by_prio
    prio alua
    path_checker tur
    path_selector "service-time 0"
    failback immediate
    no_path_retry queue
}
EOF
udevadm settle -t 60
multipathd -d -s -v2 > /tmp/multipathd.log 2>&1 &
# one line a path: device, prio, dm state (active, failed), checker state (ready, ghost, faulty, ...)
paths() { multipathd show paths raw format "%d %p %t %T" 2>/dev/null; }
# waits up to $1 seconds until "paths" has a line for every disk and the command $2 (given the path lines) is true
await_paths() {
  for i in $(seq 1 "$1"); do
    paths > /tmp/paths
    [ -b /dev/dm-0 ] && [ "$(grep -c '^sd' /tmp/paths)" -ge "$n" ] && eval "$2" && return 0
    sleep 1
  done
  return 1
}
show_paths() {
  paths | while read d prio dm chk; do echo "PATH $d portal=$(portal_of $d) dm=$dm chk=$chk prio=$prio"; done
}
# prio of a disk's path, and whether it is in the map's active path group
prio_of() { awk -v d="$1" '$1==d{print $2}' /tmp/paths; }
one_owner='[ "$(awk "\$2==50" /tmp/paths | wc -l)" = 1 ] && [ "$(awk "\$2==1 && \$4==\"ghost\"" /tmp/paths | wc -l)" = $((n - 1)) ]'
await_paths 60 "$one_owner" || { show_paths; fail "no map with one active/optimized (prio 50) path and $((n - 1)) standby (prio 1, ghost) paths"; }
show_paths
owner_disk=$(awk '$2==50{print $1}' /tmp/paths)
# the target's write cache as Linux read it (caching mode page, WCE): "write through" or "write back"
echo "CACHE $(cat /sys/block/$owner_disk/device/scsi_disk/*/cache_type)"
owner=$(portal_of "$owner_disk")
echo "MARK paths owner=$owner"

step io
mpath-writer write /dev/dm-0 /tmp/mp/state 3 /tmp/mp/stop "$batch" || fail "writes through the map"
mpath-writer verify /dev/dm-0 /tmp/mp/state || fail "reads through the map"

step load
rm -f /tmp/mp/stop
mpath-writer write /dev/dm-0 /tmp/mp/state 200 /tmp/mp/stop "$batch" > /tmp/mp/writer.log 2>&1 &
writer=$!
sleep 1
echo "MARK load"
# the writer's progress lines go to the console while the host kills the owner
tail -f /tmp/mp/writer.log &
tailer=$!
await stop 220
touch /tmp/mp/stop
wait $writer; rc=$?
kill $tailer 2>/dev/null
[ $rc = 0 ] || fail "the writer failed during the failover"
grep "WRITER done" /tmp/mp/writer.log
show_paths

step verify
mpath-writer verify /dev/dm-0 /tmp/mp/state || fail "a block acknowledged by fsync did not verify after the failover"
echo "MARK verified"

step return
await returned 120
# the returning node must come back as standby: its path reinstated as a ghost with prio 1, the new owner prio 50
back='[ "$(prio_of $owner_disk)" = 1 ] && grep -q "^$owner_disk 1 [a-z]* ghost" /tmp/paths && [ "$(awk "\$2==50" /tmp/paths | wc -l)" = 1 ]'
await_paths 60 "$back" || { show_paths; fail "the returned node's path is not standby (prio 1, ghost)"; }
show_paths
echo "MARK standby"

step moveback
await moved 120
home='[ "$(prio_of $owner_disk)" = 50 ] && [ "$(awk "\$2==50" /tmp/paths | wc -l)" = 1 ]'
await_paths 60 "$home" || { show_paths; fail "the path to $owner is not active/optimized after the move"; }
show_paths
before=$(awk '{print $7}' /sys/block/$owner_disk/stat)
rm -f /tmp/mp/stop
mpath-writer write /dev/dm-0 /tmp/mp/state 8 /tmp/mp/stop "$batch" || fail "writes after the move back"
after=$(awk '{print $7}' /sys/block/$owner_disk/stat)
echo "MOVED sectors written through $owner_disk ($owner): $((after - before))"
[ $((after - before)) -gt 0 ] || fail "no write went through $owner after the move back"
mpath-writer verify /dev/dm-0 /tmp/mp/state || fail "verify after the move back"
echo PASS
sync
poweroff -f
