package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time to clone a volume with {@code -Dclone.gib} GiB written (1 by default) on the directory store: it costs
 * the snapshot's map (a replay and one checkpoint object), not a copy of the data. Prints the figures.
 */
class CloneTimeIT {
    @TempDir Path dir;

    @Test
    void cloningAVolumeWithGibibytesWrittenTakesSecondsNotACopy() throws Exception {
        long gib = Long.getLong("clone.gib", 1);
        long size = gib << 30;
        VolumeConfig config = new VolumeConfig(1024, 8, 5000, 512L << 20, 1L << 30,
                VolumeConfig.METADATA_MAP_FROM_VOLUME_SIZE, 4, 0);
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                config);
        engine.create("p", size);
        byte[] chunk = new byte[4 << 20];
        long tWrite = System.nanoTime();
        try (Volume p = engine.open("p")) {
            for (long off = 0; off < size; off += chunk.length) {
                Arrays.fill(chunk, (byte) (off >>> 22));
                p.write(off, ByteBuffer.wrap(chunk), false);
            }
            p.snapshots().create("s");
            p.syncToBackend(600_000);
            long writeMs = (System.nanoTime() - tWrite) / 1_000_000;
            long t0 = System.nanoTime();
            engine.clone("p", "s", "c"); // the parent open: a clone of a volume in use
            long openParentMs = (System.nanoTime() - t0) / 1_000_000;
            t0 = System.nanoTime();
            engine.clone("p", "s", "c2");
            long secondMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("CLONE-TIME %d GiB written (%d ms to write and upload): clone %d ms, another %d ms%n",
                    gib, writeMs, openParentMs, secondMs);
            assertTrue(openParentMs < 30_000, "clone took " + openParentMs + " ms");
        }
        long t0 = System.nanoTime();
        try (Volume c = engine.open("c")) { // from the backend alone: no cache of it exists
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            ByteBuffer b = ByteBuffer.allocate(4096);
            long last = size - 4096;
            c.read(last, b);
            byte[] want = new byte[4096];
            Arrays.fill(want, (byte) (last >>> 22));
            assertArrayEquals(want, b.array());
            System.out.printf("CLONE-TIME first open of the clone (checkpoint load) %d ms%n", openMs);
        }
    }
}
