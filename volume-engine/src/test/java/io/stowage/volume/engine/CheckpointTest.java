package io.stowage.volume.engine;

import io.stowage.volume.store.Backend;
import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata checkpoints: the header and the backend's TLog objects stay bounded however many TLogs a volume has
 * committed, and opening from the backend alone reads the checkpoint plus the TLogs after it, not the volume's
 * whole history.
 */
class CheckpointTest {
    static final VolumeConfig CONFIG = new VolumeConfig(16, 1, 60_000, 64L << 20, 64L << 20, 64L << 20);
    static final int CLUSTERS = 256;
    static final int INTERVAL = 8;
    @TempDir Path dir;

    /** Counts reads of TLog and checkpoint objects (what an open from the backend costs). */
    static final class CountingBackend extends ForwardingBackend {
        final AtomicInteger tlogReads = new AtomicInteger();
        final AtomicInteger checkpointReads = new AtomicInteger();

        CountingBackend(Path root) throws IOException {
            super(root);
        }

        private void count(String n) {
            if (n.startsWith("tlog.")) tlogReads.incrementAndGet();
            if (n.startsWith("checkpoint.")) checkpointReads.incrementAndGet();
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            ObjectStore s = real.volume(name);
            return new ForwardingObjectStore(s) {
                @Override
                protected void before(String op, String n) {
                    if (op.equals("get")) count(n);
                }
            };
        }

    }

    /** Commits {@code tlogs} TLogs of random single-cluster writes and discards, recorded in {@code expected}. */
    private static byte[][] commitTlogs(Volume v, int tlogs, long seed, byte[][] expected) throws IOException {
        Random r = new Random(seed);
        for (int i = 0; i < tlogs; i++) {
            int c = r.nextInt(CLUSTERS);
            if (r.nextInt(10) == 0) {
                v.unmap((long) c * Volume.CLUSTER, Volume.CLUSTER);
                expected[c] = null;
            } else {
                byte[] data = new byte[Volume.CLUSTER];
                r.nextBytes(data);
                v.write((long) c * Volume.CLUSTER, ByteBuffer.wrap(data), false);
                expected[c] = data;
            }
            v.syncToBackend(30_000); // one TLog per iteration
        }
        return expected;
    }

    private static void verify(Volume v, byte[][] expected) throws IOException {
        for (int c = 0; c < CLUSTERS; c++) {
            ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
            v.read((long) c * Volume.CLUSTER, b);
            byte[] want = expected[c] == null ? new byte[Volume.CLUSTER] : expected[c];
            assertArrayEquals(want, b.array(), "cluster " + c);
        }
    }

    private VolumeHeader header(CountingBackend backend) throws IOException {
        return VolumeHeader.parse(backend.real.volume("v").readHeader().orElseThrow().body());
    }

    @Test
    void theHeaderAndTheTlogObjectsStayBoundedAndABackendRestartReadsOnlyWhatFollowsTheCheckpoint()
            throws Exception {
        CountingBackend backend = new CountingBackend(dir.resolve("objects"));
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), backend, CONFIG);
        engine.create("v", (long) CLUSTERS * Volume.CLUSTER);
        byte[][] expected;
        try (Volume v = engine.open("v")) {
            v.checkpointEvery(INTERVAL);
            expected = commitTlogs(v, 300, 42, new byte[CLUSTERS][]);
        }
        VolumeHeader h = header(backend);
        assertNotNull(h.checkpoint(), "300 TLogs, a checkpoint every " + INTERVAL + " at least");
        assertTrue(h.tlogs().size() <= 8 * INTERVAL + 1, "header records " + h.tlogs().size());
        int tlogObjects = backend.real.volume("v").list("tlog.").size();
        assertTrue(tlogObjects <= 8 * INTERVAL + 1, "TLog objects kept " + tlogObjects);
        assertEquals(1, backend.real.volume("v").list("checkpoint.").size(), "older checkpoints collected");

        engine.dropCache("v"); // a backend restart: nothing local
        backend.tlogReads.set(0);
        try (Volume v = engine.open("v")) {
            assertTrue(backend.tlogReads.get() <= h.tlogs().size(),
                    "an open read " + backend.tlogReads.get() + " TLog objects; " + h.tlogs().size() + " follow the checkpoint");
            assertTrue(backend.checkpointReads.get() >= 1);
            verify(v, expected);
            // and it keeps working from there: more commits, a restart that uses the local LMDB
            commitTlogs(v, 40, 7, expected);
        }
        try (Volume v = engine.open("v")) {
            verify(v, expected);
        }
    }

    @Test
    void aDamagedCheckpointFailsTheOpenNamingIt() throws Exception {
        CountingBackend backend = new CountingBackend(dir.resolve("objects"));
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), backend, CONFIG);
        engine.create("v", (long) CLUSTERS * Volume.CLUSTER);
        try (Volume v = engine.open("v")) {
            v.checkpointEvery(INTERVAL);
            commitTlogs(v, 100, 1, new byte[CLUSTERS][]);
        }
        VolumeHeader h = header(backend);
        String name = ObjectNames.checkpoint(h.checkpoint().epoch(), h.checkpoint().seq());
        Path object = dir.resolve("objects").resolve("v").resolve(name);
        assertTrue(Files.exists(object), object.toString());
        try (var ch = java.nio.channels.FileChannel.open(object, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long pos = ch.size() / 2;
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
            ch.write(b, pos);
        }
        engine.dropCache("v");
        IOException e = assertThrows(IOException.class, () -> engine.open("v"));
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }
}
