package io.stowage.rados;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DTL on a real Ceph cluster: node loss after a flush loses nothing (another node, another RADOS client, an
 * empty cache), and what a flush costs with the DTL on and off (printed: FLUSH p50/p99, a 4 KiB RADOS write round
 * trip for reference, 4 KiB random writes at QD32 with a FLUSH every 32 writes).
 */
class RadosDtlIT {
    static CephCluster ceph;
    @TempDir Path tmp;

    @BeforeAll
    static void cluster() throws Exception {
        ceph = CephCluster.get();
    }

    /** Nothing is committed while the test runs: one big TLog that is never old enough. */
    static final VolumeConfig NO_COMMITS = new VolumeConfig(1024, 64, 600_000, 256L << 20, 256L << 20, 64L << 20);

    @Test
    void nodeLossAfterAFlushLosesNothing() throws Exception {
        RadosBackendConfig rc = ceph.config(CephCluster.uniquePrefix("dtl-it"));
        byte[] data = new byte[3 << 20];
        new Random(1).nextBytes(data);
        try (RadosBackend nodeA = new RadosBackend(rc); RadosBackend nodeB = new RadosBackend(rc)) {
            VolumeEngine a = new VolumeEngine(tmp.resolve("a"), nodeA, NO_COMMITS.withDtl(true));
            a.create("v", 64 << 20);
            Volume v = a.open("v");
            v.write(0, ByteBuffer.wrap(data), false);
            v.flush();
            // node A is lost, its cache with it: nothing of it is used again (B blocklists its client)
            assertTrue(nodeB.volume("v").list("tlog.").isEmpty(), "nothing was committed: the DTL must carry it");
            VolumeEngine b = new VolumeEngine(tmp.resolve("b"), nodeB, NO_COMMITS.withDtl(true));
            try (Volume nv = b.open("v")) { // blocklists A, bumps the epoch, fences and replays A's DTL
                ByteBuffer got = ByteBuffer.allocate(data.length);
                nv.read(0, got);
                assertArrayEquals(data, got.array(), "every flushed write, from the DTL in RADOS");
            }
            b.delete("v");
        }
    }

    @Test
    void flushCostWithTheDtlOnAndOff() throws Exception {
        RadosBackendConfig rc = ceph.config(CephCluster.uniquePrefix("dtl-cost"));
        try (RadosBackend backend = new RadosBackend(rc)) {
            ObjectStore raw = backend.volume("probe");
            ByteBuffer block = ByteBuffer.allocateDirect(4096);
            long[] put = new long[200];
            for (int i = 0; i < put.length; i++) {
                long t0 = System.nanoTime();
                raw.putExclusive("probe." + i, block.duplicate());
                put[i] = System.nanoTime() - t0;
            }
            for (int i = 0; i < put.length; i++) raw.delete("probe." + i);
            System.out.printf("DTL cost: 4 KiB RADOS exclusive-create round trip p50 %.2f ms, p99 %.2f ms; "
                    + "`rados bench` 4 KiB writes, one in flight: %s%n", p(put, 50), p(put, 99), radosBench(rc));
            for (boolean dtl : new boolean[] {false, true}) {
                VolumeConfig cfg = VolumeConfig.DEFAULT.withDtl(dtl);
                VolumeEngine e = new VolumeEngine(tmp.resolve("c" + dtl), backend, cfg);
                String name = "v" + dtl;
                e.create(name, 1L << 30);
                try (Volume v = e.open(name)) {
                    long[] flush = new long[300];
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    for (int i = 0; i < flush.length; i++) {
                        v.write(4096L * ThreadLocalRandom.current().nextInt(1 << 18), b.clear(), false);
                        long t0 = System.nanoTime();
                        v.flush();
                        flush[i] = System.nanoTime() - t0;
                    }
                    double iops = qd32(v, 8_000);
                    System.out.printf("DTL cost: dtl=%s FLUSH after a 4 KiB write p50 %.2f ms, p99 %.2f ms; "
                            + "4k randwrite QD32, FLUSH every 32: %.0f IOPS%n", dtl ? "backend" : "off",
                            p(flush, 50), p(flush, 99), iops);
                }
                e.delete(name);
            }
        }
    }

    /** The yardstick: `rados bench` 4 KiB writes one at a time on the same pool, its average latency. */
    private static String radosBench(RadosBackendConfig rc) throws Exception {
        Process p = new ProcessBuilder("rados", "-c", rc.cephConf().toString(), "-p", rc.pool(), "bench", "3",
                "write", "-t", "1", "-b", "4096", "--run-name", "dtl-it").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        new ProcessBuilder("rados", "-c", rc.cephConf().toString(), "-p", rc.pool(), "cleanup", "--run-name",
                "dtl-it").redirectErrorStream(true).start().waitFor();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Average Latency\\(s\\):\\s+([0-9.]+)")
                .matcher(out);
        return m.find() ? String.format("%.2f ms average", Double.parseDouble(m.group(1)) * 1000) : "not measured";
    }

    /** 32 writers of random 4 KiB blocks; every 32nd write (over all of them) is followed by a FLUSH. */
    private static double qd32(Volume v, long millis) throws Exception {
        AtomicLong writes = new AtomicLong();
        long end = System.nanoTime() + millis * 1_000_000;
        Thread[] t = new Thread[32];
        Throwable[] failed = new Throwable[1];
        for (int i = 0; i < t.length; i++) {
            t[i] = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(4096);
                try {
                    while (System.nanoTime() < end) {
                        v.write(4096L * ThreadLocalRandom.current().nextInt(1 << 18), b.clear(), false);
                        if (writes.incrementAndGet() % 32 == 0) v.flush();
                    }
                } catch (IOException e) {
                    failed[0] = e;
                }
            });
            t[i].start();
        }
        for (Thread x : t) x.join();
        if (failed[0] != null) throw new AssertionError(failed[0]);
        return writes.get() * 1000.0 / millis;
    }

    private static double p(long[] nanos, int pct) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * pct / 100)] / 1e6;
    }
}
