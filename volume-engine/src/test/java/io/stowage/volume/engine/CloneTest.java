package io.stowage.volume.engine;

import static io.stowage.volume.engine.SnapshotTest.assertCluster;
import static io.stowage.volume.engine.SnapshotTest.assertFilled;
import static io.stowage.volume.engine.SnapshotTest.fill;
import static io.stowage.volume.engine.SnapshotTest.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Thin clones: a new volume reading its parent snapshot's clusters in place (see docs/volume-engine.md). */
class CloneTest {
    static final int CLUSTERS = SnapshotTest.CLUSTERS;
    @TempDir Path dir;

    /** A directory backend whose stores call {@link #hook} (volume, operation, object) before each operation. */
    static final class HookedBackend extends ForwardingBackend {
        volatile Hook hook = (v, op, n) -> { };

        interface Hook {
            void before(String volume, String op, String name) throws IOException;
        }

        HookedBackend(Path root) throws IOException {
            super(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            return new ForwardingObjectStore(real.volume(name)) {
                @Override
                protected void before(String op, String n) throws IOException {
                    hook.before(name, op, n);
                }

                @Override
                public void commitHeader(long e, long t, VolumeHeaderBytes h) throws IOException {
                    hook.before(name, "commit", "header");
                    super.commitHeader(e, t, h);
                }
            };
        }

    }

    HookedBackend backend;
    VolumeEngine engine;

    private Volume create(String name) throws IOException {
        if (engine == null) {
            backend = new HookedBackend(dir.resolve("objects"));
            engine = new VolumeEngine(dir.resolve("cache"), backend, SnapshotTest.CONFIG);
        }
        engine.create(name, (long) CLUSTERS * Volume.CLUSTER);
        return engine.open(name);
    }

    private int clonesOf(Volume v, String snapshot) {
        return v.snapshots().list().stream().filter(s -> s.name().equals(snapshot)).findFirst().orElseThrow().clones();
    }

    private long scoBytes(String volume) throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("objects").resolve(volume))) {
            long n = 0;
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("sco.")).toList()) n += Files.size(p);
            return n;
        }
    }

    @Test
    void aCloneReadsTheSnapshotWhileTheParentIsOverwrittenAndScrubbed() throws Exception {
        try (Volume p = create("p")) {
            fill(p, 'A');
            p.snapshots().create("s");
            fill(p, 'B');
            engine.clone("p", "s", "c"); // the parent is open: counted through its own header writer
            assertEquals(1, clonesOf(p, "s"));
            assertTrue(p.snapshots().list().get(0).hasClones());
            assertEquals(0, scoBytes("c"), "no data copied");
            try (Volume c = engine.open("c")) {
                assertFilled(c, 'A');
                c.write(0, ByteBuffer.wrap(filled(Volume.CLUSTER, 'C')), false);
                assertCluster(c, 0, 'C');
                assertCluster(p, 0, 'B');
                fill(p, 'D'); // the parent overwritten again: A is only the snapshot's now
                p.syncToBackend(30_000);
                Volume.ScrubResult r = p.scrub(1.0, 1000);
                assertTrue(r.scosDeleted() > 0, "the scrub reclaimed B's SCOs: " + r);
                assertCluster(c, 0, 'C');
                for (int i = 1; i < CLUSTERS; i++) assertCluster(c, i, 'A'); // CRC-checked reads of p's SCOs
                assertEquals(c.info().sizeBytes(), p.info().sizeBytes());
                c.syncToBackend(30_000);
            }
            assertFilled(p, 'D');
        }
        engine.dropCache("c"); // the clone opens from the backend alone
        engine.dropCache("p");
        try (Volume c = engine.open("c")) {
            assertCluster(c, 0, 'C');
            for (int i = 1; i < CLUSTERS; i++) assertCluster(c, i, 'A');
        }
        try (Volume p = engine.open("p")) {
            assertEquals(1, clonesOf(p, "s"), "the count is in the parent's header");
        }
    }

    @Test
    void clonesOfClonesReadThroughEveryDepth() throws Exception {
        try (Volume p = create("p")) {
            fill(p, 'A');
            p.snapshots().create("s0");
            p.syncToBackend(30_000);
        }
        engine.clone("p", "s0", "c1"); // the parent closed: counted in its header directly
        String parent = "c1";
        for (int depth = 1; depth <= 3; depth++) {
            try (Volume c = engine.open(parent)) {
                c.write((long) depth * Volume.CLUSTER, ByteBuffer.wrap(filled(Volume.CLUSTER, 'A' + depth)), false);
                c.snapshots().create("s" + depth);
                if (depth < 3) engine.clone(parent, "s" + depth, "c" + (depth + 1)); // open parent
            }
            parent = "c" + (depth + 1);
        }
        engine.clone("c3", "s3", "c4"); // depth 4, through three ancestors of ancestors
        for (String v : engine.list().stream().map(i -> i.name()).toList()) engine.dropCache(v);
        try (Volume c = engine.open("c4")) {
            assertCluster(c, 0, 'A');
            assertCluster(c, 1, 'B');
            assertCluster(c, 2, 'C');
            assertCluster(c, 3, 'D');
            for (int i = 4; i < CLUSTERS; i++) assertCluster(c, i, 'A');
            c.write(0, ByteBuffer.wrap(filled(Volume.CLUSTER, 'Z')), false);
            assertCluster(c, 0, 'Z');
        }
        try (Volume c = engine.open("c2")) { // an ancestor's own data is untouched by its descendants
            assertCluster(c, 0, 'A');
            assertCluster(c, 1, 'B');
            assertCluster(c, 2, 'C');
            assertCluster(c, 3, 'A');
        }
    }

    @Test
    void whatACloneNeedsCannotBeDeletedNorRolledAwayUntilTheCloneIsDeleted() throws Exception {
        try (Volume p = create("p")) {
            fill(p, 'A');
            p.snapshots().create("early");
            fill(p, 'B');
            p.snapshots().create("s");
            engine.clone("p", "s", "c");
            Snapshots.SnapshotRefusedException e = assertThrows(Snapshots.SnapshotRefusedException.class,
                    () -> p.snapshots().delete("s"));
            assertEquals(Snapshots.Refusal.HAS_CLONES, e.reason());
            assertEquals(Snapshots.Refusal.HAS_CLONES, assertThrows(Snapshots.SnapshotRefusedException.class,
                    () -> p.snapshots().rollback("early")).reason(), "a rollback would drop the cloned snapshot");
            assertFilled(p, 'B');
        }
        Snapshots.SnapshotRefusedException e = assertThrows(Snapshots.SnapshotRefusedException.class,
                () -> engine.delete("p"));
        assertEquals(Snapshots.Refusal.HAS_CLONES, e.reason());
        assertTrue(e.getMessage().contains("'s'"), e.getMessage());
        assertTrue(engine.find("p").isPresent());
        engine.delete("c"); // the clone goes: its snapshot is free again
        try (Volume p = engine.open("p")) {
            assertEquals(0, clonesOf(p, "s"));
            p.snapshots().delete("s");
            p.snapshots().rollback("early");
            assertFilled(p, 'A');
        }
        engine.delete("p");
        assertTrue(engine.find("p").isEmpty());
    }

    @Test
    void aCloneIsRefusedForAMissingSnapshotOrAnExistingName() throws Exception {
        try (Volume p = create("p")) {
            fill(p, 'A');
            p.snapshots().create("s");
            engine.create("taken", Volume.CLUSTER);
            assertThrows(IllegalStateException.class, () -> engine.clone("p", "s", "taken"));
            assertEquals(Snapshots.Refusal.NOT_FOUND, assertThrows(Snapshots.SnapshotRefusedException.class,
                    () -> engine.clone("p", "nope", "c")).reason());
            assertThrows(IllegalArgumentException.class, () -> engine.clone("p", "s", "bad name"));
            assertThrows(IllegalStateException.class, () -> engine.clone("none", "s", "c"));
            assertEquals(0, clonesOf(p, "s"));
        }
    }

    /**
     * The open parent commits (a checkpoint can replace the snapshot's base and delete the old one) while the seed is
     * read from the header read before: the seed is read again from the new header (CloneTimeIT at 16 GiB hit it).
     */
    @Test
    void aParentHeaderChangingWhileTheSeedIsReadIsReadAgain() throws Exception {
        try (Volume p = create("p")) {
            fill(p, 'A');
            p.snapshots().create("s");
            p.syncToBackend(30_000);
            java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
            backend.hook = (v, op, n) -> {
                if (v.equals("p") && op.equals("get") && (n.startsWith("tlog.") || n.startsWith("checkpoint."))
                        && once.compareAndSet(false, true)) {
                    p.write(0, ByteBuffer.wrap(filled(Volume.CLUSTER, 'B')), false); // the parent commits
                    p.syncToBackend(30_000);
                    throw new java.nio.file.NoSuchFileException(n); // what it read was collected meanwhile
                }
            };
            engine.clone("p", "s", "c");
            backend.hook = (v, op, n) -> { };
            assertTrue(once.get(), "the hook ran");
            try (Volume c = engine.open("c")) {
                assertFilled(c, 'A');
            }
            assertEquals(1, clonesOf(p, "s"));
        }
    }

    @Test
    void aCrashDuringCreationLeavesNoHalfClone() throws Exception {
        try (Volume p = create("p")) {
            fill(p, 'A');
            p.snapshots().create("s");
            p.syncToBackend(30_000);
        }
        // the clone's header commit (its commit point) fails, and so does everything after it (a crash)
        backend.hook = (v, op, n) -> {
            if (v.equals("c") && op.equals("commit")) {
                backend.hook = (v2, op2, n2) -> {
                    throw new IOException("crashed");
                };
                throw new IOException("crashed");
            }
        };
        assertThrows(IOException.class, () -> engine.clone("p", "s", "c"));
        backend.hook = (v, op, n) -> { };
        assertTrue(engine.find("c").isEmpty(), "no clone");
        assertEquals(List.of("p"), engine.list().stream().map(i -> i.name()).toList());
        try (Volume p = engine.open("p")) {
            assertEquals(1, clonesOf(p, "s"), "counted before the clone existed: the safe side");
        }
        assertEquals(java.util.Map.of("s", 0), engine.recountClones("p"));
        try (Volume p = engine.open("p")) {
            assertEquals(0, clonesOf(p, "s"));
        }
        // a failure the engine sees (no crash) undoes the count itself; then the name is free for a clone
        backend.hook = (v, op, n) -> {
            if (v.equals("c") && op.equals("commit")) throw new IOException("backend down");
        };
        assertThrows(IOException.class, () -> engine.clone("p", "s", "c"));
        backend.hook = (v, op, n) -> { };
        assertEquals(java.util.Map.of("s", 0), engine.recountClones("p"), "already right");
        engine.clone("p", "s", "c");
        try (Volume c = engine.open("c")) {
            assertFilled(c, 'A');
        }
        assertEquals(java.util.Map.of("s", 1), engine.recountClones("p"));
    }
}
