package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots: a named cut in the TLog sequence (no data copied), listed with what was written since the previous
 * one, deleted by merging, kept through metadata checkpoints and scrubbing, and rolled back to while the volume is
 * open, atomically through crashes.
 */
class SnapshotTest {
    static final VolumeConfig CONFIG = new VolumeConfig(16, 1, 60_000, 64L << 20, 64L << 20, 64L << 20);
    static final int CLUSTERS = 64;
    @TempDir Path dir;

    /** A backend whose stores call {@link #hook} before each operation (to fail one). */
    static final class HookedBackend extends ForwardingBackend {
        volatile Hook hook = (op, n) -> { };

        interface Hook {
            void before(String op, String name) throws IOException;
        }

        HookedBackend(Path root) throws IOException {
            super(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            return new ForwardingObjectStore(real.volume(name)) {
                @Override
                protected void before(String op, String n) throws IOException {
                    hook.before(op, n);
                }
            };
        }

    }

    HookedBackend backend;
    VolumeEngine engine;

    private Volume create() throws IOException {
        return create(CONFIG);
    }

    private Volume create(VolumeConfig config) throws IOException {
        backend = new HookedBackend(dir.resolve("objects"));
        engine = new VolumeEngine(dir.resolve("cache"), backend, config);
        engine.create("v", (long) CLUSTERS * Volume.CLUSTER);
        return engine.open("v");
    }

    /** Fills every cluster with {@code value} (one TLog per 16 clusters: an SCO each). */
    static void fill(Volume v, int value) throws IOException {
        byte[] b = new byte[CLUSTERS * Volume.CLUSTER];
        Arrays.fill(b, (byte) value);
        v.write(0, ByteBuffer.wrap(b), false);
    }

    static void assertFilled(Volume v, int value) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(CLUSTERS * Volume.CLUSTER);
        v.read(0, b);
        for (int i = 0; i < b.capacity(); i += 512) {
            assertEquals((byte) value, b.get(i), "byte " + i);
        }
    }

    private long objectBytes() throws IOException {
        return scoBytes(dir.resolve("objects").resolve("v"));
    }

    /** The bytes of the SCO objects in a directory store's volume directory. */
    static long scoBytes(Path volumeObjects) throws IOException {
        try (Stream<Path> s = Files.list(volumeObjects)) {
            long n = 0;
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("sco.")).toList()) n += Files.size(p);
            return n;
        }
    }

    @Test
    void createListAndDeleteWithClearRefusals() throws Exception {
        try (Volume v = create()) {
            fill(v, 1);
            assertEquals("a", v.snapshots().create("a").name());
            v.write(0, ByteBuffer.wrap(new byte[Volume.CLUSTER]), false);
            v.snapshots().create("b");
            v.snapshots().create("c"); // nothing written since: still a snapshot
            v.syncToBackend(30_000);
            List<Snapshots.SnapshotInfo> all = v.snapshots().list();
            assertEquals(List.of("a", "b", "c"), all.stream().map(Snapshots.SnapshotInfo::name).toList());
            assertTrue(all.stream().allMatch(Snapshots.SnapshotInfo::onBackend));
            assertEquals((long) CLUSTERS * Volume.CLUSTER, all.get(0).bytesSincePrevious());
            assertEquals(Volume.CLUSTER, all.get(1).bytesSincePrevious());
            assertEquals(0, all.get(2).bytesSincePrevious());
            assertFalse(all.get(0).hasClones());

            Snapshots.SnapshotRefusedException dup = assertThrows(Snapshots.SnapshotRefusedException.class,
                    () -> v.snapshots().create("a"));
            assertEquals(Snapshots.Refusal.EXISTS, dup.reason());
            assertTrue(dup.getMessage().contains("'a'"), dup.getMessage());
            for (String bad : new String[] {"", "has space", "a,b", "x".repeat(65), "-lead", "a\nb"}) {
                assertEquals(Snapshots.Refusal.INVALID_NAME, assertThrows(Snapshots.SnapshotRefusedException.class,
                        () -> v.snapshots().create(bad)).reason(), bad);
            }
            assertEquals(Snapshots.Refusal.NOT_FOUND, assertThrows(Snapshots.SnapshotRefusedException.class,
                    () -> v.snapshots().delete("nope")).reason());
            v.snapshots().delete("b");
            List<Snapshots.SnapshotInfo> l = v.snapshots().list();
            assertEquals(List.of("a", "c"), l.stream().map(Snapshots.SnapshotInfo::name).toList());
            assertEquals(Volume.CLUSTER, l.get(1).bytesSincePrevious(), "b's bytes merged into c");
        }
        try (Volume v = engine.open("v")) { // in the header: they survive a restart
            assertEquals(List.of("a", "c"), v.snapshots().list().stream().map(Snapshots.SnapshotInfo::name).toList());
        }
    }

    @Test
    void aSnapshotUnderWriteLoadIsACutAfterEveryWriteCompletedBeforeIt() throws Exception {
        // write k puts k into cluster k % CLUSTERS; the snapshot must hold, per cluster, a write at least as new as
        // the last one completed before create was called and none started after it returned
        try (Volume v = create()) {
            AtomicBoolean stop = new AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong started = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
                try {
                    for (long k = 0; !stop.get(); k++) {
                        started.set(k + 1);
                        b.clear();
                        b.putLong(0, k + 1);
                        v.write((k % CLUSTERS) * Volume.CLUSTER, b, false);
                        done.set(k + 1);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            Thread.sleep(100);
            long before = done.get();
            long t0 = System.nanoTime();
            v.snapshots().create("busy");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long after = started.get();
            Thread.sleep(50);
            stop.set(true);
            writer.join();
            System.out.println("snapshot under write load: " + ms + " ms");
            v.snapshots().rollback("busy");
            for (int c = 0; c < CLUSTERS; c++) {
                ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
                v.read((long) c * Volume.CLUSTER, b);
                long got = b.getLong(0); // write number (1-based), 0 = never written
                long lastBefore = 0; // the newest write to c completed before create was called
                for (long k = before - 1; k >= 0; k--) {
                    if (k % CLUSTERS == c) {
                        lastBefore = k + 1;
                        break;
                    }
                }
                assertTrue(got >= lastBefore, "cluster " + c + ": write " + got + " older than " + lastBefore);
                assertTrue(got <= after, "cluster " + c + ": write " + got + " started after the snapshot");
                assertTrue(got == 0 || (got - 1) % CLUSTERS == c, "cluster " + c + " holds write " + got);
            }
        }
    }

    @Test
    void aSnapshotCutWhileTheBackendIsDownSurvivesACrashAndIsCommittedLater() throws Exception {
        try (Volume v = create()) {
            fill(v, 'A');
            v.syncToBackend(30_000);
            backend.hook = (op, n) -> {
                if (op.equals("put") || op.equals("header")) throw new IOException("backend down (test)");
            };
            fill(v, 'P');
            Snapshots.SnapshotInfo p = v.snapshots().create("p"); // returns: a cut and a flush, not an upload
            assertFalse(p.onBackend(), "not committed while the backend is down");
            assertEquals(Snapshots.Refusal.EXISTS, assertThrows(Snapshots.SnapshotRefusedException.class,
                    () -> v.snapshots().create("p")).reason());
            fill(v, 'Q');
            v.flush();
            v.abandon(); // a crash before the backend comes back
        }
        backend.hook = (op, n) -> { };
        try (Volume v = engine.open("v")) {
            assertFilled(v, 'Q');
            v.syncToBackend(30_000);
            assertEquals(List.of("p"), v.snapshots().list().stream().filter(Snapshots.SnapshotInfo::onBackend)
                    .map(Snapshots.SnapshotInfo::name).toList());
            assertFalse(Files.exists(dir.resolve("cache").resolve("v").resolve(PendingSnapshots.FILE)));
            v.snapshots().rollback("p");
            assertFilled(v, 'P');
        }
    }

    @Test
    void rollbackWhileOpenReadsTheSnapshotAndGoesOnFromThere() throws Exception {
        AtomicInteger changes = new AtomicInteger();
        try (Volume v = create()) {
            v.addDataChangeListener(changes::incrementAndGet);
            fill(v, 'A');
            v.snapshots().create("s");
            fill(v, 'B');
            v.snapshots().create("later");
            fill(v, 'C');
            assertFilled(v, 'C');
            v.snapshots().rollback("s");
            assertEquals(1, changes.get(), "the listeners (unit attentions) were told");
            assertEquals(1, v.dataGeneration());
            assertFilled(v, 'A');
            assertEquals(List.of("s"), v.snapshots().list().stream().map(Snapshots.SnapshotInfo::name).toList(),
                    "the snapshots after the one rolled back to are gone with the TLogs after it");
            v.write(0, ByteBuffer.wrap(filled(Volume.CLUSTER, 'D')), false);
            v.syncToBackend(30_000);
        }
        try (Volume v = engine.open("v")) {
            assertCluster(v, 0, 'D');
            assertCluster(v, 1, 'A');
        }
        engine.dropCache("v"); // a backend restart: the rolled-back state is the backend's
        try (Volume v = engine.open("v")) {
            assertCluster(v, 0, 'D');
            assertCluster(v, 1, 'A');
            v.snapshots().rollback("s"); // again, from a volume opened from the backend alone
            assertFilled(v, 'A');
        }
    }

    static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static void assertCluster(Volume v, int c, int value) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
        v.read((long) c * Volume.CLUSTER, b);
        assertArrayEquals(filled(Volume.CLUSTER, value), b.array(), "cluster " + c);
    }

    @Test
    void checkpointsKeepWhatASnapshotNeeds() throws Exception {
        try (Volume v = create()) {
            v.checkpointEvery(1);
            for (int i = 0; i < 20; i++) { // many TLogs, checkpoints folding them
                fill(v, 'a' + i);
                v.syncToBackend(30_000);
            }
            fill(v, 'S');
            v.snapshots().create("s");
            for (int i = 0; i < 40; i++) { // checkpoints well past the snapshot's cut
                v.write((long) (i % CLUSTERS) * Volume.CLUSTER, ByteBuffer.wrap(filled(Volume.CLUSTER, 'x')), false);
                v.syncToBackend(30_000);
            }
            v.checkpoints.awaitIdle(10_000);
            VolumeHeader h = v.header();
            assertNotNull(h.checkpoint());
            assertTrue(h.checkpoint().seq() > h.snapshot("s").seq(), "a checkpoint after the cut");
            for (String object : h.objectNames()) assertTrue(backend.real.volume("v").exists(object), object);
            v.snapshots().rollback("s");
            assertFilled(v, 'S');
            v.snapshots().delete("s");
            VolumeHeader after = v.header();
            assertTrue(after.retention().checkpoints().isEmpty() && after.retention().tlogs().isEmpty(),
                    "nothing retained without snapshots: " + after.retention());
        }
        assertTrue(backend.real.volume("v").list("checkpoint.").size() <= 1);
        engine.dropCache("v");
        try (Volume v = engine.open("v")) {
            assertFilled(v, 'S');
        }
    }

    @Test
    void scrubKeepsWhatSnapshotsReferenceAndDeletingOneMakesItCollectable() throws Exception {
        try (Volume v = create()) {
            fill(v, 'A');
            v.snapshots().create("s");
            fill(v, 'B');
            fill(v, 'C');
            v.syncToBackend(30_000);
            Volume.ScrubResult r = v.scrub(0.5, 64);
            assertTrue(r.bytesExamined() > 0);
            v.snapshots().rollback("s");
            assertFilled(v, 'A'); // B's SCOs went, A's (the snapshot's) stayed
            fill(v, 'D');
            v.syncToBackend(30_000);
            v.scrub(0.5, 64);
            long withSnapshot = objectBytes();
            v.snapshots().delete("s");
            Volume.ScrubResult freed = v.scrub(0.5, 64);
            long without = objectBytes();
            assertTrue(freed.bytesReclaimed() > 0 && without < withSnapshot,
                    "deleting the snapshot made A collectable: " + withSnapshot + " -> " + without + " bytes");
            assertEquals(withSnapshot - without, freed.bytesReclaimed());
            assertFilled(v, 'D');
            assertTrue(v.stats().scrubReclaimedBytes() >= freed.bytesReclaimed());
        }
        engine.dropCache("v");
        try (Volume v = engine.open("v")) {
            assertFilled(v, 'D');
        }
    }

    /** What a rollback dropped (the SCOs written after the snapshot) is the scrubber's to collect. */
    @Test
    void theScosWrittenAfterASnapshotAreCollectedAfterARollbackToIt() throws Exception {
        try (Volume v = create()) {
            fill(v, 'A');
            v.snapshots().create("s");
            fill(v, 'B');
            v.syncToBackend(30_000);
            v.snapshots().rollback("s");
            v.syncToBackend(30_000);
            long before = objectBytes();
            Volume.ScrubResult r = v.scrub(0.5, 64);
            long after = objectBytes();
            assertTrue(before - after >= 4L * 16 * Volume.CLUSTER, "B collected: " + before + " -> " + after
                    + " bytes, " + r);
            assertFilled(v, 'A');
        }
    }

    /** A snapshot keeps what its map points at, not what was overwritten before it was taken. */
    @Test
    void dataOverwrittenBeforeASnapshotIsCollectableWhileTheSnapshotStays() throws Exception {
        try (Volume v = create()) {
            fill(v, 'A');
            v.snapshots().create("s1");
            fill(v, 'B');
            v.snapshots().create("s2");
            fill(v, 'C');
            fill(v, 'D'); // C: overwritten before s3, in no snapshot's map
            v.snapshots().create("s3");
            v.snapshots().delete("s2"); // B: now in no snapshot's map either (s3 holds D)
            fill(v, 'E');
            v.syncToBackend(30_000);
            long before = objectBytes();
            Volume.ScrubResult r = v.scrub(0.5, 64);
            long after = objectBytes();
            // B and C (an SCO each of 64 clusters' worth, 16 per SCO): 8 SCOs
            assertTrue(before - after >= 8L * 16 * Volume.CLUSTER, "B and C collected: " + before + " -> " + after
                    + " bytes, " + r);
            assertFilled(v, 'E');
            v.snapshots().rollback("s3");
            assertFilled(v, 'D');
            v.snapshots().rollback("s1");
            assertFilled(v, 'A');
        }
    }

    @Test
    void aRollbackDuringABackendOutageFailsInTimeAndIoGoesOn() throws Exception {
        try (Volume v = create(new VolumeConfig(16, 1, 60_000, 256 << 10, 64L << 20, 64L << 20))) {
            fill(v, 'A');
            v.snapshots().create("s");
            v.syncToBackend(30_000);
            backend.hook = (op, n) -> {
                if (op.equals("put") || op.equals("header")) throw new IOException("backend down (test)");
            };
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 128; i++) {
                        v.write((long) (i % CLUSTERS) * Volume.CLUSTER, ByteBuffer.wrap(filled(Volume.CLUSTER, 'W')),
                                false);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (v.dirtyBytes() < (256 << 10) && System.nanoTime() < deadline) Thread.sleep(5);
            Thread.sleep(50); // the writer now waits for the budget
            v.snapshots().uploadWaitMillis = 300;
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                    () -> assertThrows(IOException.class, () -> v.snapshots().rollback("s")),
                    "a writer waiting for uploads must not wedge the rollback");
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                    () -> v.read(0, ByteBuffer.allocate(Volume.CLUSTER)), "reads go on");
            backend.hook = (op, n) -> { };
            writer.join(30_000);
            assertFalse(writer.isAlive());
            assertCluster(v, 0, 'W');
        }
    }

    @Test
    void aRollbackThatFailsBeforeItsCommitLeavesTheVolumeUnchanged() throws Exception {
        try (Volume v = create()) {
            fill(v, 'A');
            v.snapshots().create("s");
            fill(v, 'B');
            backend.hook = (op, n) -> {
                if (op.equals("put") && n.startsWith("checkpoint.")) throw new IOException("backend down (test)");
            };
            assertThrows(IOException.class, () -> v.snapshots().rollback("s"));
            backend.hook = (op, n) -> { };
            assertFilled(v, 'B');
            assertEquals(0, v.dataGeneration());
            v.abandon(); // a crash right after: the next open is the old volume too
        }
        try (Volume v = engine.open("v")) {
            assertFilled(v, 'B');
            v.snapshots().rollback("s"); // and the rollback can be done after all
            assertFilled(v, 'A');
        }
    }

    @Test
    void aCrashAtAnyStepOfARollbackLeavesTheOldOrTheRolledBackVolume() throws Exception {
        create().close();
        int sawOld = 0;
        int sawRolledBack = 0;
        int step = 0;
        // each backend call of a rollback in turn is the crash point: everything from it on never happens
        for (; ; step++) {
            engine.delete("v");
            engine.create("v", (long) CLUSTERS * Volume.CLUSTER);
            Volume v = engine.open("v");
            fill(v, 'A');
            v.snapshots().create("s");
            fill(v, 'B');
            v.syncToBackend(30_000);
            AtomicInteger calls = new AtomicInteger();
            AtomicBoolean crashed = new AtomicBoolean();
            int crashAt = step;
            backend.hook = (op, n) -> {
                if (crashed.get() || calls.getAndIncrement() == crashAt) {
                    crashed.set(true);
                    throw new IOException("crash (test)");
                }
            };
            boolean completed;
            try {
                v.snapshots().rollback("s");
                completed = true;
            } catch (IOException e) {
                completed = false;
            }
            v.abandon();
            backend.hook = (op, n) -> { };
            try (Volume w = engine.open("v")) {
                ByteBuffer b = ByteBuffer.allocate(CLUSTERS * Volume.CLUSTER);
                w.read(0, b);
                byte first = b.get(0);
                assertTrue(first == 'A' || first == 'B', "step " + step + ": " + (char) first);
                for (int i = 0; i < b.capacity(); i += 512) assertEquals(first, b.get(i), "step " + step + " byte " + i);
                if (completed) assertEquals('A', first, "step " + step + ": a completed rollback stays");
                if (first == 'A') sawRolledBack++; else sawOld++;
            }
            if (!crashed.get()) break; // the rollback ran through without reaching the crash point
        }
        // the commit point is one of the steps: crashes before it leave the old volume, after it the new one
        assertTrue(sawOld >= 2 && sawRolledBack >= 2, step + " steps: old " + sawOld + ", rolled back " + sawRolledBack);
    }
}
