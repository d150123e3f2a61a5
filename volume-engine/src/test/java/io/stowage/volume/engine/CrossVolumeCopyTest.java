package io.stowage.volume.engine;

import static io.stowage.volume.engine.SnapshotTest.assertCluster;
import static io.stowage.volume.engine.SnapshotTest.fill;
import static io.stowage.volume.engine.SnapshotTest.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.log.ClusterLocation;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EXTENDED COPY between a clone and its parent (or a sibling clone) remaps the clusters they share. */
class CrossVolumeCopyTest {
    static final int N = 16;
    @TempDir Path dir;

    @Test
    void aCopyBetweenACloneAndItsParentOrASiblingRemapsWhatTheyShareAndCopiesTheRest() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                SnapshotTest.CONFIG);
        long size = (long) SnapshotTest.CLUSTERS * Volume.CLUSTER;
        engine.create("p", size);
        engine.create("other", size);
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (Volume p = engine.open("p")) {
            fill(p, 'A');
            p.snapshots().create("s");
            p.syncToBackend(30_000);
            fill(p, 'B');
            engine.clone("p", "s", "c");
            engine.clone("p", "s", "sibling");
            try (Volume c = engine.open("c"); Volume sib = engine.open("sibling"); Volume q = engine.open("other")) {
                c.write(0, ByteBuffer.wrap(filled(Volume.CLUSTER, 'C')), false); // the clone's own data
                VolumeBlockDevice pd = new VolumeBlockDevice(p, io, false);
                VolumeBlockDevice cd = new VolumeBlockDevice(c, io, false);
                VolumeBlockDevice sd = new VolumeBlockDevice(sib, io, false);
                VolumeBlockDevice qd = new VolumeBlockDevice(q, io, false);
                long bytes = (long) N * Volume.CLUSTER;

                // clone -> parent: the snapshot's clusters are the parent's own SCOs again (depth 0)
                assertTrue(pd.copyFrom(cd, 0, 0, bytes).toCompletableFuture().get());
                assertCluster(p, 0, 'C');
                for (int i = 1; i < N; i++) {
                    assertCluster(p, i, 'A');
                    long fromClone = c.map.get(i).location();
                    assertEquals(1, ClusterLocation.cloneDepth(fromClone));
                    assertEquals(fromClone - (1L << 56), p.map.get(i).location(), "cluster " + i + " remapped");
                }
                assertCluster(p, N, 'B');
                assertEquals(0, ClusterLocation.cloneDepth(p.map.get(0).location()));

                // clone -> sibling (a clone of the same snapshot): shared at depth 1
                assertTrue(sd.copyFrom(cd, 0, bytes, bytes).toCompletableFuture().get());
                assertCluster(sib, N, 'C');
                for (int i = 1; i < N; i++) {
                    assertEquals(c.map.get(i).location(), sib.map.get(N + i).location());
                    assertCluster(sib, N + i, 'A');
                }

                // unrelated volumes share nothing: the caller copies the data
                assertFalse(qd.copyFrom(cd, 0, 0, bytes).toCompletableFuture().get());
                p.syncToBackend(30_000);
                sib.syncToBackend(30_000);
            }
        } finally {
            io.shutdown();
        }
        engine.dropCache("p");
        engine.dropCache("sibling");
        try (Volume p = engine.open("p"); Volume sib = engine.open("sibling")) { // from the backend alone
            assertCluster(p, 0, 'C');
            for (int i = 1; i < N; i++) assertCluster(p, i, 'A');
            assertCluster(p, N, 'B');
            assertCluster(sib, N, 'C');
            for (int i = 1; i < N; i++) assertCluster(sib, N + i, 'A');
        }
    }

    /**
     * Parent -> clone: a parent's cluster that the clone's snapshot still holds (its SCO is one the snapshot
     * references, so the parent's scrubber keeps it) is remapped into the clone one depth down; a cluster the parent
     * wrote after the snapshot is copied as data. The clone reads the same after the parent's scrub and from the
     * backend alone.
     */
    @Test
    void aCopyFromAParentIntoItsCloneRemapsWhatTheSnapshotHolds() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                SnapshotTest.CONFIG);
        long size = (long) SnapshotTest.CLUSTERS * Volume.CLUSTER;
        engine.create("p", size);
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (Volume p = engine.open("p")) {
            fill(p, 'A');
            p.snapshots().create("s");
            p.syncToBackend(30_000);
            p.write(0, ByteBuffer.wrap(filled(N * Volume.CLUSTER, 'B')), false); // after the snapshot
            engine.clone("p", "s", "c");
            try (Volume c = engine.open("c")) {
                VolumeBlockDevice pd = new VolumeBlockDevice(p, io, false);
                VolumeBlockDevice cd = new VolumeBlockDevice(c, io, false);
                long bytes = 2L * N * Volume.CLUSTER;
                int dst = 2 * N;
                assertTrue(cd.copyFrom(pd, 0, (long) dst * Volume.CLUSTER, bytes).toCompletableFuture().get(),
                        "parent and clone share the snapshot's clusters");
                for (int i = 0; i < N; i++) {
                    assertCluster(c, dst + i, 'B');
                    assertEquals(0, ClusterLocation.cloneDepth(c.map.get(dst + i).location()),
                            "cluster " + i + " was written after the snapshot: copied");
                }
                for (int i = N; i < 2 * N; i++) {
                    assertCluster(c, dst + i, 'A');
                    assertEquals(p.map.get(i).location() + (1L << 56), c.map.get(dst + i).location(),
                            "cluster " + i + " remapped to the parent's SCO");
                }
                c.syncToBackend(30_000);
                p.write(N * Volume.CLUSTER, ByteBuffer.wrap(filled(N * Volume.CLUSTER, 'D')), false);
                p.syncToBackend(30_000);
                p.scrub(1.0, 1000);
                for (int i = N; i < 2 * N; i++) assertCluster(c, dst + i, 'A');
            }
        } finally {
            io.shutdown();
        }
        engine.dropCache("c");
        engine.dropCache("p");
        try (Volume c = engine.open("c")) {
            for (int i = 0; i < N; i++) assertCluster(c, 2 * N + i, 'B');
            for (int i = N; i < 2 * N; i++) assertCluster(c, 2 * N + i, 'A');
        }
    }
}
