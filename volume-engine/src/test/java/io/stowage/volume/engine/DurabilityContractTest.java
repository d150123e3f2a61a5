package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.DirectoryObjectStore;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per line of docs/durability.md that is not covered by the model and crash tests. */
class DurabilityContractTest {
    static final VolumeConfig SMALL = new VolumeConfig(16, 2, 50, 256 << 10, 128 << 10, 64L << 20);
    @TempDir Path dir;

    /** A backend that can be taken down: every call fails while {@code down} is set. */
    static final class FlakyBackend implements Backend {
        final DirectoryBackend real;
        volatile boolean down;

        FlakyBackend(Path root) throws IOException {
            real = new DirectoryBackend(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            ObjectStore s = real.volume(name);
            return new ObjectStore() {
                void check() throws IOException {
                    if (down) throw new IOException("backend unreachable (test)");
                }

                public void putExclusive(String n, Path f) throws IOException { check(); s.putExclusive(n, f); }
                public void putExclusive(String n, ByteBuffer d) throws IOException { check(); s.putExclusive(n, d); }
                public void putReplace(String n, ByteBuffer d) throws IOException { check(); s.putReplace(n, d); }
                public void get(String n, long o, int l, ByteBuffer d) throws IOException { check(); s.get(n, o, l, d); }
                public byte[] getAll(String n) throws IOException { check(); return s.getAll(n); }
                public boolean exists(String n) throws IOException { check(); return s.exists(n); }
                public void delete(String n) throws IOException { check(); s.delete(n); }
                public List<String> list(String p) throws IOException { check(); return s.list(p); }
                public Optional<VolumeHeaderBytes> readHeader() throws IOException { check(); return s.readHeader(); }
                public void commitHeader(long e, VolumeHeaderBytes h) throws IOException { check(); s.commitHeader(e, h); }
            };
        }

        @Override
        public List<String> volumes() throws IOException {
            return real.volumes();
        }

        @Override
        public void deleteVolume(String name) throws IOException {
            real.deleteVolume(name);
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(Volume v, long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        v.read(off, b);
        return b.array();
    }

    @Test
    void aCorruptClusterIsAnErrorNeverSilentData() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(random(8192, 1)), true);
        Path sco;
        try (Stream<Path> s = Files.list(dir.resolve("cache/v/sco"))) {
            sco = s.findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(sco, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {42}), 4096 + 17); // flip a byte of the second cluster
        }
        assertArrayEquals(java.util.Arrays.copyOf(random(8192, 1), 4096), read(v, 0, 4096), "first cluster intact");
        assertThrows(CorruptClusterException.class, () -> read(v, 4096, 4096));
        v.close();
    }

    @Test
    void writesRideThroughABackendOutageThenSlowDownNeverFail() throws Exception {
        FlakyBackend backend = new FlakyBackend(dir.resolve("obj"));
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend, SMALL);
        e.create("v", 4 << 20);
        Volume v = e.open("v");
        backend.down = true;
        byte[] data = random(1 << 20, 2);
        // 1 MiB against a 256 KiB dirty limit: the write must wait for the backend, not fail
        CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 16; i++) {
                    v.write(i * 65536L, ByteBuffer.wrap(data, i * 65536, 65536), false);
                }
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        Thread.sleep(800);
        assertFalse(w.isDone(), "writes beyond the dirty limit wait while the backend is down");
        assertTrue(v.dirtyBytes() > SMALL.dirtyLimitBytes() - 65536);
        backend.down = false;
        w.get(30, TimeUnit.SECONDS);
        v.syncToBackend(30_000);
        assertEquals(0, v.dirtyBytes());
        assertArrayEquals(data, read(v, 0, 1 << 20));
        v.close();
        e.dropCache("v");
        Volume again = e.open("v");
        assertArrayEquals(data, read(again, 0, 1 << 20), "everything reached the backend");
        again.close();
    }

    @Test
    void aTornTlogTailLosesOnlyWhatWasNotFlushed() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")),
                new VolumeConfig(16, 1000, 60_000, 64 << 20, 64 << 20, 64L << 20));
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] flushed = random(32768, 3);
        v.write(0, ByteBuffer.wrap(flushed), false);
        v.flush();
        v.write(65536, ByteBuffer.wrap(random(8192, 4)), false);
        v.abandon();
        Path tlog;
        try (Stream<Path> s = Files.list(dir.resolve("cache/v/tlog"))) {
            tlog = s.filter(p -> p.getFileName().toString().startsWith("tlog.")).sorted().reduce((a, b) -> b)
                    .orElseThrow();
        }
        long size = Files.size(tlog);
        try (FileChannel ch = FileChannel.open(tlog, StandardOpenOption.WRITE)) {
            ch.truncate(size - 40); // tear the last entries
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7}), size - 40);
        }
        Volume r = e.open("v");
        assertArrayEquals(flushed, read(r, 0, 32768), "flushed data survives");
        byte[] tail = read(r, 65536, 8192);
        assertTrue(java.util.Arrays.equals(tail, java.util.Arrays.copyOf(random(8192, 4), 8192))
                        || java.util.Arrays.equals(java.util.Arrays.copyOf(tail, 4096), java.util.Arrays.copyOf(random(8192, 4), 4096))
                        || java.util.Arrays.equals(tail, new byte[8192]),
                "an unflushed write is either there (cluster by cluster) or not, never garbage");
        r.close();
    }

    @Test
    void aFencedVolumeHaltsInsteadOfDiverging() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        // another owner claims the volume: the header's epoch moves on
        DirectoryObjectStore store = new DirectoryObjectStore(dir.resolve("obj/v"));
        ObjectStore.VolumeHeaderBytes h = store.readHeader().orElseThrow();
        store.commitHeader(h.epoch(), new ObjectStore.VolumeHeaderBytes(h.epoch() + 1, h.body()));
        v.write(0, ByteBuffer.wrap(random(65536 * 4, 5)), false);
        assertThrows(IOException.class, () -> v.syncToBackend(10_000));
        assertThrows(IOException.class, () -> v.write(0, ByteBuffer.wrap(new byte[4096]), false),
                "a fenced volume refuses I/O");
        assertEquals(h.epoch() + 1, store.readHeader().orElseThrow().epoch(), "the new owner's header is untouched");
        assertFalse(store.list("tlog.").stream().anyMatch(n -> ObjectNames.tlogEpoch(n) != h.epoch())
                && store.readHeader().orElseThrow().body().length != h.body().length, "nothing was committed");
        v.abandon();
    }

    @Test
    void cacheStaysWithinItsBudgetAndEvictedDataIsReadFromTheBackend() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        e.create("v", 8 << 20);
        Volume v = e.open("v");
        byte[] data = random(4 << 20, 6);
        v.write(0, ByteBuffer.wrap(data), false);
        v.syncToBackend(30_000);
        long cached;
        try (Stream<Path> s = Files.list(dir.resolve("cache/v/sco"))) {
            cached = s.mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(cached <= SMALL.cacheLimitBytes(), "cache holds " + cached + " bytes");
        assertArrayEquals(data, read(v, 0, 4 << 20));
        v.close();
    }
}
