package io.stowage.rados;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The volume engine on a real Ceph cluster: backend restart, fencing between two nodes, an OSD outage. */
class RadosVolumeIT {
    static final int BLOCK = 4096;
    static CephCluster ceph;
    @TempDir Path tmp;

    @BeforeAll
    static void cluster() throws Exception {
        ceph = CephCluster.get();
    }


    private static byte[] read(Volume v, long offset, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        v.read(offset, b);
        return b.array();
    }

    @Test
    void aNodeWithoutItsCacheRestartsFromRadosAloneAfterScrubbing() throws Exception {
        // 1 MiB SCOs and a 2 MiB cache: most reads after the restart are ranged reads of RADOS objects
        VolumeConfig cfg = new VolumeConfig(256, 4, 200, 64L << 20, 2L << 20, 64L << 20);
        RadosBackendConfig rc = ceph.config(CephCluster.uniquePrefix("vol-it"));
        byte[] image = new byte[32 << 20];
        try (RadosBackend backend = new RadosBackend(rc)) {
            VolumeEngine engine = new VolumeEngine(tmp.resolve("cache"), backend, cfg);
            engine.create("v", image.length);
            Random rnd = new Random(1);
            try (Volume v = engine.open("v")) {
                for (int i = 0; i < 600; i++) {
                    int len = BLOCK * (1 + rnd.nextInt(64));
                    int off = BLOCK * rnd.nextInt((image.length - len) / BLOCK);
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    System.arraycopy(data, 0, image, off, len);
                    v.write(off, ByteBuffer.wrap(data), false);
                }
                v.unmap(0, 1 << 20);
                Arrays.fill(image, 0, 1 << 20, (byte) 0);
                v.syncToBackend(60_000);
                int before = backend.volume("v").list("sco.").size();
                Volume.ScrubResult scrubbed = v.scrub(0.9, 1000);
                int after = backend.volume("v").list("sco.").size();
                assertTrue(scrubbed.scosDeleted() > 0, "overwritten SCOs were scrubbed: " + scrubbed);
                assertTrue(after < before, "RADOS holds fewer SCO objects: " + before + " -> " + after);
                assertArrayEquals(image, read(v, 0, image.length), "scrubbing changed no data");
            } // close syncs to the backend
            engine.dropCache("v"); // the cache and LMDB are gone: only RADOS is left
        }
        try (RadosBackend backend = new RadosBackend(rc)) {
            VolumeEngine engine = new VolumeEngine(tmp.resolve("other-node-cache"), backend, cfg);
            try (Volume v = engine.open("v")) {
                assertArrayEquals(image, read(v, 0, image.length), "the volume as of its last commit");
            }
            engine.delete("v");
            assertTrue(backend.volume("v").list("").isEmpty());
        }
    }

    /** A thin clone on RADOS reads its parent's snapshot in place, while the parent is overwritten, and opens from RADOS alone. */
    @Test
    void aCloneReadsItsParentsSnapshotFromRadosAndOpensFromRadosAlone() throws Exception {
        VolumeConfig cfg = new VolumeConfig(256, 4, 200, 64L << 20, 2L << 20, 64L << 20);
        RadosBackendConfig rc = ceph.config(CephCluster.uniquePrefix("clone-it"));
        byte[] image = new byte[8 << 20];
        new Random(3).nextBytes(image);
        byte[] own = new byte[BLOCK];
        Arrays.fill(own, (byte) 'C');
        try (RadosBackend backend = new RadosBackend(rc)) {
            VolumeEngine engine = new VolumeEngine(tmp.resolve("cache"), backend, cfg);
            engine.create("p", image.length);
            try (Volume p = engine.open("p")) {
                p.write(0, ByteBuffer.wrap(image), false);
                p.snapshots().create("s");
                p.write(0, ByteBuffer.wrap(new byte[image.length]), false); // overwritten with zeros
                long t0 = System.nanoTime();
                engine.clone("p", "s", "c");
                System.out.printf("CLONE-TIME rados, 8 MiB written: clone %d ms%n", (System.nanoTime() - t0) / 1_000_000);
                p.syncToBackend(60_000);
                p.scrub(1.0, 1000);
                try (Volume c = engine.open("c")) {
                    c.write(0, ByteBuffer.wrap(own), false);
                    System.arraycopy(own, 0, image, 0, BLOCK);
                    assertArrayEquals(image, read(c, 0, image.length), "the snapshot's data, read from p's objects");
                }
            }
            engine.dropCache("c");
            engine.dropCache("p");
        }
        try (RadosBackend backend = new RadosBackend(rc)) {
            VolumeEngine engine = new VolumeEngine(tmp.resolve("other-node-cache"), backend, cfg);
            try (Volume c = engine.open("c")) {
                assertArrayEquals(image, read(c, 0, image.length), "the clone from RADOS alone");
            }
            assertThrows(IllegalArgumentException.class, () -> engine.delete("p"), "p has a clone");
            engine.delete("c");
            engine.delete("p");
        }
    }

    /**
     * Node A writes under load with uploads running all the time; node B takes the volume over. A's later
     * uploads and header commits are refused, A halts the volume, and B sees only what A had committed plus its
     * own writes — also after B restarts from RADOS alone.
     */
    @Test
    void aTakeoverFencesTheFormerOwnerUnderLoad() throws Exception {
        VolumeConfig cfg = new VolumeConfig(16, 2, 50, 64L << 20, 64L << 20, 64L << 20);
        RadosBackendConfig rc = ceph.config(CephCluster.uniquePrefix("vol-it"));
        int blocks = 1024;
        try (RadosBackend nodeA = new RadosBackend(rc); RadosBackend nodeB = new RadosBackend(rc)) {
            VolumeEngine a = new VolumeEngine(tmp.resolve("a"), nodeA, cfg);
            VolumeEngine b = new VolumeEngine(tmp.resolve("b"), nodeB, cfg);
            a.create("v", (long) blocks * BLOCK);
            Volume va = a.open("v");
            AtomicLongArray acked = new AtomicLongArray(blocks); // newest acknowledged write number per block
            for (int i = 0; i < blocks; i++) acked.set(i, -1);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<IOException> writerFailure = new AtomicReference<>();
            CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
                ByteBuffer buf = ByteBuffer.allocate(BLOCK);
                long n = 0;
                while (!stop.get()) {
                    int block = (int) (n % blocks);
                    buf.clear();
                    while (buf.hasRemaining()) buf.putLong(n).putLong(block);
                    try {
                        va.write((long) block * BLOCK, buf.flip(), false);
                        if (n % 16 == 15) va.flush();
                    } catch (IOException e) {
                        writerFailure.set(e);
                        return n;
                    }
                    acked.set(block, n);
                    n++;
                }
                return n;
            });
            Thread.sleep(1500);
            long[] committed = new long[blocks];
            for (int i = 0; i < blocks; i++) committed[i] = acked.get(i);
            va.syncToBackend(60_000); // everything acknowledged before this call is committed now
            Thread.sleep(500);
            assertNull(writerFailure.get(), "A runs without errors before the takeover");

            Volume vb = b.open("v"); // takeover: blocklists A's client, bumps the epoch
            byte[] atTakeover = read(vb, 0, blocks * BLOCK);
            for (int i = 0; i < blocks; i++) {
                ByteBuffer blk = ByteBuffer.wrap(atTakeover, i * BLOCK, BLOCK);
                long n = blk.getLong();
                long tag = blk.getLong();
                if (committed[i] < 0 && n == 0 && tag == 0) continue; // never written before the sync
                assertEquals(i, tag, "block " + i + " holds data A wrote for it");
                assertEquals(i, n % blocks, "block " + i + " holds one of A's writes");
                assertTrue(n >= committed[i], "block " + i + ": write " + committed[i]
                        + " was committed before the takeover but B sees " + n);
            }

            // A keeps writing until its next upload is refused; then the volume halts and its I/O fails
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (writerFailure.get() == null && System.nanoTime() < deadline) Thread.sleep(50);
            stop.set(true);
            writer.get(60, TimeUnit.SECONDS);
            assertNotNull(writerFailure.get(), "the fenced node's writes fail once its volume halts");
            assertTrue(writerFailure.get().getMessage().contains("halted"), writerFailure.get().getMessage());
            assertThrows(IOException.class, () -> va.syncToBackend(5_000), "A can never commit again");
            va.close();

            // B's own writes, then B restarts from RADOS alone: A's later writes never landed
            byte[] own = new byte[64 * BLOCK];
            new Random(2).nextBytes(own);
            vb.write(0, ByteBuffer.wrap(own), false);
            System.arraycopy(own, 0, atTakeover, 0, own.length);
            vb.close();
            b.dropCache("v");
            try (Volume again = b.open("v")) {
                assertArrayEquals(atTakeover, read(again, 0, blocks * BLOCK),
                        "B's view: A's data committed before the takeover plus B's own writes");
            }
            b.delete("v");
        }
    }

    /** The OSD goes away under writes: they keep landing in the cache, uploads retry and catch up afterwards. */
    @Test
    void writesRideThroughAnOsdOutage() throws Exception {
        VolumeConfig cfg = new VolumeConfig(256, 2, 100, 256L << 20, 256L << 20, 64L << 20);
        RadosBackendConfig rc = ceph.config(CephCluster.uniquePrefix("vol-it"));
        byte[] image = new byte[48 << 20];
        new Random(3).nextBytes(image);
        try (RadosBackend backend = new RadosBackend(rc)) {
            VolumeEngine engine = new VolumeEngine(tmp.resolve("cache"), backend, cfg);
            engine.create("v", image.length);
            try (Volume v = engine.open("v")) {
                v.write(0, ByteBuffer.wrap(image, 0, 8 << 20), false);
                v.syncToBackend(60_000);
                ceph.stopOsd();
                try {
                    long t0 = System.nanoTime();
                    for (int off = 8 << 20; off < image.length; off += 1 << 20) {
                        v.write(off, ByteBuffer.wrap(image, off, 1 << 20), false);
                        v.flush();
                    }
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertTrue(ms < 20_000, "writes within the dirty budget do not wait for the backend: " + ms);
                    Thread.sleep(8_000); // uploads time out and retry meanwhile
                    assertTrue(v.dirtyBytes() >= (32L << 20), "data waits in the cache: " + v.dirtyBytes());
                } finally {
                    ceph.startOsd();
                }
                v.syncToBackend(120_000);
                assertEquals(0, v.dirtyBytes(), "uploads caught up");
            }
            engine.dropCache("v");
            try (Volume v = engine.open("v")) {
                assertArrayEquals(image, read(v, 0, image.length), "all data verifies from RADOS");
            }
            engine.delete("v");
        }
    }
}
