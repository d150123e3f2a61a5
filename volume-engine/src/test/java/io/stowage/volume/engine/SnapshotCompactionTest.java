package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrub compaction of SCOs snapshots reference: an SCO whose clusters are mostly dead in the current map and in
 * every snapshot is collected even though a snapshot still points into it; what the snapshots reference is copied
 * first and their maps are rewritten around the copies. A snapshot with clones keeps its SCOs whole.
 */
class SnapshotCompactionTest {
    static final VolumeConfig CONFIG = SnapshotTest.CONFIG; // 16 clusters per SCO, one SCO per TLog
    static final int CLUSTERS = SnapshotTest.CLUSTERS; // 64: four SCOs per fill
    @TempDir Path dir;
    SnapshotTest.HookedBackend backend;
    VolumeEngine engine;

    private Volume create() throws IOException {
        backend = new SnapshotTest.HookedBackend(dir.resolve("objects"));
        engine = new VolumeEngine(dir.resolve("cache"), backend, CONFIG);
        engine.create("v", (long) CLUSTERS * Volume.CLUSTER);
        return engine.open("v");
    }

    /** Writes {@code value} into every cluster {@code c} with {@code c % 16 >= from}. */
    private static void overwriteFrom(Volume v, int from, int value) throws IOException {
        byte[] b = new byte[Volume.CLUSTER];
        java.util.Arrays.fill(b, (byte) value);
        for (int c = 0; c < CLUSTERS; c++) {
            if (c % 16 >= from) v.write((long) c * Volume.CLUSTER, ByteBuffer.wrap(b), false);
        }
    }

    /** The snapshot's contents: A in the first 4 clusters of every 16, B in the rest. */
    private static void assertSnapshotContents(Volume v, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(CLUSTERS * Volume.CLUSTER);
        v.read(0, b);
        for (int c = 0; c < CLUSTERS; c++) {
            byte want = (byte) (c % 16 < 4 ? 'A' : 'B');
            for (int i = 0; i < Volume.CLUSTER; i += 512) {
                assertEquals(want, b.get(c * Volume.CLUSTER + i), what + ": cluster " + c + " byte " + i);
            }
        }
    }

    private long scoObjectBytes(String volume) throws IOException {
        return SnapshotTest.scoBytes(dir.resolve("objects").resolve(volume));
    }

    /**
     * A's four SCOs: a quarter of each is in snapshot s, none in the current map. Before compaction the snapshot
     * kept all four whole; now they are collected, s reads the same (through a clone, a rollback, and after an
     * open from the backend alone), and its map is its own object.
     */
    @Test
    void aSnapshotHeldScoMostlyDeadEverywhereIsCollectedAndTheSnapshotReadsTheSame() throws Exception {
        try (Volume v = create()) {
            SnapshotTest.fill(v, 'A');
            overwriteFrom(v, 4, 'B'); // 3/4 of each A SCO dead before the snapshot
            v.snapshots().create("s");
            SnapshotTest.fill(v, 'C'); // everything the snapshot holds is dead in the current map
            v.syncToBackend(30_000);
            long before = scoObjectBytes("v");
            Volume.ScrubResult r = v.scrub(0.5, 64);
            long after = scoObjectBytes("v");
            // A's 4 SCOs (16 clusters each) went; B's (12 of 16 in the snapshot: 75 % live) stayed
            assertTrue(before - after >= 4L * 16 * Volume.CLUSTER - 4L * 4 * Volume.CLUSTER,
                    "A's SCOs collected: " + before + " -> " + after + " bytes, " + r);
            assertNotNull(v.header().snapshot("s").map(), "s has its own map now");
            SnapshotTest.assertFilled(v, 'C');
            engine.clone("v", "s", "c");
        }
        try (Volume c = engine.open("c")) {
            assertSnapshotContents(c, "the clone made after the compaction");
        }
        engine.dropCache("v");
        try (Volume v = engine.open("v")) { // from the backend alone
            SnapshotTest.assertFilled(v, 'C');
            engine.delete("c");
            v.snapshots().rollback("s");
            assertSnapshotContents(v, "rolled back to s");
        }
    }

    /** Two snapshots hold parts of the same SCOs: both are rewritten in one pass and both read as they did. */
    @Test
    void twoSnapshotsHoldingOneScoAreBothRewritten() throws Exception {
        try (Volume v = create()) {
            SnapshotTest.fill(v, 'A');
            overwriteFrom(v, 4, 'B');
            v.snapshots().create("s1");
            overwriteFrom(v, 2, 'D'); // A survives in clusters 0,1 of 16 in s2; 0..3 in s1
            v.snapshots().create("s2");
            SnapshotTest.fill(v, 'C');
            v.syncToBackend(30_000);
            v.scrub(0.5, Integer.MAX_VALUE); // no limit on victims (as an operator's full pass)
            assertNotNull(v.header().snapshot("s1").map());
            assertNotNull(v.header().snapshot("s2").map());
            v.scrub(0.5, 64); // a second pass over rewritten snapshots changes nothing they read
            v.snapshots().rollback("s2");
            ByteBuffer b = ByteBuffer.allocate(CLUSTERS * Volume.CLUSTER);
            v.read(0, b);
            for (int c = 0; c < CLUSTERS; c++) {
                assertEquals((byte) (c % 16 < 2 ? 'A' : 'D'), b.get(c * Volume.CLUSTER), "s2 cluster " + c);
            }
            v.snapshots().rollback("s1");
            assertSnapshotContents(v, "s1");
        }
    }

    /** A snapshot with a clone keeps its SCOs whole: the clone reads them in place. */
    @Test
    void aSnapshotWithACloneKeepsItsScosWhole() throws Exception {
        try (Volume v = create()) {
            SnapshotTest.fill(v, 'A');
            overwriteFrom(v, 4, 'B');
            v.snapshots().create("s");
            engine.clone("v", "s", "c");
            SnapshotTest.fill(v, 'C');
            v.syncToBackend(30_000);
            long before = scoObjectBytes("v");
            v.scrub(0.5, 64);
            assertNull(v.header().snapshot("s").map(), "not rewritten: a clone was seeded from it");
            try (Volume c = engine.open("c")) {
                assertSnapshotContents(c, "the clone");
            }
            assertEquals(before, scoObjectBytes("v"), "nothing went: every dead cluster is in an SCO the clone reads");
        }
    }

    /**
     * Each backend call of a compacting pass in turn is a crash point: afterwards the volume and its snapshot read
     * as before, whichever side of the header commit the crash fell.
     */
    @Test
    void aCrashAtAnyStepOfACompactionLosesNothing() throws Exception {
        create().close();
        int rewritten = 0;
        int step = 0;
        for (; ; step++) {
            engine.delete("v");
            engine.create("v", (long) CLUSTERS * Volume.CLUSTER);
            Volume v = engine.open("v");
            SnapshotTest.fill(v, 'A');
            overwriteFrom(v, 4, 'B');
            v.snapshots().create("s");
            SnapshotTest.fill(v, 'C');
            v.syncToBackend(30_000);
            AtomicInteger calls = new AtomicInteger();
            AtomicBoolean crashed = new AtomicBoolean();
            int crashAt = step;
            Thread death = new Thread(v::abandon); // the process dies at the crash point: nothing of it goes on
            death.setDaemon(true);
            backend.hook = (op, n) -> {
                if (crashed.get() || calls.getAndIncrement() == crashAt) {
                    if (!crashed.getAndSet(true)) death.start();
                    throw new IOException("crash (test)");
                }
            };
            try {
                v.scrub(0.5, 64);
            } catch (IOException e) {
                // the crash
            }
            if (crashed.get()) {
                death.join();
            } else {
                v.abandon();
            }
            backend.hook = (op, n) -> { };
            if (step % 2 == 0) engine.dropCache("v"); // half the time from the backend alone
            try (Volume w = engine.open("v")) {
                SnapshotTest.assertFilled(w, 'C');
                if (w.header().snapshot("s").map() != null) rewritten++;
                w.snapshots().rollback("s");
                assertSnapshotContents(w, "step " + step);
            }
            if (!crashed.get()) break; // the pass ran through without reaching the crash point
        }
        assertTrue(step >= 4 && rewritten >= 1, step + " steps, " + rewritten + " rewritten");
    }
}
