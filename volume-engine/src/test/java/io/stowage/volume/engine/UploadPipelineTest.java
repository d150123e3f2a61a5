package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;
import static io.stowage.volume.engine.TestBytes.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The uploader stores several TLogs at once (docs/volume-engine.md, "Upload and metadata") and still commits the
 * header strictly in TLog order, naming only TLogs whose SCOs and TLog objects are all stored.
 */
class UploadPipelineTest {
    @TempDir Path dir;

    /** One SCO (64 KiB) per TLog, 4 puts at once, a 4 MiB dirty limit, no scrub. */
    static final VolumeConfig ONE_SCO_PER_TLOG = new VolumeConfig(16, 1, 60_000, 4 << 20, 64 << 20, 64L << 20, 4, 0);

    /**
     * Watches every call: which objects are stored (a put that returned), how many SCO puts run at once, and at
     * each header commit whether the TLogs it adds are the next ones in order with all their objects stored.
     */
    static final class WatchingBackend extends ForwardingBackend {
        final Set<Long> storedScos = ConcurrentHashMap.newKeySet();
        final Set<Long> storedTlogs = ConcurrentHashMap.newKeySet();
        final AtomicInteger scoPutsRunning = new AtomicInteger();
        final AtomicInteger maxScoPutsRunning = new AtomicInteger();
        final AtomicLong headerCommits = new AtomicLong();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicInteger injectedFailures = new AtomicInteger();
        volatile long committedThrough = -1;
        final Random random = new Random(16);
        volatile long scoPutMillis;
        volatile long headerMillis;
        /** Share of puts and header commits that fail (half before the store call, half after it landed). */
        volatile double failureRate;

        WatchingBackend(Path root) throws IOException {
            super(root);
        }

        private synchronized double nextDouble() {
            return random.nextDouble();
        }

        private synchronized int nextInt(int n) {
            return random.nextInt(n);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            ObjectStore real = this.real.volume(name);
            return new ForwardingObjectStore(real) {
                @Override
                public void putExclusive(String n, Path f) throws IOException {
                    boolean sco = n.startsWith("sco.");
                    if (sco) {
                        int now = scoPutsRunning.incrementAndGet();
                        maxScoPutsRunning.accumulateAndGet(now, Math::max);
                    }
                    try {
                        pause(sco ? scoPutMillis : 0);
                        if (failureRate > 0) pause(nextInt(20));
                        double roll = nextDouble();
                        if (roll < failureRate / 2) {
                            injectedFailures.incrementAndGet();
                            throw new IOException("put refused (test)");
                        }
                        real.putExclusive(n, f);
                        if (n.startsWith("sco.")) storedScos.add(io.stowage.volume.log.ObjectNames.scoNumber(n));
                        if (n.startsWith("tlog.")) storedTlogs.add(io.stowage.volume.log.ObjectNames.tlogSeq(n));
                        if (roll < failureRate) {
                            injectedFailures.incrementAndGet();
                            throw new IOException("put landed, reported failed (test)");
                        }
                    } finally {
                        if (sco) scoPutsRunning.decrementAndGet();
                    }
                }

                @Override
                public void commitHeader(long e, long t, VolumeHeaderBytes h) throws IOException {
                    pause(headerMillis);
                    VolumeHeader next = VolumeHeader.parse(h.body());
                    if (committedThrough >= 0) check(next);
                    double roll = nextDouble();
                    if (roll < failureRate / 2) {
                        injectedFailures.incrementAndGet();
                        throw new IOException("header commit refused (test)");
                    }
                    real.commitHeader(e, t, h);
                    committedThrough = next.lastTlogSeq();
                    headerCommits.incrementAndGet();
                    if (roll < failureRate) {
                        injectedFailures.incrementAndGet();
                        throw new IOException("header commit landed, reported failed (test)");
                    }
                }
            };
        }

        /** The TLogs {@code next} adds follow the last committed one, each with its TLog and SCO objects stored. */
        private void check(VolumeHeader next) {
            long expected = committedThrough + 1;
            for (VolumeHeader.TLogRecord r : next.tlogs()) {
                if (r.seq() <= committedThrough) continue;
                if (r.seq() != expected) violations.add("TLog " + r.seq() + " committed before " + expected);
                expected = r.seq() + 1;
                if (!storedTlogs.contains(r.seq())) violations.add("TLog " + r.seq() + " committed, not stored");
                for (long s = r.firstSco(); s <= r.lastSco(); s++) {
                    if (!storedScos.contains(s)) violations.add("TLog " + r.seq() + " committed, SCO " + s + " not stored");
                }
            }
        }

        private static void pause(long millis) throws IOException {
            if (millis <= 0) return;
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    @Test
    void withASlowStoreSeveralTlogsAreStoredAtOnceAndCommitsCarrySeveral() throws Exception {
        WatchingBackend backend = new WatchingBackend(dir.resolve("obj"));
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend, ONE_SCO_PER_TLOG);
        e.create("v", 4 << 20);
        Volume v = e.open("v");
        backend.committedThrough = v.header().lastTlogSeq();
        backend.scoPutMillis = 100;
        backend.headerMillis = 50;
        long commitsBefore = backend.headerCommits.get();
        byte[] data = random(2 << 20, 1);
        for (int i = 0; i < 32; i++) v.write(i * 65536L, ByteBuffer.wrap(data, i * 65536, 65536), false);
        v.syncToBackend(60_000);
        long committedTlogs = v.stats().uploadedTlogs();
        long commits = backend.headerCommits.get() - commitsBefore;
        assertTrue(committedTlogs >= 32, "one TLog per SCO: " + committedTlogs);
        // one SCO per TLog: one TLog at a time would never have two SCO puts running
        assertTrue(backend.maxScoPutsRunning.get() >= 2, "SCO puts at once: " + backend.maxScoPutsRunning.get());
        assertTrue(commits < committedTlogs, commits + " header commits for " + committedTlogs + " TLogs");
        assertEquals(List.of(), backend.violations);
        v.close();
        e.dropCache("v");
        Volume again = e.open("v");
        assertArrayEquals(data, read(again, 0, 2 << 20), "everything reached the backend");
        again.close();
    }

    @Test
    void underFailingPutsAndCommitsNoCommitNamesATlogNotFullyStoredAndNoneOvertakes() throws Exception {
        WatchingBackend backend = new WatchingBackend(dir.resolve("obj"));
        VolumeConfig twoScos = new VolumeConfig(16, 2, 60_000, 4 << 20, 64 << 20, 64L << 20, 4, 0);
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend, twoScos);
        e.create("v", 4 << 20);
        Volume v = e.open("v");
        backend.committedThrough = v.header().lastTlogSeq();
        backend.failureRate = 0.3;
        byte[] data = random(3 << 20, 2);
        Random r = new Random(3);
        for (int i = 0; i < 48; i++) {
            v.write(i * 65536L, ByteBuffer.wrap(data, i * 65536, 65536), r.nextInt(4) == 0);
        }
        v.syncToBackend(120_000);
        assertTrue(backend.injectedFailures.get() > 0, "faults were injected");
        assertTrue(backend.maxScoPutsRunning.get() >= 2, "SCO puts at once: " + backend.maxScoPutsRunning.get());
        assertEquals(List.of(), backend.violations);
        backend.failureRate = 0;
        v.close();
        e.dropCache("v");
        Volume again = e.open("v");
        assertArrayEquals(data, read(again, 0, 3 << 20), "everything reached the backend");
        again.close();
    }
}
