package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures, on the directory store: the time to snapshot and to roll back a volume with {@code stowage.snapshot.gib}
 * GiB written (1 by default; {@code -Dstowage.snapshot.gib=16} for the large case). Prints them; asserts only that
 * a snapshot stays well under a second and the rollback reads the snapshot's data.
 */
class SnapshotTimingIT {
    @TempDir Path dir;

    private static void fillMiB(ByteBuffer b, int mib, int generation) {
        b.clear();
        while (b.hasRemaining()) b.putInt(mib * 31 + generation);
        b.flip();
    }

    @Test
    void snapshotAndRollbackOfAWrittenVolume() throws Exception {
        int gib = Integer.getInteger("stowage.snapshot.gib", 1);
        long size = (long) gib << 30;
        VolumeConfig c = VolumeConfig.DEFAULT;
        VolumeConfig config = new VolumeConfig(c.scoClusters(), c.scosPerTlog(), c.tlogMaxAgeMillis(),
                c.dirtyLimitBytes(), c.cacheLimitBytes(), c.metadataMapBytes(), c.uploadParallelism(), 0);
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"),
                new DirectoryBackend(dir.resolve("objects")), config);
        engine.create("v", size + (64L << 20));
        try (Volume v = engine.open("v")) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            long t0 = System.nanoTime();
            for (int mib = 0; mib < gib * 1024; mib++) {
                fillMiB(b, mib, 1);
                v.write((long) mib << 20, b, false);
            }
            v.flush();
            long written = System.nanoTime();
            // under write load: a writer goes on beside the snapshot
            Thread writer = new Thread(() -> {
                ByteBuffer w = ByteBuffer.allocate(1 << 20);
                try {
                    for (int i = 0; i < 64; i++) {
                        fillMiB(w, 0, 9);
                        v.write(size + ((long) (i % 64) << 20), w, false);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            long s0 = System.nanoTime();
            v.snapshots().create("a");
            long snapMs = (System.nanoTime() - s0) / 1_000_000;
            writer.join();
            v.syncToBackend(600_000);
            long committed = System.nanoTime();
            for (int mib = 0; mib < gib * 1024; mib += 4) { // overwrite a quarter
                fillMiB(b, mib, 2);
                v.write((long) mib << 20, b, false);
            }
            long u0 = System.nanoTime();
            v.syncToBackend(600_000); // measured apart: a rollback first commits what was written
            long uploadMs = (System.nanoTime() - u0) / 1_000_000;
            long r0 = System.nanoTime();
            v.snapshots().rollback("a");
            long rollbackMs = (System.nanoTime() - r0) / 1_000_000;
            ByteBuffer got = ByteBuffer.allocate(1 << 20);
            for (int mib = 0; mib < gib * 1024; mib += 4) {
                got.clear();
                v.read((long) mib << 20, got);
                fillMiB(b, mib, 1);
                assertEquals(b, got.flip(), "MiB " + mib);
            }
            System.out.printf("SNAPSHOT-TIMING %d GiB written in %d ms (+ upload %d ms); snapshot under write load"
                            + " %d ms; %d MiB overwritten and committed in %d ms; rollback %d ms%n", gib,
                    (written - t0) / 1_000_000, (committed - written) / 1_000_000, snapMs, gib * 256, uploadMs,
                    rollbackMs);
            assertTrue(snapMs < 1000, "snapshot " + snapMs + " ms");
        }
    }
}
