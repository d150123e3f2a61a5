#!/usr/bin/env python3
"""Stowage next to tgt on this machine, in one run, with the same workloads and the same initiator.

Targets: Stowage on its local directory store and tgt with a file backing store; with --rados also Stowage on a
throwaway Ceph cluster (tests/ceph/cluster.sh) and tgt with its rbd backing store (Debian tgt-rbd) on the same
cluster. Initiator: fio's libiscsi engine (bench/build-fio.sh builds it), with iscsi-perf (reads) and
`qemu-img bench -w` (sequential writes) as cross-checks. Every LUN is 1 GiB and first filled with the same random
data. Flush-heavy workloads send what filesystems and databases send: a SYNCHRONIZE CACHE after every 32 writes,
and writes with the FUA bit (tgt's file backing store answers both with fdatasync of its file, its default; see
bench/README.md). With --rados a cache-miss workload reads at random from a LUN four times the engine's SCO cache.
Alongside IOPS, MB/s and fio's completion-latency percentiles, each target's CPU time per I/O is measured
(user + sys of the target process from /proc over the run, divided by the I/Os done): on a shared, noisy machine
it is steadier than IOPS.

  bench/bench.py [--seconds N] [--rados] [--out DIR]    full run (README table: --seconds 20 --rados)
  bench/bench.py --smoke --out DIR                      4 workloads x 1 s, local targets: checks the harness only
  bench/bench.py --only 1M-seqread-qd8,4k-randwrite-qd1 --seconds 10 --out DIR    a few workloads, for iterating

It installs what it needs with apt-get (tgt, tgt-rbd, Ceph, QEMU, libiscsi tools; fio with libiscsi is built by
bench/build-fio.sh) or stops with one line naming what is missing.

Writes DIR/bench.json, DIR/bench.md (the table) and DIR/bench.svg (a chart of the Stowage/tgt IOPS ratios).
"""
import argparse
import calendar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
HZ = os.sysconf("SC_CLK_TCK")
GIB = 1 << 30

# name, fio rw, block size, queue depth, rwmixread (None = not mixed), extra fio options
WORKLOADS = [
    ("4k-randread-qd1", "randread", "4k", 1, None, ()),
    ("4k-randread-qd32", "randread", "4k", 32, None, ()),
    ("4k-randwrite-qd1", "randwrite", "4k", 1, None, ()),
    ("4k-randwrite-qd32", "randwrite", "4k", 32, None, ()),
    ("1M-seqread-qd8", "read", "1M", 8, None, ()),
    ("1M-seqwrite-qd8", "write", "1M", 8, None, ()),
    ("64k-randrw70-qd16", "randrw", "64k", 16, 70, ()),
    # filesystems' journal commits, databases' concurrent commits: 8 writers (8 sessions, one write in flight
    # each), each sending a SYNCHRONIZE CACHE(16) after every 32 of its writes. One writer at QD32 can't say it:
    # fio's fsync=N at a depth > 1 sends a flush after nearly every write once the count reaches N.
    ("4k-randwrite-flush32-8x1", "randwrite", "4k", 1, None, ("--fsync=32", "--numjobs=8", "--group_reporting")),
    # a journal that flushes after each of its writes: the FLUSH's own cost, one at a time (with the DTL on, a
    # round trip to RADOS each)
    ("4k-randwrite-flush1-qd1", "randwrite", "4k", 1, None, ("--fsync=1",)),
    # database page writes with FUA (build-fio.sh makes the libiscsi engine set FUA on WRITE(16) for sync=1)
    ("16k-randwrite-fua-qd16", "randwrite", "16k", 16, None, ("--sync=1",)),
]
# only on the RADOS pair: random reads of a LUN four times the SCO cache, so most reads miss the local SCO cache:
# stowage-rados-cold has the read cache of evicted clusters (COLD_READ_CACHE_LIMIT), stowage-rados-cold-norc has
# none (every miss is a ranged RADOS read: the engine before the read cache). Each first reads its whole LUN once
# (1 MiB sequential, not measured), as a working set is read before it is re-read; tgt-rbd reads RADOS every time
COLD_WORKLOADS = [("4k-randread-qd32-cold", "randread", "4k", 32, None, ())]
COLD_CACHE_LIMIT = "256M"
COLD_READ_CACHE_LIMIT = "512M"
COLD_TARGETS = ("stowage-rados-cold", "stowage-rados-cold-norc")
# many sessions: 8 initiators (fio jobs, one iSCSI session each) on 8 LUNs of MULTI_LUN_BYTES at once, 4 KiB random
# 70/30 reads/writes with 4 in flight each; on the file pair (stowage, tgt). Reported: total IOPS and fairness
# (slowest session / fastest, and Jain's index over the sessions' IOPS)
MULTI_LUNS = 8
MULTI_LUN_BYTES = 128 << 20
MULTI_WORKLOADS = [("4k-randrw70-8luns-8x4", "randrw", "4k", 4, 70, ())]
# the DTL's cost (issue 15): on the RADOS pair, the workloads with flushes also run on a Stowage with the DTL off
# (engine.dtl = off: a flush is durable on the local disk only), beside stowage-rados (dtl on, the RADOS default)
# and tgt-rbd; the FLUSH latency (fio's sync percentiles) is set beside a 4 KiB `rados bench` write round trip
DTL_OFF = "stowage-rados-dtl-off"
DTL_WORKLOADS = {"4k-randwrite-flush32-8x1", "4k-randwrite-flush1-qd1", "16k-randwrite-fua-qd16"}
# before anything is measured, every target but the cold pair runs these (not measured), then its uploads settle:
# a fresh JVM spends its first tens of seconds compiling the data path (measured: the C2 compiler thread took
# 9.8 s of CPU during the fill and a first 4 KiB random write run, which then showed 3x the CPU per I/O and half
# the IOPS of a second run), and a server runs for months. tgt and tgt-rbd get the same I/O, for the same caches.
# The round is repeated until the JIT compiler threads use under WARMUP_JIT_SHARE of its wall time (at most
# WARMUP_ROUNDS rounds): measured on 0ba9397, three 10 s 64 KiB mixed runs after a short start took 6.9 s, 1.9 s and
# 0.6 s of compiler CPU, at 6661, 8239 and 9569 IOPS, on this 2-CPU machine where fio shares the CPUs.
# Every measured run reports the compiler CPU it still saw (jit_cpu_ms).
# (fio rw, block size, queue depth, rwmixread, seconds)
WARMUP = [("randrw", "4k", 32, 50, 4), ("randrw", "1M", 8, 50, 3), ("randrw", "4k", 1, 50, 2),
          ("randrw", "64k", 16, 70, 2), ("randwrite", "4k", 1, None, 2), ("randwrite", "16k", 16, None, 2)]
WARMUP_ROUNDS = 6
WARMUP_JIT_SHARE = 0.03
SMOKE = {"4k-randread-qd32", "4k-randwrite-qd32", "4k-randwrite-flush32-8x1", "16k-randwrite-fua-qd16"}

# what a run needs: command -> Debian package (checked by path, so a hand-built tool counts too)
NEEDS = {"tgtd": "tgt", "tgtadm": "tgt", "iscsi-perf": "libiscsi-bin", "qemu-img": "qemu-utils",
         "java": "openjdk-17-jdk-headless", "mvn": "maven"}
NEEDS_FILES = {"/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so": "qemu-block-extra"}  # qemu-img's iscsi:// driver
RADOS_NEEDS = {"ceph-mon": "ceph-mon", "ceph-osd": "ceph-osd", "ceph": "ceph-common", "rbd": "ceph-common",
               "rados": "ceph-common", "ceph-authtool": "ceph-common", "monmaptool": "ceph-common"}
RADOS_NEEDS_FILES = {"/usr/lib/tgt/backing-store/bs_rbd.so": "tgt-rbd"}


class Missing(Exception):
    """Something the bench needs is not there and could not be installed: said in one line, no traceback."""


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def ensure_packages(rados):
    """Installs, with apt-get, the Debian packages whose commands or files are missing; raises Missing if it can't."""
    needs, files = dict(NEEDS), dict(NEEDS_FILES)
    if rados:
        needs.update(RADOS_NEEDS)
        files.update(RADOS_NEEDS_FILES)
    missing = sorted({p for c, p in needs.items() if not shutil.which(c)} |
                     {p for f, p in files.items() if not os.path.exists(f) and not installed(p)})
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        raise Missing(f"missing {' '.join(missing)}: run as root or `apt-get install {' '.join(missing)}`")
    print(f"bench: installing {' '.join(missing)}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        last = (r.stdout.strip().splitlines() or ["(no output)"])[-1]
        raise Missing(f"missing {' '.join(missing)}; `apt-get install {' '.join(missing)}` failed: {last}")
    if "tgt" in missing and shutil.which("systemctl"):
        # the bench starts tgtd itself on private ports; the service the package starts is not ours to keep
        subprocess.run(sudo + ["systemctl", "disable", "--now", "tgt"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    still = [p for p in missing if not installed(p)]
    if still:
        raise Missing(f"missing {' '.join(still)} after apt-get install")


def sh(*cmd, check=True, timeout=600, **kw):
    return subprocess.run(cmd, check=check, timeout=timeout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def cpu_split(pid):
    """(user, sys) CPU seconds of the process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / HZ, int(fields[12]) / HZ


def cpu_seconds(pid):
    return sum(cpu_split(pid))


def jit_seconds(pid):
    """CPU seconds the JVM's JIT compiler threads (C1, C2) used so far; 0 for a process without them (tgtd)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(("C1 Compiler", "C2 Compiler")):
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue  # a compiler thread that ended meanwhile
    return total / HZ


def wait_for(predicate, what, timeout=120):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def meminfo():
    """/proc/meminfo in bytes."""
    with open("/proc/meminfo") as f:
        return {k: int(v.split()[0]) * 1024 for k, v in (l.split(":", 1) for l in f) if v.split()[1:] == ["kB"]}


class PageCacheFill:
    """Keeps the machine's free memory low with clean page cache before every measured run, as on a server that has
    run for a while: on a VM that reports free pages to its host, a log-structured engine's new files would otherwise
    pay the host's first-touch faults that tgt, rewriting one cached file, never meets (figures in bench/README.md).
    The fill is the holes of a sparse file read into the page cache (no disk I/O): clean pages the kernel reclaims
    at once when anything needs memory.
    """
    CHUNK = 64 << 20

    def __init__(self, work, keep_free=1 << 30):
        self.keep_free = keep_free
        self.path = os.path.join(work, "page-cache-fill")
        with open(self.path, "wb") as f:
            f.truncate(max(0, meminfo()["MemTotal"] - 2 * keep_free))
        self.buf = bytearray(self.CHUNK)

    def settle(self):
        """Reads the fill until free memory is down to keep_free (cached parts cost a copy each); returns the bytes
        read."""
        done = 0
        with open(self.path, "rb", buffering=0) as f:
            while meminfo()["MemFree"] > self.keep_free:
                n = f.readinto(self.buf)
                if not n:
                    break
                done += n
        return done


class Target:
    def __init__(self, name, kind, url, pid, gc_log=None):
        self.name, self.kind, self.url, self.pid = name, kind, url, pid
        self.multi = []  # URLs of the many-sessions workload's LUNs, if this target has them
        self.gc_log = gc_log  # a Stowage target's JVM GC log (-Xlog:gc), to count the pauses inside each run


GC_PAUSE = re.compile(r"^\[(\S+)\].*\bPause\b.*?(\d+(?:\.\d+)?)ms\s*$")


def gc_pauses(log, t0, t1):
    """The JVM's stop-the-world pauses logged between wall-clock times t0 and t1 (seconds): count, total, longest
    ({} without a log).
    Lines look like `[2026-12-04T02:10:00.123+0000] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 150M->40M(1024M)
    4.567ms` (-Xlog:gc with the utctime decoration); concurrent phases are not pauses and are not counted."""
    if not log:  # not a Stowage target
        return {}
    ms = []
    try:
        with open(log) as f:
            for line in f:
                m = GC_PAUSE.match(line)
                if not m:
                    continue
                try:
                    at = calendar.timegm(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) \
                        + float("0" + m.group(1)[19:23])  # utctime: always UTC
                except ValueError:
                    continue
                if t0 <= at <= t1:
                    ms.append(float(m.group(2)))
    except OSError:
        return {}
    return {"gc_pauses": len(ms), "gc_pause_total_ms": round(sum(ms), 1), "gc_pause_max_ms": round(max(ms, default=0), 1)}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="stowage-bench.")
        self.procs = []
        self.tgt_ctl = 27
        self.ceph_dir = None
        self.targets = []
        self.warmups = {}  # target -> warm-up rounds run and the JIT compiler's share of the last
        # the smoke run checks the harness only: it skips the fill's first read (about 40 s here)
        self.fill = None if args.no_page_cache_fill or args.smoke else PageCacheFill(self.work)

    # ------------------------------------------------------------------ set-up

    def start_stowage(self, name, port, extra_conf, multi=False):
        conf = os.path.join(self.work, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(f"portal = 127.0.0.1:{port}\ndata-dir = {self.work}/{name}-var\nadmin.listen = off\n"
                    f"target.bench.iqn = iqn.2026-11.io.stowage:bench\ntarget.bench.lun.0 = bench\n"
                    f"volume.bench.size = 1G\n{extra_conf}")
            if multi:
                for n in range(1, MULTI_LUNS + 1):
                    f.write(f"\ntarget.bench.lun.{n} = m{n}\nvolume.m{n}.size = {MULTI_LUN_BYTES >> 20}M\n")
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        gc_log = os.path.join(self.work, f"{name}-gc.log")
        env = dict(os.environ, STOWAGE_JAVA_OPTS=(os.environ.get("STOWAGE_JAVA_OPTS", "")
                                                  + f" -Xlog:gc:file={gc_log}:utctime").strip())
        p = subprocess.Popen([os.path.join(REPO, "stowage"), "serve", "--config", conf], stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True, env=env)
        self.procs.append(p)
        logfile = os.path.join(self.work, f"{name}.log")
        wait_for(lambda: "Stowage is serving" in open(logfile).read() or p.poll() is not None, f"{name} to start")
        if p.poll() is not None:
            raise RuntimeError(f"{name} exited: {open(logfile).read()}")
        java = sh("pgrep", "-f", f"io.stowage.node.Main serve --config {conf}").stdout.split()[0]
        t = Target(name, "stowage", f"iscsi://127.0.0.1:{port}/iqn.2026-11.io.stowage:bench/0", int(java), gc_log)
        t.multi = [f"iscsi://127.0.0.1:{port}/iqn.2026-11.io.stowage:bench/{n}" for n in range(1, MULTI_LUNS + 1)] \
            if multi else []
        return t

    def start_tgt(self, port):
        p = subprocess.Popen(["tgtd", "-f", "-C", str(self.tgt_ctl), "--iscsi", f"portal=127.0.0.1:{port}"],
                             stdout=open(os.path.join(self.work, "tgtd.log"), "w"), stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append(p)
        self.tgt_pid = p.pid
        self.tgt_port = port
        wait_for(lambda: sh("tgtadm", "-C", str(self.tgt_ctl), "--op", "show", "--mode", "system",
                            check=False).returncode == 0, "tgtd")

    def tgt_lun(self, tid, name, backing, bs_args=()):
        iqn = f"iqn.2026-11.ref:{name}"
        c = ["tgtadm", "-C", str(self.tgt_ctl), "--lld", "iscsi"]
        sh(*c, "--op", "new", "--mode", "target", "--tid", str(tid), "-T", iqn)
        sh(*c, "--op", "new", "--mode", "logicalunit", "--tid", str(tid), "--lun", "1", "-b", backing, *bs_args)
        sh(*c, "--op", "bind", "--mode", "target", "--tid", str(tid), "-I", "ALL")
        return Target(name, "tgt", f"iscsi://127.0.0.1:{self.tgt_port}/{iqn}/1", self.tgt_pid)

    def setup(self):
        data = os.path.join(self.work, "data.img")
        with open(data, "wb") as f:
            for _ in range(GIB // (16 << 20)):
                f.write(os.urandom(16 << 20))
        base = 3390
        # the many-sessions LUNs only when their workload runs (the smoke run and --only runs skip their fill)
        multi = not self.args.smoke and (not self.args.only or any(w[0] in self.args.only for w in MULTI_WORKLOADS))
        self.local_metrics_port = base + 13
        self.targets.append(self.start_stowage("stowage", base, f"metrics = 127.0.0.1:{self.local_metrics_port}\n",
                                               multi=multi))
        self.start_tgt(base + 1)
        tgt_img = os.path.join(self.work, "tgt.img")
        shutil.copyfile(data, tgt_img)
        tgt = self.tgt_lun(1, "tgt", tgt_img)
        for n in range(1, MULTI_LUNS + 1 if multi else 1):
            img = os.path.join(self.work, f"tgt-m{n}.img")
            with open(data, "rb") as src, open(img, "wb") as dst:
                dst.write(src.read(MULTI_LUN_BYTES))
            sh("tgtadm", "-C", str(self.tgt_ctl), "--lld", "iscsi", "--op", "new", "--mode", "logicalunit",
               "--tid", "1", "--lun", str(n + 1), "-b", img)
            tgt.multi.append(f"iscsi://127.0.0.1:{self.tgt_port}/iqn.2026-11.ref:tgt/{n + 1}")
        self.targets.append(tgt)
        if self.args.rados:
            self.ceph_dir = os.path.join(self.work, "ceph")
            # bluestore on a sparse file: the runs write far more than a memstore OSD could keep in RAM (the
            # engine has no scrubbing yet, so every overwrite is a new object)
            env = dict(os.environ, CEPH_STORE="bluestore", CEPH_STORE_BYTES=str(48 << 30))
            conf = sh("bash", os.path.join(REPO, "tests/ceph/cluster.sh"), "up", self.ceph_dir, "46950",
                      timeout=300, env=env).stdout.strip().splitlines()[-1]
            self.metrics_port = base + 10
            self.targets.append(self.start_stowage(
                "stowage-rados", base + 2,
                f"backend = rados\nrados.conf = {conf}\nrados.pool = stowage\nrados.object-prefix = bench.\n"
                f"metrics = 127.0.0.1:{self.metrics_port}\n"))
            self.cold_metrics_ports = [base + 11, base + 12]
            for i, (name, read_cache) in enumerate(zip(COLD_TARGETS, (COLD_READ_CACHE_LIMIT, "0"))):
                self.targets.append(self.start_stowage(
                    name, base + 3 + i,
                    f"backend = rados\nrados.conf = {conf}\nrados.pool = stowage\nrados.object-prefix = {name}.\n"
                    f"metrics = 127.0.0.1:{self.cold_metrics_ports[i]}\nengine.cache-limit = {COLD_CACHE_LIMIT}\n"
                    f"engine.read-cache-limit = {read_cache}\n"))
            self.dtl_off_metrics_port = base + 14
            self.targets.append(self.start_stowage(
                DTL_OFF, base + 5,
                f"backend = rados\nrados.conf = {conf}\nrados.pool = stowage\nrados.object-prefix = {DTL_OFF}.\n"
                f"metrics = 127.0.0.1:{self.dtl_off_metrics_port}\nengine.dtl = off\n"))
            sh("rbd", "-c", conf, "create", "--size", "1024", "stowage/tgtbench")
            self.targets.append(self.tgt_lun(2, "tgt-rbd", "stowage/tgtbench",
                                             ("--bstype", "rbd", "--bsopts", f"conf={conf};id=admin")))
            self.ceph_conf = conf
        for t in self.targets:
            if t.name != "tgt":  # tgt's file already holds the data
                sh("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", data, t.url, timeout=1800)
                if t.multi:
                    part = os.path.join(self.work, "data-multi.img")
                    with open(data, "rb") as src, open(part, "wb") as dst:
                        dst.write(src.read(MULTI_LUN_BYTES))
                    for url in t.multi:
                        sh("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", part, url, timeout=600)
        os.remove(data)
        if not self.args.smoke:
            for t in self.targets:
                if t.name not in COLD_TARGETS:
                    self.warm_up(t)
        # the fill's and the warm-up's uploads (and LMDB absorption) settle first: otherwise the first workload
        # measured pays for them
        settle = [self.local_metrics_port] + ([self.metrics_port, self.dtl_off_metrics_port] if self.args.rados
                                              else [])
        for port in settle:
            wait_for(lambda: self.scrape(port)["stowage_volume_dirty_bytes"] == 0, "the fill's uploads to settle", 900)
        if self.args.rados:
            # the cold LUN's SCOs must be uploaded (and so evictable) before its reads say anything about misses
            for port in self.cold_metrics_ports:
                wait_for(lambda: self.scrape(port)["stowage_volume_dirty_bytes"] == 0,
                         "the cold targets' uploads to settle", 900)

    def teardown(self):
        for args in (("target", "--force", "--tid", "2"), ("target", "--force", "--tid", "1"), ("system",)):
            try:
                sh("tgtadm", "-C", str(self.tgt_ctl), "--op", "delete", "--mode", *args, check=False, timeout=20)
            except subprocess.TimeoutExpired:
                pass  # tgtd is killed below anyway
        for p in self.procs:
            if p.poll() is None:
                # tgtd ignores SIGTERM while it has targets; Stowage flushes and exits on it
                os.killpg(p.pid, signal.SIGKILL if p.pid == getattr(self, "tgt_pid", None) else signal.SIGTERM)
                try:
                    p.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        if self.ceph_dir:
            sh("bash", os.path.join(REPO, "tests/ceph/cluster.sh"), "down", self.ceph_dir, check=False)
        shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------------ runs

    def warm_up(self, target):
        """WARMUP rounds until the JIT compiler is nearly idle (tgtd has none: one round)."""
        for rnd in range(1, WARMUP_ROUNDS + 1):
            jit0, t0 = jit_seconds(target.pid), time.time()
            for rw, bs, qd, mix, secs in WARMUP:
                extra = ("--fsync=8",) if rw == "randwrite" and bs == "4k" else \
                    ("--sync=1",) if rw == "randwrite" else ()  # the flush and FUA paths get compiled too
                self.fio(target, ("warm-up", rw, bs, qd, mix, extra), secs)
            share = (jit_seconds(target.pid) - jit0) / max(time.time() - t0, 1e-9)
            self.warmups[target.name] = {"rounds": rnd, "jit_share_last_round": round(share, 3)}
            print(f"bench: {target.name}: warm-up round {rnd}: the JIT compiler used {share:.1%} of its wall time",
                  flush=True)
            if share < WARMUP_JIT_SHARE:
                return

    def fio(self, target, wl, seconds):
        name, rw, bs, qd, mix, extra = wl
        url = target.url.replace(":", "\\:")
        cmd = [self.args.fio, "--name=" + name, "--ioengine=libiscsi", "--filename=" + url, "--rw=" + rw,
               "--bs=" + bs, "--iodepth=" + str(qd), "--runtime=" + str(seconds), "--time_based",
               "--size=1g", "--thread", "--output-format=json", "--random_generator=tausworthe64",
               "--randrepeat=0"]
        if mix:
            cmd.append(f"--rwmixread={mix}")
        cmd += extra
        split0 = cpu_split(target.pid)
        before = sum(split0)
        jit0 = jit_seconds(target.pid)
        t0 = time.time()
        proc = sh(*cmd, timeout=seconds * 4 + 120, check=False)
        out = proc.stdout
        split1 = cpu_split(target.pid)
        after = sum(split1)
        jit = jit_seconds(target.pid) - jit0
        if "{" not in out:
            raise subprocess.CalledProcessError(proc.returncode, cmd, out)
        # an I/O error ends fio with exit 1 but still a report: it goes into the results (errors, fio_messages)
        # rather than ending a long run
        job = json.loads(out[out.index("{"):])["jobs"][0]
        ios = job["read"]["total_ios"] + job["write"]["total_ios"]
        run = job["read"]["runtime"] or job["write"]["runtime"] or 1
        main = job["read"] if (mix or rw in ("randread", "read")) else job["write"]
        pct = main["clat_ns"].get("percentile", {})
        return {
            "iops": round(job["read"]["iops"] + job["write"]["iops"]),
            "mbps": round((job["read"]["bw_bytes"] + job["write"]["bw_bytes"]) / 1e6, 1),
            "p50_us": round(pct.get("50.000000", 0) / 1000),
            "p99_us": round(pct.get("99.000000", 0) / 1000),
            "cpu_us_per_io": round((after - before) * 1e6 / max(ios, 1), 1),
            "cpu_sys_share": round((split1[1] - split0[1]) / max(after - before, 1e-9), 2),  # kernel's part of it
            "errors": job["error"],
            "ios": ios,
            "flushes": job.get("sync", {}).get("total_ios", 0),  # SYNCHRONIZE CACHEs sent (not counted in ios)
            # their latency, where fio reports it (fsync=N jobs)
            "flush_p50_us": round(job.get("sync", {}).get("lat_ns", {}).get("percentile", {}).get("50.000000", 0)
                                  / 1000),
            "runtime_ms": run,
            "wall_s": round(time.time() - t0, 1),
            **gc_pauses(target.gc_log, t0, time.time()),
            **({"jit_cpu_ms": round(jit * 1000)} if target.gc_log else {}),  # compiler CPU left in the run
            **({"fio_messages": [l for l in out[:out.index("{")].splitlines() if l.strip()][-5:]}
               if proc.returncode else {}),
        }

    def fio_multi(self, target, wl, seconds):
        """One fio job (one iSCSI session) per LUN of target.multi, all at once: total IOPS and fairness."""
        name, rw, bs, qd, mix, extra = wl
        cmd = [self.args.fio, "--ioengine=libiscsi", "--rw=" + rw, "--bs=" + bs, "--iodepth=" + str(qd),
               "--runtime=" + str(seconds), "--time_based", f"--size={MULTI_LUN_BYTES}", "--thread",
               "--output-format=json", "--random_generator=tausworthe64", "--randrepeat=0", *extra]
        if mix:
            cmd.append(f"--rwmixread={mix}")
        for i, url in enumerate(target.multi):
            cmd += [f"--name={name}-{i}", "--filename=" + url.replace(":", "\\:")]
        before = cpu_seconds(target.pid)
        t0 = time.time()
        proc = sh(*cmd, timeout=seconds * 4 + 120, check=False)
        after = cpu_seconds(target.pid)
        gc = gc_pauses(target.gc_log, t0, time.time())
        out = proc.stdout
        if "{" not in out:
            raise subprocess.CalledProcessError(proc.returncode, cmd, out)
        jobs = json.loads(out[out.index("{"):])["jobs"]
        per = [j["read"]["iops"] + j["write"]["iops"] for j in jobs]
        ios = sum(j["read"]["total_ios"] + j["write"]["total_ios"] for j in jobs)
        p99 = max(j["read"]["clat_ns"].get("percentile", {}).get("99.000000", 0) for j in jobs)
        p50 = sorted(j["read"]["clat_ns"].get("percentile", {}).get("50.000000", 0) for j in jobs)[len(jobs) // 2]
        return {
            "iops": round(sum(per)),
            "mbps": round(sum(j["read"]["bw_bytes"] + j["write"]["bw_bytes"] for j in jobs) / 1e6, 1),
            "p50_us": round(p50 / 1000), "p99_us": round(p99 / 1000),  # of the reads; p99: the worst session's
            "cpu_us_per_io": round((after - before) * 1e6 / max(ios, 1), 1),
            "errors": sum(j["error"] for j in jobs), "ios": ios, "flushes": 0,
            "runtime_ms": max(j["read"]["runtime"] or j["write"]["runtime"] for j in jobs),
            "sessions": len(jobs), "session_iops": [round(x) for x in per],
            "fairness_min_over_max": round(min(per) / max(max(per), 1e-9), 2),
            "fairness_jain": round(sum(per) ** 2 / (len(per) * sum(x * x for x in per) or 1), 3),
            **gc,
        }

    @staticmethod
    def du(path):
        return int(sh("du", "-sb", path).stdout.split()[0])

    def iscsi_perf(self, target, seconds):
        before = cpu_seconds(target.pid)
        out = sh("iscsi-perf", "-r", "-m", "32", "-b", "8", "-t", str(seconds), target.url,
                 timeout=seconds + 120).stdout.replace("\r", "\n")
        after = cpu_seconds(target.pid)
        m = re.findall(r"iops average (\d+) \((\d+) MB/s\)", out)
        iops = int(m[-1][0]) if m else 0
        return {"iops": iops, "cpu_us_per_io": round((after - before) * 1e6 / max(iops * seconds, 1), 1)}

    def qemu_bench(self, target, count):
        before = cpu_seconds(target.pid)
        out = sh("qemu-img", "bench", "-f", "raw", "-w", "-c", str(count), "-d", "32", "-s", "4096", "-S", "4096",
                 target.url, timeout=900).stdout
        after = cpu_seconds(target.pid)
        secs = float(re.search(r"completed in ([0-9.]+) seconds", out).group(1))
        return {"iops": round(count / secs), "cpu_us_per_io": round((after - before) * 1e6 / count, 1)}

    def scrape(self, port=None):
        import urllib.request
        text = urllib.request.urlopen(f"http://127.0.0.1:{port or self.metrics_port}/metrics",
                                      timeout=10).read().decode()
        vals = {}
        for line in text.splitlines():
            m = re.match(r'(stowage_volume_\w+)\{volume="bench"\} (\d+)', line)
            if m:
                vals[m.group(1)] = int(m.group(2))
        return vals

    def rados_write_latency(self):
        """A 4 KiB write round trip to the pool (`rados bench`, one in flight), the yardstick for the DTL's FLUSH."""
        out = sh("rados", "-c", self.ceph_conf, "-p", "stowage", "bench", "5", "write", "-t", "1", "-b", "4096",
                 "--run-name", "stowage-lat", timeout=120).stdout
        sh("rados", "-c", self.ceph_conf, "-p", "stowage", "cleanup", "--run-name", "stowage-lat", check=False)
        m = re.search(r"Average Latency\(s\):\s+([0-9.]+)", out)
        return {"avg_latency_us": round(float(m.group(1)) * 1e6) if m else None}

    def upload_throughput(self, seconds):
        """Engine → RADOS upload rate under a 1 MiB sequential write load, next to `rados bench` on the same pool."""
        t = next(t for t in self.targets if t.name == "stowage-rados")
        wait_for(lambda: self.scrape()["stowage_volume_dirty_bytes"] == 0, "uploads to settle", 600)
        u0, t0 = self.scrape()["stowage_volume_uploaded_bytes_total"], time.time()
        ingest = self.fio(t, ("upload-load", "write", "1M", 8, None, ()), seconds)
        wait_for(lambda: self.scrape()["stowage_volume_dirty_bytes"] == 0, "uploads to catch up", 900)
        u1, t1 = self.scrape()["stowage_volume_uploaded_bytes_total"], time.time()
        out = sh("rados", "-c", self.ceph_conf, "-p", "stowage", "bench", str(min(seconds, 10)), "write", "-t", "16",
                 "-b", "4194304", "--run-name", "stowage-bench", timeout=seconds * 4 + 120).stdout
        sh("rados", "-c", self.ceph_conf, "-p", "stowage", "cleanup", "--run-name", "stowage-bench", check=False)
        m = re.search(r"Bandwidth \(MB/sec\):\s+([0-9.]+)", out)
        return {"engine_upload_mbps": round((u1 - u0) / (t1 - t0) / 1e6, 1),
                "engine_uploaded_bytes": u1 - u0, "engine_upload_seconds": round(t1 - t0, 1),
                "ingest_mbps": ingest["mbps"],
                "rados_bench_write_4m_t16_mbps": float(m.group(1)) if m else None}

    def run(self):
        seconds = 1 if self.args.smoke else self.args.seconds
        wls = [w for w in WORKLOADS if not self.args.smoke or w[0] in SMOKE]
        if self.args.rados and not self.args.smoke:
            wls += COLD_WORKLOADS
        if not self.args.smoke:
            wls += MULTI_WORKLOADS
        if self.args.only:
            wls = [w for w in wls if w[0] in self.args.only]
        results = {"machine": {"cores": os.cpu_count(), "kernel": os.uname().release},
                   "seconds_per_run": seconds, "lun_bytes": GIB, "initiator": "fio " + sh(
                       self.args.fio, "--version").stdout.strip() + " ioengine=libiscsi",
                   "page_cache_fill": bool(self.fill),
                   "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": {}, "crosschecks": {},
                   "warmups": self.warmups}
        if self.args.rados:
            results["cold_cache_limit"] = COLD_CACHE_LIMIT
            results["cold_read_cache_limit"] = COLD_READ_CACHE_LIMIT
            results["cold_cache_bytes_before"] = self.du(os.path.join(self.work, "stowage-rados-cold-var"))
        for wl in wls:
            cold = wl in COLD_WORKLOADS
            multi = wl in MULTI_WORKLOADS
            for t in self.targets:
                if multi and not t.multi:
                    continue
                if t.name not in (*COLD_TARGETS, "tgt-rbd") if cold else t.name in COLD_TARGETS:
                    continue
                if t.name == DTL_OFF and wl[0] not in DTL_WORKLOADS:
                    continue
                if cold:  # the working set is read once before it is re-read at random (see COLD_WORKLOADS)
                    self.fio(t, ("warm-up", "read", "1M", 8, None, ("--time_based=0", "--runtime=0")), 600)
                if self.fill:
                    self.fill.settle()
                r = self.fio_multi(t, wl, seconds) if multi else self.fio(t, wl, seconds)
                results["runs"].setdefault(wl[0], {})[t.name] = r
                print(f"{wl[0]:<25} {t.name:<18} {r['iops']:>8} IOPS {r['mbps']:>8} MB/s  p50 {r['p50_us']:>6} us"
                      f"  p99 {r['p99_us']:>7} us  {r['cpu_us_per_io']:>7} us CPU/IO"
                      + (f"  sessions {r['session_iops']} min/max {r['fairness_min_over_max']} Jain "
                         f"{r['fairness_jain']}" if multi else "")
                      + (f"  fio error {r['errors']}: {' / '.join(r.get('fio_messages', []))}" if r["errors"] else ""),
                      flush=True)
        if not self.args.smoke and not self.args.only:
            for t in [t for t in self.targets if t.name not in (*COLD_TARGETS, DTL_OFF)]:
                for check, run in (("iscsi-perf 4k-randread-qd32", lambda: self.iscsi_perf(t, seconds)),
                                   ("qemu-img bench -w 4k-seqwrite-qd32", lambda: self.qemu_bench(t, 50000))):
                    try:
                        results["crosschecks"].setdefault(check, {})[t.name] = run()
                    except (subprocess.TimeoutExpired, subprocess.CalledProcessError, AttributeError) as e:
                        # a cross-check that hangs on an overloaded machine is recorded, not the end of the run
                        print(f"{check} on {t.name}: {type(e).__name__}", flush=True)
                        results["crosschecks"].setdefault(check, {})[t.name] = {
                            "iops": 0, "cpu_us_per_io": 0, "failed": type(e).__name__}
        # the upload rate also with --only when --upload asks for it (it adds about a minute)
        if self.args.rados and not self.args.smoke and (not self.args.only or self.args.upload):
            results["rados_upload"] = u = self.upload_throughput(seconds)
            results["rados_write_4k"] = w = self.rados_write_latency()
            print(f"rados bench 4 KiB writes, one at a time: {w['avg_latency_us']} us average", flush=True)
            print(f"upload to RADOS: engine {u['engine_upload_mbps']} MB/s "
                  f"({u['engine_uploaded_bytes'] >> 20} MiB in {u['engine_upload_seconds']} s), "
                  f"rados bench write 4 MiB x16: {u['rados_bench_write_4m_t16_mbps']} MB/s", flush=True)
        return results


def ratios(results):
    pairs = [("stowage", "tgt"), ("stowage-rados", "tgt-rbd"), (DTL_OFF, "tgt-rbd"), ("stowage-rados-cold", "tgt-rbd"),
             ("stowage-rados-cold-norc", "tgt-rbd")]
    out = {}
    for wl, per in results["runs"].items():
        for s, t in pairs:
            if s in per and t in per and per[t]["iops"]:
                out.setdefault(wl, {})[f"{s}/{t}"] = {
                    "iops": round(per[s]["iops"] / per[t]["iops"], 2),
                    "cpu_per_io": round(per[s]["cpu_us_per_io"] / max(per[t]["cpu_us_per_io"], 0.001), 2)}
    return out


def table(results):
    lines = ["| workload | target | IOPS | MB/s | p50 µs | p99 µs | CPU µs/IO | IOPS ratio | CPU/IO ratio |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for wl, per in results["runs"].items():
        for name, r in per.items():
            ratio = ""
            for pair, v in results["ratios"].get(wl, {}).items():
                if pair.startswith(name + "/"):
                    ratio = f"| **{v['iops']:.2f}×** | {v['cpu_per_io']:.2f}× "
            err = f" (fio error {r['errors']})" if r.get("errors") else ""
            lines.append(f"| {wl}{err} | {name} | {r['iops']} | {r['mbps']} | {r['p50_us']} | {r['p99_us']} | "
                         f"{r['cpu_us_per_io']} " + (ratio or "| | ") + "|")
    for check, per in results.get("crosschecks", {}).items():
        for name, r in per.items():
            lines.append(f"| {check} | {name} | {r['iops']} | | | | {r['cpu_us_per_io']} | | |")
    for wl, per in results["runs"].items():
        for name, r in per.items():
            if "session_iops" in r:
                lines.append(f"\n{wl} on {name}: {r['sessions']} sessions on {r['sessions']} LUNs, IOPS per session "
                             f"{r['session_iops']}, slowest/fastest {r['fairness_min_over_max']}, Jain's fairness "
                             f"index {r['fairness_jain']} (1 = all equal).")
    if "cold_cache_limit" in results:
        lines.append(f"\nstowage-rados-cold and -norc: engine.cache-limit = {results['cold_cache_limit']} for a "
                     f"{results['lun_bytes'] >> 20} MiB LUN (its data directory held "
                     f"{results['cold_cache_bytes_before'] >> 20} MiB when its reads began); stowage-rados-cold with "
                     f"engine.read-cache-limit = {results['cold_read_cache_limit']}, -norc without a read cache "
                     f"(the engine before it). Each read its LUN once before the measured random reads.")
    gc = [(wl, name, r) for wl, per in results["runs"].items() for name, r in per.items() if "gc_pauses" in r]
    if gc:
        lines.append("\nGC pauses of the Stowage JVM during each measured run (G1, from its `-Xlog:gc` log), and the "
                     "CPU its JIT compiler threads still used in the run (after the warm-up: "
                     + ", ".join(f"{n} {w['rounds']} round(s)" for n, w in sorted(results.get("warmups", {}).items()))
                     + "):\n")
        lines.append("| workload | target | pauses | total ms | longest ms | share of the run | JIT CPU ms |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        for wl, name, r in gc:
            share = r["gc_pause_total_ms"] / max(r.get("runtime_ms", 0), 1)
            lines.append(f"| {wl} | {name} | {r['gc_pauses']} | {r['gc_pause_total_ms']} | {r['gc_pause_max_ms']} | "
                         f"{share:.2%} | {r.get('jit_cpu_ms', '')} |")
    dtl = [(wl, per) for wl, per in results["runs"].items() if DTL_OFF in per and "stowage-rados" in per]
    if dtl:
        lines.append("\nThe DTL's cost (stowage-rados: `engine.dtl` on, the RADOS default; " + DTL_OFF
                     + ": off, a flush durable on the local disk only):\n")
        lines.append("| workload | dtl on / off IOPS | dtl on / tgt-rbd IOPS | FLUSH p50 on / off µs |")
        lines.append("|---|---:|---:|---:|")
        for wl, per in dtl:
            on, off, rbd = per["stowage-rados"], per[DTL_OFF], per.get("tgt-rbd", {})
            lines.append(f"| {wl} | {on['iops'] / max(off['iops'], 1):.2f}× | "
                         + (f"{on['iops'] / max(rbd['iops'], 1):.2f}×" if rbd else "") + " | "
                         + (f"{on['flush_p50_us']} / {off['flush_p50_us']}" if on.get("flush_p50_us") else "")
                         + " |")
        if results.get("rados_write_4k", {}).get("avg_latency_us"):
            lines.append(f"\nA 4 KiB `rados bench` write, one in flight: "
                         f"{results['rados_write_4k']['avg_latency_us']} µs on average.")
    if "rados_upload" in results:
        u = results["rados_upload"]
        lines.append(f"\nUpload to RADOS under a 1 MiB sequential write load: engine {u['engine_upload_mbps']} MB/s, "
                     f"`rados bench` 4 MiB writes x16 on the same pool: {u['rados_bench_write_4m_t16_mbps']} MB/s.")
    return "\n".join(lines) + "\n"


def chart(results):
    """A grouped bar chart (SVG, no dependencies) of the Stowage/tgt IOPS ratio per workload."""
    rows = [(wl, v) for wl, v in results["ratios"].items()]
    pairs = sorted({p for _, v in rows for p in v})
    colours = ["#2b6cb0", "#dd6b20", "#38a169"]
    w, row_h, left = 760, 22 * max(len(pairs), 1) + 10, 170
    h = 60 + row_h * len(rows) + 40
    top = max([v[p]["iops"] for _, v in rows for p in v] + [2.0])
    scale = (w - left - 40) / top
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
         f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
         f'<text x="{left}" y="20" font-size="14">Stowage / tgt, IOPS ratio (fio libiscsi, '
         f'{results["seconds_per_run"]} s per run); 1.0 = tgt</text>']
    for i, p in enumerate(pairs):
        s.append(f'<rect x="{left + 200 * i}" y="30" width="12" height="12" fill="{colours[i % 3]}"/>'
                 f'<text x="{left + 200 * i + 16}" y="40">{p}</text>')
    y = 60
    for wl, v in rows:
        s.append(f'<text x="{left - 8}" y="{y + row_h / 2}" text-anchor="end">{wl}</text>')
        for i, p in enumerate(pairs):
            if p not in v:
                continue
            bw = v[p]["iops"] * scale
            s.append(f'<rect x="{left}" y="{y + 4 + 22 * i}" width="{bw:.1f}" height="18" fill="{colours[i % 3]}"/>'
                     f'<text x="{left + bw + 4:.1f}" y="{y + 17 + 22 * i}">{v[p]["iops"]:.2f}×</text>')
        y += row_h
    one = left + scale
    s.append(f'<line x1="{one:.1f}" y1="55" x2="{one:.1f}" y2="{y}" stroke="black" stroke-dasharray="4,3"/>')
    s.append("</svg>")
    return "\n".join(s) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--rados", action="store_true", help="also Stowage on RADOS and tgt-rbd on a throwaway Ceph")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--upload", action="store_true",
                    help="with --rados --only: also the engine's upload rate next to rados bench 4 MiB x16")
    ap.add_argument("--only", type=lambda v: v.split(","), default=None, metavar="WORKLOAD[,WORKLOAD]",
                    help="run only these workloads (names as in the table), no cross-checks: for iterating")
    ap.add_argument("--no-page-cache-fill", action="store_true",
                    help="measure with the machine's free memory as it is (see PageCacheFill)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    try:
        ensure_packages(args.rados)
        fio = sh("bash", os.path.join(HERE, "build-fio.sh"), check=False, timeout=900)
        if fio.returncode != 0:
            last = (fio.stdout.strip().splitlines() or ["(no output)"])[-1]
            raise Missing(f"could not build fio with libiscsi (bench/build-fio.sh): {last}")
        args.fio = fio.stdout.strip().splitlines()[-1]
        b = Bench(args)
        # a plain SIGTERM would skip the teardown below and leave targets and Ceph running
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            b.setup()
            results = b.run()
        finally:
            b.teardown()
    except Missing as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        lines = (e.stdout or "").strip().splitlines() or ["(no output)"]
        last = next((l for l in reversed(lines) if re.search(r"error|fail", l, re.I)), lines[-1])
        print(f"bench: `{' '.join(map(str, e.cmd))}` failed (exit {e.returncode}): {last}", file=sys.stderr)
        return 1
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    results["ratios"] = ratios(results)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(results, f, indent=2)
    md = table(results)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "bench.svg"), "w") as f:
        f.write(chart(results))
    print()
    print(md)
    print(f"bench: results in {args.out}/bench.json, bench.md, bench.svg")


if __name__ == "__main__":
    sys.exit(main())
