package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata and memory grow with the clusters actually mapped, never with the size of a discarded or copied range
 * (docs/volume-engine.md, "Metadata and memory bounds").
 */
class MetadataBoundsTest {
    static final long GIB = 1L << 30;
    /** A TLog only rolls when its SCOs fill or after an hour: discards stay in the overlay for the whole test. */
    static final VolumeConfig LONG_LIVED = new VolumeConfig(1024, 8, 3_600_000, 256L << 20, 2L << 30, 64L << 20);
    @TempDir Path dir;

    private static ByteBuffer cluster(int seed) {
        ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
        for (int i = 0; i < Volume.CLUSTER; i++) b.put(i, (byte) (seed * 31 + i));
        return b;
    }

    private static void assertCluster(Volume v, long address, ByteBuffer expected) throws Exception {
        ByteBuffer got = ByteBuffer.allocate(Volume.CLUSTER);
        v.read(address * Volume.CLUSTER, got);
        assertEquals(expected.duplicate().clear(), got.flip(), "cluster " + address);
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocate(Volume.CLUSTER);

    @Test
    void unmappingAWholeSparseVolumeKeepsTheOverlaySmall() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                LONG_LIVED);
        engine.create("v", 4 * GIB);
        try (Volume v = engine.open("v")) {
            long[] written = {0, 12_345, 262_144, 1_048_575};
            for (int i = 0; i < written.length; i++) v.write(written[i] * Volume.CLUSTER, cluster(i), false);
            v.syncToBackend(30_000); // the writes are in LMDB now: the discard must delete them there too
            v.write(500_000L * Volume.CLUSTER, cluster(9), false); // and one still in the overlay

            v.unmap(0, 4 * GIB);
            assertTrue(v.map.overlaySize() < 16, "overlay entries after unmapping 4 GiB: " + v.map.overlaySize());
            for (long a : written) assertCluster(v, a, ZEROS);
            assertCluster(v, 500_000, ZEROS);

            assertEquals(1, v.allocationRuns(0, 1 << 20).size(), "GET LBA STATUS: one deallocated run");
            v.write(12_345L * Volume.CLUSTER, cluster(7), false); // a write after the discard, same TLog
            assertCluster(v, 12_345, cluster(7));
            List<long[]> runs = v.allocationRuns(0, 1 << 20);
            assertEquals(3, runs.size());
            assertArrayEquals(new long[] {1, 1}, runs.get(1), "the one mapped cluster after the discard");
            v.syncToBackend(30_000);
            assertCluster(v, 12_345, cluster(7));
            assertCluster(v, 0, ZEROS);
            assertTrue(v.map.overlaySize() < 16, "overlay after the commit: " + v.map.overlaySize());
            ClusterMap.Mapping[] committed = new ClusterMap.Mapping[1];
            for (long a : new long[] {0, 262_144, 1_048_575, 500_000}) {
                v.map.lookupCommitted(a, committed);
                assertNull(committed[0], "LMDB still maps discarded cluster " + a);
            }
        }
        try (Volume v = engine.open("v")) {
            assertCluster(v, 12_345, cluster(7));
            assertCluster(v, 1_048_575, ZEROS);
        }
    }

    @Test
    void aDiscardReplayedFromALocalTlogIsOneRange() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                LONG_LIVED);
        engine.create("v", 4 * GIB);
        Volume v = engine.open("v");
        v.write(7L * Volume.CLUSTER, cluster(1), false);
        v.unmap(0, 4 * GIB);
        v.write(9L * Volume.CLUSTER, cluster(2), false);
        v.flush();
        v.abandon(); // a crash: recovery replays the local TLog into the overlay
        try (Volume again = engine.open("v")) {
            assertTrue(again.map.overlaySize() < 16, "overlay after replay: " + again.map.overlaySize());
            assertCluster(again, 7, ZEROS);
            assertCluster(again, 9, cluster(2));
        }
    }

    @Test
    void aCopyCostsOneEntryPerMappedClusterAndOneRangePerUnmappedRun() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                LONG_LIVED);
        engine.create("v", GIB);
        try (Volume v = engine.open("v")) {
            v.write(3L * Volume.CLUSTER, cluster(3), false);
            v.write(70_000L * Volume.CLUSTER, cluster(4), false);
            v.write(131_072L * Volume.CLUSTER, cluster(5), false); // at the destination: the copy zeroes it
            int before = v.map.overlaySize();
            v.copyClusters(0, 131_072, 131_072);
            int added = v.map.overlaySize() - before;
            assertTrue(added < 2_000, "overlay entries added by a copy of 131,072 mostly unmapped clusters: " + added);
            assertCluster(v, 131_072 + 3, cluster(3));
            assertCluster(v, 131_072 + 70_000, cluster(4));
            assertCluster(v, 131_072, ZEROS);
            v.syncToBackend(30_000);
            assertCluster(v, 131_072 + 70_000, cluster(4));
            assertCluster(v, 131_072, ZEROS);
        }
    }

    @Test
    void discardsAndCopiesCountTowardTheDirtyBudget() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                LONG_LIVED);
        engine.create("v", GIB);
        try (Volume v = engine.open("v")) {
            v.write(0, cluster(1), false);
            v.syncToBackend(30_000);
            assertEquals(0, v.dirtyBytes());
            for (int i = 0; i < 100; i++) v.discardClusters(10 + 2L * i, 1);
            long afterDiscards = v.dirtyBytes();
            assertTrue(afterDiscards >= 100 * 32, "uncommitted discards count as dirty: " + afterDiscards);
            v.copyClusters(0, 1000, 1);
            assertTrue(v.dirtyBytes() > afterDiscards, "an uncommitted REMAP counts as dirty");
            v.syncToBackend(30_000);
            assertEquals(0, v.dirtyBytes(), "committed metadata no longer counts");
        }
    }

    @Test
    void aScrubPassWalksTheMappedClustersNotTheVolume() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                new VolumeConfig(16, 1, 3_600_000, 256L << 20, 2L << 30, 64L << 20));
        engine.create("v", 64 * GIB); // 16 M clusters, a handful mapped
        try (Volume v = engine.open("v")) {
            for (int i = 0; i < 32; i++) v.write((i * 500_009L) * Volume.CLUSTER, cluster(i), false);
            v.syncToBackend(30_000);
            for (int i = 0; i < 32; i += 2) v.write((i * 500_009L) * Volume.CLUSTER, cluster(100 + i), false);
            v.unmap(3 * 500_009L * Volume.CLUSTER, GIB);
            v.syncToBackend(30_000); // the first SCOs are now half overwritten
            long t0 = System.nanoTime();
            Volume.ScrubResult r = v.scrub(0.75, 64);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(r.scosDeleted() > 0, "scrubbing found the overwritten SCOs: " + r);
            assertTrue(ms < 3_000, "a scrub pass over a 64 GiB volume with 32 clusters mapped took " + ms + " ms");
            for (int i = 0; i < 32; i++) {
                assertCluster(v, i * 500_009L, i == 3 ? ZEROS : cluster(i % 2 == 0 ? 100 + i : i));
            }
        }
    }

    @Test
    void duringABackendOutageDiscardsWaitForTheBudgetInsteadOfGrowingTheOverlay() throws Exception {
        DurabilityContractTest.FlakyBackend backend = new DurabilityContractTest.FlakyBackend(dir.resolve("objects"));
        // 64 KiB of dirty budget = 512 metadata entries; TLogs roll on age (50 ms) and on metadata
        VolumeConfig small = new VolumeConfig(16, 2, 50, 64L << 10, 1L << 20, 64L << 20);
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), backend, small);
        engine.create("v", GIB);
        try (Volume v = engine.open("v")) {
            backend.down = true;
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.CompletableFuture<Void> discards = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 5_000; i++) {
                        v.discardClusters(3L * i, 1);
                        done.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(1_000);
            assertFalse(discards.isDone(), "discards beyond the dirty limit wait while the backend is down");
            assertTrue(done.get() < 1_000, "discards done while the backend is down: " + done.get());
            assertTrue(v.map.overlaySize() < 1_000, "overlay while the backend is down: " + v.map.overlaySize());
            backend.down = false;
            discards.get(60, java.util.concurrent.TimeUnit.SECONDS);
            v.syncToBackend(30_000);
            assertEquals(0, v.dirtyBytes());
        }
    }
}
