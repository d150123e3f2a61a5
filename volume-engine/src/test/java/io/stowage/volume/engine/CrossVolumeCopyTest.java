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
}
