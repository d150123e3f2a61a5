package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;
import static io.stowage.volume.engine.TestBytes.read;

import io.stowage.volume.store.Backend;
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
    static final class FlakyBackend extends ForwardingBackend {
        volatile boolean down;

        FlakyBackend(Path root) throws IOException {
            super(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            ObjectStore s = real.volume(name);
            return new ForwardingObjectStore(s) {
                @Override
                protected void before(String op, String n) throws IOException {
                    if (down) throw new IOException("backend unreachable (test)");
                }
            };
        }

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
    void aFencedVolumeHaltsInsteadOfDivergingAndNeverReplaysItsTailWhenReopened() throws Exception {
        VolumeConfig oneScoPerTlog = new VolumeConfig(16, 1, 60_000, 64 << 20, 64 << 20, 64L << 20);
        FlakyBackend flaky = new FlakyBackend(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), flaky, oneScoPerTlog);
        VolumeEngine b = new VolumeEngine(dir.resolve("cacheB"), new DirectoryBackend(dir.resolve("obj")),
                oneScoPerTlog);
        a.create("v", 1 << 20);
        Volume v = a.open("v");
        flaky.down = true; // A's uploads wait...
        for (int i = 0; i < 3; i++) v.write(i * 65536L, ByteBuffer.wrap(random(65536, 40 + i)), false);
        v.flush(); // three TLogs, durable in A's cache
        Volume nv = b.open("v"); // ... while another owner claims the volume: the header's epoch moves on
        DirectoryObjectStore store = new DirectoryObjectStore(dir.resolve("obj/v"));
        long claimed = store.readHeader().orElseThrow().epoch();
        flaky.down = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!v.stats().halted() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(v.stats().halted(), "A's header commit was refused: it halts");
        assertThrows(IOException.class, () -> v.write(0, ByteBuffer.wrap(new byte[4096]), false),
                "a fenced volume refuses I/O");
        ObjectStore.VolumeHeaderBytes h = store.readHeader().orElseThrow();
        assertEquals(claimed, h.epoch(), "the new owner's header is untouched");
        assertEquals(List.of(), VolumeHeader.parse(h.body()).tlogs(), "nothing of A's was committed");
        v.abandon();

        byte[] fresh = random(4096, 6);
        nv.write(0, ByteBuffer.wrap(fresh), false);
        nv.close(); // B commits one TLog; A's three are still in A's cache
        Volume again = a.open("v"); // the former owner comes back
        byte[] expected = new byte[3 * 65536];
        System.arraycopy(fresh, 0, expected, 0, 4096);
        assertArrayEquals(expected, read(again, 0, 3 * 65536), "only the new owner's data, none of the stale tail");
        again.close();
        a.dropCache("v");
        Volume fromBackend = a.open("v");
        assertArrayEquals(expected, read(fromBackend, 0, 3 * 65536), "nothing of the stale tail was committed");
        fromBackend.close();
    }

    @Test
    void aFormerOwnerNeverReplaysItsStaleTlogsOverTheNewOwnersCommits() throws Exception {
        VolumeConfig oneScoPerTlog = new VolumeConfig(16, 1, 60_000, 64 << 20, 64 << 20, 64L << 20);
        FlakyBackend flaky = new FlakyBackend(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), flaky, oneScoPerTlog);
        VolumeEngine b = new VolumeEngine(dir.resolve("cacheB"), new DirectoryBackend(dir.resolve("obj")),
                oneScoPerTlog);
        a.create("v", 1 << 20);
        Volume va = a.open("v");
        flaky.down = true;
        for (int i = 0; i < 3; i++) va.write(0, ByteBuffer.wrap(random(65536, 10 + i)), false); // 3 TLogs
        va.flush();
        va.abandon(); // A's TLogs 1-3 are durable locally, none committed
        flaky.down = false;

        Volume vb = b.open("v");
        byte[] y = random(65536, 20);
        vb.write(0, ByteBuffer.wrap(y), false);
        vb.syncToBackend(30_000); // B commits TLog 1 (its SCO 1)
        vb.close();

        Volume again = a.open("v");
        assertArrayEquals(y, read(again, 0, 65536), "the new owner's write, not the former owner's third");
        again.write(65536, ByteBuffer.wrap(random(4096, 21)), false);
        again.syncToBackend(30_000); // A goes on as the owner: what it commits builds on B's state
        again.close();
        Path quarantine = dir.resolve("cacheA/v/quarantine");
        try (Stream<Path> s = Files.walk(quarantine)) {
            assertEquals(3, s.filter(p -> p.getFileName().toString().startsWith("tlog.") && p.toFile().length() > 0)
                    .count(), "the stale TLogs are kept for inspection (beside the empty one A had open)");
        }
        b.dropCache("v");
        Volume fromBackend = b.open("v");
        assertArrayEquals(y, read(fromBackend, 0, 65536), "the backend holds B's write");
        assertArrayEquals(random(4096, 21), read(fromBackend, 65536, 4096));
        fromBackend.close();
    }

    @Test
    void aCacheOfAnEarlierVolumeOfTheSameNameIsNeverMixedIn() throws Exception {
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        VolumeEngine b = new VolumeEngine(dir.resolve("cacheB"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        a.create("v", 1 << 20);
        Volume va = a.open("v");
        va.write(0, ByteBuffer.wrap(random(65536, 30)), false);
        va.syncToBackend(30_000); // committed: A's LMDB is corked at it
        va.write(65536, ByteBuffer.wrap(random(65536, 31)), false);
        va.flush(); // and a tail that is not
        va.abandon();
        // elsewhere the volume is deleted and created again under the same name, and written
        b.delete("v");
        b.create("v", 1 << 20);
        Volume vb = b.open("v");
        byte[] y = random(8192, 32);
        for (int i = 0; i < 4; i++) { // as many commits as A's old volume had, so A's cork looks plausible
            vb.write(i * 8192L + 131072, ByteBuffer.wrap(y), false);
            vb.syncToBackend(30_000);
        }
        vb.close();

        Volume again = a.open("v");
        byte[] expected = new byte[1 << 20];
        for (int i = 0; i < 4; i++) System.arraycopy(y, 0, expected, i * 8192 + 131072, 8192);
        assertArrayEquals(expected, read(again, 0, 1 << 20), "nothing of the earlier volume's cache shows through");
        again.close();
    }

    @Test
    void aFormerOwnersStateWriteIsRefusedLikeItsHeaderCommits() throws Exception {
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        VolumeEngine b = new VolumeEngine(dir.resolve("cacheB"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        a.create("v", 1 << 20);
        Volume va = a.open("v");
        va.saveState("reservations", new byte[] {1});
        Volume vb = b.open("v"); // takes the volume over
        vb.saveState("reservations", new byte[] {2});
        assertThrows(ObjectStore.FencedException.class, () -> va.saveState("reservations", new byte[] {9}),
                "a former owner's reservation write is refused");
        assertTrue(va.stats().halted(), "the refusal halts the former owner's volume");
        assertThrows(IOException.class, () -> va.saveState("reservations", null), "its deletes fail from then on");
        assertArrayEquals(new byte[] {2}, vb.loadState("reservations"), "the new owner's state is untouched");
        va.abandon();
        vb.close();
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
