package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.rados.CephCluster;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./stowage serve} with {@code backend = rados} on a real single-node Ceph cluster (started by
 * tests/ceph/cluster.sh for this JVM), driven by real initiators: QEMU's write/read-back check, the libiscsi
 * conformance suite, and an OSD outage of 60 s under a steady iSCSI write load followed by a backend restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RadosIT {
    static final long REGION = 1L << 30; // the outage test's data lives at 1 GiB, away from the conformance tests
    static final int CHUNK = 4 << 20;
    static final int CHUNKS = 32;
    @TempDir static Path dir;
    static CephCluster ceph;
    static Path config;
    static StowageProcess server;

    @BeforeAll
    static void start() throws Exception {
        ceph = CephCluster.get();
        config = dir.resolve("stowage.conf");
        Files.writeString(config, String.join("\n",
                "backend = rados",
                "rados.conf = " + ceph.conf,
                "rados.pool = stowage",
                "rados.object-prefix = " + CephCluster.uniquePrefix("it"),
                "rados.timeout-seconds = 5",
                "engine.dirty-limit = 64M",
                "engine.tlog-max-age = 1",
                "volume.demo.size = 8G",
                "target.demo.lun.0 = demo", ""));
        server = StowageProcess.start("rados", dir.resolve("var"), "--config", config.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    @Order(1)
    void qemuWritesRandomDataThatReadsBackIdentical() throws Exception {
        LibiscsiToolsIT.writeAndVerify(server, dir, 64 << 20);
    }

    @Test
    @Order(2)
    void libiscsiConformanceSuiteOnRados() throws Exception {
        ConformanceIT.checkSuite(server, ConformanceIT.reportPath().resolveSibling("iscsi-test-cu-rados.json"),
                "iscsi-test-cu-rados");
    }

    /**
     * Rounds of 4 MiB random writes (qemu-img, one process each, about one per second) run for 80 s; the OSD is
     * stopped from 5 s to 65 s. No round may fail. Writes slow down once the dirty budget (64 MiB) is full, the
     * uploads catch up after the OSD returns, and the data verifies — over iSCSI, and again after a restart
     * with the node's cache wiped (a backend restart from RADOS alone).
     */
    @Test
    @Order(3)
    void anOsdOutageUnderWriteLoadCausesNoIoErrorAndNoDataLoss() throws Exception {
        Path expected = dir.resolve("expected.img");
        try (RandomAccessFile f = new RandomAccessFile(expected.toFile(), "rw")) {
            f.setLength((long) CHUNK * CHUNKS);
        }
        Path chunk = dir.resolve("chunk.img");
        Random rnd = new Random(5);
        byte[] data = new byte[CHUNK];
        long t0 = System.nanoTime();
        CompletableFuture<Void> outage = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(5_000);
                ceph.stopOsd();
                Thread.sleep(60_000);
                ceph.startOsd();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        int rounds = 0;
        long slowest = 0;
        while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(80) || !outage.isDone()) {
            int slot = rounds % CHUNKS;
            rnd.nextBytes(data);
            Files.write(chunk, data);
            long r0 = System.nanoTime();
            Tools.run(300, "qemu-img", "convert", "-n", "-f", "raw", "--target-image-opts",
                    chunk.toString(), target(REGION + (long) slot * CHUNK, CHUNK)).ok();
            slowest = Math.max(slowest, System.nanoTime() - r0);
            try (RandomAccessFile f = new RandomAccessFile(expected.toFile(), "rw")) {
                f.seek((long) slot * CHUNK);
                f.write(data);
            }
            rounds++;
            long next = t0 + TimeUnit.SECONDS.toNanos(rounds);
            long wait = next - System.nanoTime();
            if (wait > 0) Thread.sleep(wait / 1_000_000);
        }
        outage.get(60, TimeUnit.SECONDS);
        System.out.println("RadosIT: " + rounds + " write rounds of 4 MiB across a 60 s OSD outage, none failed; "
                + "slowest round " + slowest / 1_000_000 + " ms");
        assertTrue(rounds >= 40, "the load kept running: " + rounds + " rounds");
        verifyRegion(expected);
        String log = server.output();
        assertTrue(log.contains("writes wait for the uploads"), "the dirty budget filled and writes were slowed");
        assertTrue(log.contains("uploads resumed"), "uploads caught up after the outage");

        // everything reached RADOS: a restart with the cache wiped still has it
        assertEquals(0, server.stop());
        deleteTree(dir.resolve("var").resolve("cache"));
        server = StowageProcess.start("rados-restarted", dir.resolve("var"), "--config", config.toString());
        verifyRegion(expected);
        assertTrue(server.output().contains("committed TLog(s) replayed from the backend"), server.output());
    }

    /**
     * Two nodes on one pool: node B opens the volume node A serves. A's client is blocklisted and its next upload
     * is refused, so A halts the volume and its initiator gets I/O errors; B serves what A had committed, not the
     * write A acknowledged after the takeover.
     */
    @Test
    @Order(4)
    void aSecondNodeTakesTheVolumeOverAndTheFirstIsFenced() throws Exception {
        long at = 2L << 30;
        Path committed = dir.resolve("committed.img");
        Path late = dir.resolve("late.img");
        Random rnd = new Random(8);
        byte[] data = new byte[CHUNK];
        rnd.nextBytes(data);
        Files.write(committed, data);
        rnd.nextBytes(data);
        Files.write(late, data);
        Tools.run(300, "qemu-img", "convert", "-n", "-f", "raw", "--target-image-opts", committed.toString(),
                target(server, at, CHUNK)).ok();
        Thread.sleep(5_000); // engine.tlog-max-age = 1: the TLog is closed and committed meanwhile

        try (StowageProcess nodeB = StowageProcess.start("rados-node-b", dir.resolve("var-b"), "--config",
                config.toString())) {
            assertTrue(nodeB.output().contains("opened (epoch"), nodeB.output());
            // A does not know yet: its writes land in its cache until its next upload is refused
            boolean failed = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!failed && System.nanoTime() < deadline) {
                failed = Tools.run(120, "qemu-img", "convert", "-n", "-f", "raw", "--target-image-opts",
                        late.toString(), target(server, at, CHUNK)).exit() != 0;
                if (!failed) Thread.sleep(1_000);
            }
            assertTrue(failed, "node A's initiator gets I/O errors once A is fenced");
            assertTrue(server.output().contains("halted"), "node A logs why it halted the volume");
            String json = "json:{\"driver\":\"raw\",\"offset\":" + at + ",\"size\":" + CHUNK
                    + ",\"file\":{\"driver\":\"iscsi\",\"transport\":\"tcp\",\"portal\":\"" + nodeB.portal()
                    + "\",\"target\":\"" + StowageProcess.IQN + "\",\"lun\":0}}";
            String cmp = Tools.run(300, "qemu-img", "compare", "-f", "raw", "-F", "raw", committed.toString(), json)
                    .ok().output();
            assertTrue(cmp.contains("Images are identical"), "node B serves what A committed: " + cmp);
        }
    }

    private static void verifyRegion(Path expected) throws Exception {
        String json = "json:{\"driver\":\"raw\",\"offset\":" + REGION + ",\"size\":" + (long) CHUNK * CHUNKS
                + ",\"file\":{\"driver\":\"iscsi\",\"transport\":\"tcp\",\"portal\":\"" + server.portal()
                + "\",\"target\":\"" + StowageProcess.IQN + "\",\"lun\":0}}";
        String cmp = Tools.run(300, "qemu-img", "compare", "-f", "raw", "-F", "raw", expected.toString(), json)
                .ok().output();
        assertTrue(cmp.contains("Images are identical"), cmp);
    }

    private static String target(long offset, int size) {
        return target(server, offset, size);
    }

    private static String target(StowageProcess node, long offset, int size) {
        return "driver=raw,offset=" + offset + ",size=" + size + ",file.driver=iscsi,file.transport=tcp,file.portal="
                + node.portal() + ",file.target=" + StowageProcess.IQN + ",file.lun=0";
    }

    private static void deleteTree(Path p) throws Exception {
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
