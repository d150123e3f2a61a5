package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local read cache of clusters read from the backend once their SCO was evicted. */
class ClusterCacheTest {
    @TempDir Path dir;

    /** The directory backend, counting ranged reads of SCO objects. */
    static final class CountingBackend extends ForwardingBackend {
        final AtomicInteger scoReads = new AtomicInteger();

        CountingBackend(Path root) throws IOException {
            super(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            return new ForwardingObjectStore(real.volume(name)) {
                @Override
                protected void before(String op, String n) {
                    if (op.equals("get") && n.startsWith("sco.")) scoReads.incrementAndGet();
                }
            };
        }

    }

    private static byte[] read(Volume v, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(n);
        v.read(offset, b);
        byte[] out = new byte[n];
        b.flip().get(out);
        return out;
    }

    /** cache-limit 0: every SCO is evicted once uploaded, so reads go to the backend unless the read cache has them. */
    private static VolumeConfig config(long readCacheBytes) {
        return new VolumeConfig(16, 1, 20, 64 << 20, 0, 32L << 20, 4, 0, false, readCacheBytes);
    }

    @Test
    void aSecondReadOfAnEvictedClusterIsServedLocally() throws Exception {
        CountingBackend backend = new CountingBackend(dir.resolve("objects"));
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend, config(1 << 20));
        e.create("v", 64L << 20);
        byte[] data = random(256 << 10, 1);
        try (Volume v = e.open("v")) {
            v.write(0, ByteBuffer.wrap(data), false);
            v.flush();
            v.syncToBackend(30_000);
            try (var scos = Files.list(dir.resolve("cache").resolve("v").resolve("sco"))) {
                assertEquals(0, scos.count(), "every uploaded SCO evicted (cache-limit 0)");
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 8192, 12288), read(v, 8192, 4096));
            int afterFirst = backend.scoReads.get();
            assertTrue(afterFirst > 0, "the first read went to the backend");
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 8192, 12288), read(v, 8192, 4096));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 8192, 12288), read(v, 8192, 4096));
            assertEquals(afterFirst, backend.scoReads.get(), "the later reads came from the local read cache");
            assertArrayEquals(data, read(v, 0, data.length));
            int whole = backend.scoReads.get();
            assertArrayEquals(data, read(v, 0, data.length));
            assertEquals(whole, backend.scoReads.get(), "a run of cached clusters is read locally too");
        }
    }

    @Test
    void itIsBoundedOnDiskAndEvictsToStayThere() throws Exception {
        CountingBackend backend = new CountingBackend(dir.resolve("objects"));
        long limit = 64 << 10; // 16 clusters
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend, config(limit));
        e.create("v", 64L << 20);
        byte[] data = random(1 << 20, 2);
        try (Volume v = e.open("v")) {
            v.write(0, ByteBuffer.wrap(data), false);
            v.flush();
            v.syncToBackend(30_000);
            for (int round = 0; round < 2; round++) {
                for (int c = 0; c < 256; c++) {
                    assertArrayEquals(java.util.Arrays.copyOfRange(data, c * 4096, (c + 1) * 4096),
                            read(v, c * 4096L, 4096));
                }
            }
            Path file = dir.resolve("cache").resolve("v").resolve(ClusterCache.FILE);
            assertTrue(Files.size(file) <= limit, "read cache file " + Files.size(file) + " > " + limit);
        }
    }

    @Test
    void aSlotHoldingOtherDataIsAMissNotAnError() throws Exception {
        Path f = dir.resolve("rc");
        try (ClusterCache c = ClusterCache.open(f, 4 * 4096L, LocalFiles.SYSTEM)) {
            byte[] a = random(4096, 3);
            c.put(7, 100, ByteBuffer.wrap(a), 0);
            ByteBuffer out = ByteBuffer.allocate(4096);
            assertTrue(c.read(7, 100, crc(a), out));
            assertArrayEquals(a, out.array());
            // the slot's bytes changed under the index (a concurrent reuse): the CRC says so, it is a miss
            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(random(4096, 4)), 0);
            }
            assertFalse(c.read(7, 100, crc(a), ByteBuffer.allocate(4096)));
            assertFalse(c.read(8, 100, crc(a), ByteBuffer.allocate(4096)), "another SCO epoch is another key");
        }
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }
}
