#!/usr/bin/env python3
"""Where a load spends Stowage's CPU: runs `./stowage serve` under Java Flight Recorder while fio (libiscsi engine)
runs one workload for N seconds (default 4 KiB random writes QD32), then attributes every execution sample (Java and
native) to one stage of the data path by the innermost Stowage/MINA/JDK frame that names it. Also lists the hottest
methods (innermost frame), where the heap is allocated (jdk.ObjectAllocationSample, by weight) and GC pauses.
Read workloads first fill the LUN with 1 MiB sequential writes, so that reads meet data rather than holes.

  bench/profile-writes.py [--seconds 30] [--rw randwrite] [--bs 4k] [--qd 32] [--out DIR]
      writes DIR/profile-<rw>-<bs>-qd<qd>.json and prints the tables
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from bench import PageCacheFill  # this script's directory is on sys.path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# (stage, frame pattern), checked from the innermost frame outwards; the first stage whose pattern matches wins.
STAGES = [
    # JDK 17 sends and receives on sockets through FileDispatcherImpl too: the socket frames must be checked first
    ("socket send (Data-In, responses)", r"SocketDispatcher\.write|SocketChannelImpl\.write"),
    ("socket receive", r"SocketDispatcher\.read|SocketChannelImpl\.read"),
    ("fsync (flush: SCO + TLog)", r"FileChannelImpl\.force|FileDispatcherImpl\.force"),
    ("SCO/TLog file writes (pwrite)", r"FileChannelImpl\.write|FileDispatcherImpl\.pwrite"),
    ("SCO/TLog file reads (read-modify-write, CRC checks)", r"FileChannelImpl\.read|FileDispatcherImpl\.pread"),
    ("LMDB (absorbing committed TLogs)", r"org\.lmdbjava"),
    ("upload to the object store", r"DirectoryObjectStore|RadosObjectStore|Volume\.upload|Files\.(createLink|copy)"),
    ("cluster CRC32C", r"CRC32C"),
    ("cluster map overlay", r"ClusterMap|ConcurrentHashMap|Long\.valueOf"),
    ("epoll / selector wait", r"EPoll|SelectorImpl"),
    ("PDU codec", r"io\.stowage\.iscsi\.pdu"),
    ("iSCSI session / task", r"io\.stowage\.iscsi\.(session|login|transport)"),
    ("SCSI command layer", r"io\.stowage\.scsi"),
    ("volume append path (locks, SCO/TLog bookkeeping)", r"io\.stowage\.volume"),
    ("buffer pool / copies", r"BufferPool|DirectByteBuffer|Unsafe\.copyMemory|HeapByteBuffer"),
    ("thread hand-off / parking", r"LockSupport\.park|ThreadPoolExecutor|LinkedBlockingQueue|CompletableFuture"),
    ("logging", r"ch\.qos\.logback|org\.slf4j"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--bs", default="4k")
    ap.add_argument("--qd", type=int, default=32)
    ap.add_argument("--rw", default="randwrite", help="fio rw= (randwrite, randread, read, write, randrw, ...)")
    ap.add_argument("--mix", type=int, default=50, help="fio rwmixread= for randrw (percent reads)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--port", type=int, default=3395, help="portal port (another profile may hold the default)")
    ap.add_argument("--no-page-cache-fill", action="store_true", help="as bench.py's flag of that name")
    args = ap.parse_args()
    fio = subprocess.run(["bash", os.path.join(HERE, "build-fio.sh")], check=True, stdout=subprocess.PIPE,
                         text=True).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="stowage-profile.")
    jfr = os.path.join(work, "writes.jfr")
    conf = os.path.join(work, "stowage.conf")
    with open(conf, "w") as f:
        f.write(f"portal = 127.0.0.1:{args.port}\ndata-dir = {work}/var\nadmin.listen = off\ntarget.bench.iqn = iqn.2026-11.io.stowage:bench\n"
                "target.bench.lun.0 = bench\nvolume.bench.size = 1G\n")
    env = dict(os.environ)
    # free memory filled with clean page cache before the recording, as bench.py does
    fill = None if args.no_page_cache_fill else PageCacheFill(work)
    log = open(os.path.join(work, "stowage.log"), "w")
    p = subprocess.Popen([os.path.join(REPO, "stowage"), "serve", "--config", conf], stdout=log,
                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.time() + 120
        while "Stowage is serving" not in open(os.path.join(work, "stowage.log")).read():
            if time.time() > deadline or p.poll() is not None:
                raise RuntimeError(open(os.path.join(work, "stowage.log")).read())
            time.sleep(0.2)
        url = f"iscsi\\://127.0.0.1\\:{args.port}/iqn.2026-11.io.stowage\\:bench/0"
        if "read" in args.rw:
            subprocess.run([fio, "--name=fill", "--ioengine=libiscsi", "--filename=" + url, "--rw=write", "--bs=1M",
                            "--iodepth=8", "--thread", "--size=1g", "--refill_buffers", "--output-format=json"],
                           check=True, stdout=subprocess.DEVNULL)
        def load(name, seconds):
            return [fio, "--name=" + name, "--ioengine=libiscsi", "--filename=" + url, "--rw=" + args.rw,
                    "--bs=" + args.bs, f"--iodepth={args.qd}", f"--rwmixread={args.mix}", "--thread",
                    f"--runtime={seconds}", "--time_based", "--size=1g", "--output-format=json"]

        # an unmeasured run of the same workload first: a fresh JVM compiles its data path in its first seconds
        subprocess.run(load("warm-up", 5), check=True, stdout=subprocess.DEVNULL)
        if fill:
            fill.settle()
        # the recording starts now, after any fill, so it sees the measured workload only
        java = subprocess.run(["pgrep", "-f", f"io.stowage.node.Main serve --config {conf}"], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.split()[0]
        subprocess.run(["jcmd", java, "JFR.start", "name=profile", "settings=profile"], check=True,
                       stdout=subprocess.DEVNULL)
        out = subprocess.run(load("w", args.seconds), check=True, stdout=subprocess.PIPE, text=True).stdout
        job = json.loads(out[out.index("{"):])["jobs"][0]
        iops = round(job["read"]["iops"] + job["write"]["iops"])
        subprocess.run(["jcmd", java, "JFR.stop", "name=profile", "filename=" + jfr], check=True,
                       stdout=subprocess.DEVNULL)
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(120)
        if fill:
            os.remove(fill.path)  # its page cache goes with it; the rest of the work directory is kept for reading
    text = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample", "--stack-depth",
                           "64", jfr], check=True, stdout=subprocess.PIPE, text=True).stdout
    alloc_text = subprocess.run(["jfr", "print", "--events", "jdk.ObjectAllocationSample", "--stack-depth", "8", jfr],
                                check=True, stdout=subprocess.PIPE, text=True).stdout
    gc_text = subprocess.run(["jfr", "print", "--events", "jdk.GarbageCollection", jfr], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
    stages = collections.Counter()
    hot = collections.Counter()
    threads = collections.Counter()
    by_thread = collections.defaultdict(collections.Counter)
    total = 0
    for event in text.split("jdk.")[1:]:
        frames = re.findall(r"^\s+([\w.$<>]+)\(", event, re.M)
        thread = re.search(r'Thread = "([^"]*)"', event) or re.search(r"sampledThread = \"([^\"]*)\"", event)
        tname = re.sub(r"-?\d+$", "", thread.group(1)) if thread else "?"
        if not frames:
            continue
        waiting = event.startswith("NativeMethodSample") and re.search(r"EPoll|SocketDispatcher\.read|park", event)
        stage = "other"
        for name, pattern in STAGES:
            if any(re.search(pattern, f) for f in frames[:12]):
                stage = name
                break
        if waiting and stage in ("epoll / selector wait", "socket receive", "thread hand-off / parking"):
            continue  # a thread blocked in the kernel waiting for work is not CPU spent on the write path
        stages[stage] += 1
        hot[frames[0]] += 1
        threads[tname] += 1
        by_thread[tname][stage] += 1
        total += 1
    allocs = collections.Counter()
    alloc_total = 0
    for event in alloc_text.split("jdk.ObjectAllocationSample")[1:]:
        w = re.search(r"weight = ([0-9.]+) (bytes|kB|MB|GB)", event)
        cls = re.search(r"objectClass = ([\w.$\[\]]+)", event)
        frames = [f for f in re.findall(r"^\s+([\w.$<>]+)\(", event, re.M)
                  if not re.match(r"java\.|jdk\.|sun\.", f)][:1] or re.findall(r"^\s+([\w.$<>]+)\(", event, re.M)[:1]
        if not w or not frames:
            continue
        b = float(w.group(1)) * {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[w.group(2)]
        allocs[f"{cls.group(1) if cls else '?'} in {frames[0]}"] += b
        alloc_total += b
    pauses = [float(m) for m in re.findall(r"sumOfPauses = ([0-9.]+) ms", gc_text)]
    result = {"workload": f"fio libiscsi {args.bs} {args.rw} QD{args.qd}", "seconds": args.seconds, "iops": iops,
              "samples": total, "stages": {k: round(100 * v / total, 1) for k, v in stages.most_common()},
              "threads": {k: round(100 * v / total, 1) for k, v in threads.most_common(10)},
              "note": "pool-1-thread = MINA's I/O processor threads (network receive, PDU decode, command "
                      "submission, responses); JFR native samples count a thread inside a system call whether it "
                      "runs or waits in the kernel",
              "hot_methods": {k: round(100 * v / total, 1) for k, v in hot.most_common(15)},
              "allocation_mb_per_s": round(alloc_total / 1e6 / args.seconds, 1),
              "allocations": {k: round(100 * v / max(alloc_total, 1), 1) for k, v in allocs.most_common(10)},
              "gc": {"collections": len(pauses), "pause_ms_total": round(sum(pauses), 1),
                     "pause_ms_max": max(pauses, default=0)},
              "stages_by_thread": {t: {k: round(100 * v / total, 1) for k, v in c.most_common(4)}
                                   for t, c in by_thread.items() if threads[t] * 50 >= total}}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"profile-{args.rw}-{args.bs}-qd{args.qd}.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"{args.bs} {args.rw} QD{args.qd} for {args.seconds} s: {iops} IOPS; {total} CPU samples (JFR)")
    print("| stage | share of samples |\n|---|---:|")
    for k, v in result["stages"].items():
        print(f"| {k} | {v} % |")
    print("| **thread** | |")
    for k, v in result["threads"].items():
        top = ", ".join(f"{s} {p} %" for s, p in result["stages_by_thread"].get(k, {}).items())
        print(f"| {k} | {v} % | {top} |")
    print("| **hottest methods (innermost frame)** | |")
    for k, v in result["hot_methods"].items():
        print(f"| {k} | {v} % |")
    print(f"| **allocation ({result['allocation_mb_per_s']} MB/s sampled)** | |")
    for k, v in result["allocations"].items():
        print(f"| {k} | {v} % |")
    g = result["gc"]
    print(f"GC: {g['collections']} collections, {g['pause_ms_total']} ms paused in all, longest {g['pause_ms_max']} ms")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
