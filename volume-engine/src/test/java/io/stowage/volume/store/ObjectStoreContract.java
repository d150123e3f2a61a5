package io.stowage.volume.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@link ObjectStore} contract every store must pass: the directory store here, the RADOS store against a
 * real cluster in backend-rados (this class ships in volume-engine's test jar for that).
 */
public final class ObjectStoreContract {
    private ObjectStoreContract() {
    }

    /** Runs the contract on an empty store; {@code scratch} is a file path the test may write. */
    public static void check(ObjectStore s, Path scratch) throws Exception {
        Files.write(scratch, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        s.putExclusive("sco.00000001.000000000001.00", scratch);
        assertThrows(java.io.IOException.class, () -> s.putExclusive("sco.00000001.000000000001.00", scratch),
                "objects are created exclusively");
        s.putExclusive("tlog.00000001.000000000001", ByteBuffer.wrap(new byte[] {9, 9}));
        assertTrue(s.exists("sco.00000001.000000000001.00"));
        assertFalse(s.exists("sco.00000001.000000000002.00"));
        assertEquals(8, s.size("sco.00000001.000000000001.00"));
        assertEquals(0, s.size("sco.00000001.000000000002.00"), "a missing object has size 0");
        ByteBuffer part = ByteBuffer.allocate(3);
        s.get("sco.00000001.000000000001.00", 2, 3, part);
        assertArrayEquals(new byte[] {3, 4, 5}, part.array());
        assertThrows(java.io.IOException.class, () -> s.get("sco.00000001.000000000001.00", 6, 4, ByteBuffer.allocate(4)));
        ByteBuffer direct = ByteBuffer.allocateDirect(8).position(2);
        s.get("sco.00000001.000000000001.00", 4, 3, direct);
        assertEquals(2, direct.position(), "a read leaves the destination's position alone");
        assertEquals(5, direct.get(2));
        assertEquals(7, direct.get(4));
        assertEquals(0, direct.get(5), "nothing is written past the length");
        ByteBuffer src = ByteBuffer.allocateDirect(6).put(new byte[] {0, 0, 4, 3, 2, 1}).position(2);
        s.putExclusive("sco.00000001.000000000003.00", src);
        assertArrayEquals(new byte[] {4, 3, 2, 1}, s.getAll("sco.00000001.000000000003.00"),
                "a put writes the buffer from its position");
        s.delete("sco.00000001.000000000003.00");
        assertArrayEquals(new byte[] {9, 9}, s.getAll("tlog.00000001.000000000001"));
        assertEquals(List.of("sco.00000001.000000000001.00"), s.list("sco."));
        assertEquals(2, s.list("").stream().filter(n -> !n.equals("header")).count());
        s.delete("tlog.00000001.000000000001");
        assertFalse(s.exists("tlog.00000001.000000000001"));

        assertTrue(s.readHeader().isEmpty());
        assertThrows(ObjectStore.FencedException.class,
                () -> s.commitHeader(0, new ObjectStore.VolumeHeaderBytes(1, new byte[] {1})));
        s.commitHeader(-1, new ObjectStore.VolumeHeaderBytes(0, new byte[] {1}));
        s.commitHeader(0, new ObjectStore.VolumeHeaderBytes(1, new byte[] {2}));
        assertThrows(ObjectStore.FencedException.class,
                () -> s.commitHeader(0, new ObjectStore.VolumeHeaderBytes(2, new byte[] {3})),
                "a commit guarded by a stale epoch is refused");
        assertEquals(1, s.readHeader().orElseThrow().epoch());
        assertArrayEquals(new byte[] {2}, s.readHeader().orElseThrow().body());

        // the last-TLog mark: a delayed duplicate of an earlier commit cannot roll the header back
        s.commitHeader(1, -1, new ObjectStore.VolumeHeaderBytes(1, 5, new byte[] {5}));
        s.commitHeader(1, 5, new ObjectStore.VolumeHeaderBytes(1, 6, new byte[] {6}));
        assertThrows(ObjectStore.FencedException.class,
                () -> s.commitHeader(1, 4, new ObjectStore.VolumeHeaderBytes(1, 5, new byte[] {5})),
                "a commit guarded by a stale last TLog is refused");
        assertEquals(6, s.readHeader().orElseThrow().lastTlog());
        assertArrayEquals(new byte[] {6}, s.readHeader().orElseThrow().body());

        // named state: written only under the owner epoch
        assertNull(s.getState("reservations"));
        s.putState(1, "reservations", new byte[] {1});
        s.putState(1, "reservations", new byte[] {2, 3});
        assertArrayEquals(new byte[] {2, 3}, s.getState("reservations"), "named state is replaced");
        assertThrows(ObjectStore.FencedException.class, () -> s.putState(0, "reservations", new byte[] {9}),
                "a state write guarded by a stale epoch is refused");
        assertThrows(ObjectStore.FencedException.class, () -> s.putState(0, "reservations", null));
        assertArrayEquals(new byte[] {2, 3}, s.getState("reservations"));
        s.putState(1, "reservations", null);
        assertNull(s.getState("reservations"), "null deletes it");
        s.putState(1, "reservations", null); // deleting what is not there is fine
        checkVersioned(s);
        checkDtlFencing(s);
    }

    /**
     * What the DTL's fencing relies on (io.stowage.volume.dtl): an exclusive create of an existing name fails with
     * FileAlreadyExistsException and leaves the object as it was, an empty object (a fence) can be created, a missing
     * object reads as NoSuchFileException, and names list in order.
     */
    public static void checkDtlFencing(ObjectStore s) throws Exception {
        s.putExclusive("dtl.00000003.000000000000", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> s.putExclusive("dtl.00000003.000000000000", ByteBuffer.wrap(new byte[] {4})));
        assertArrayEquals(new byte[] {1, 2, 3}, s.getAll("dtl.00000003.000000000000"), "the first writer's bytes stay");
        s.putExclusive("dtl.00000003.000000000001", ByteBuffer.allocate(0));
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> s.putExclusive("dtl.00000003.000000000001", ByteBuffer.wrap(new byte[] {5})),
                "an empty object fences its name");
        assertArrayEquals(new byte[0], s.getAll("dtl.00000003.000000000001"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> s.getAll("dtl.00000003.000000000002"));
        s.putExclusive("dtl.00000002.000000000007", ByteBuffer.wrap(new byte[] {6}));
        assertEquals(List.of("dtl.00000002.000000000007", "dtl.00000003.000000000000", "dtl.00000003.000000000001"),
                s.list("dtl."));
        for (String n : s.list("dtl.")) s.delete(n);
        assertEquals(List.of(), s.list("dtl."));
    }

    /** Versioned objects (the catalogue): compare-and-swap on a version, so two writers never lose an update. */
    public static void checkVersioned(ObjectStore s) throws Exception {
        assertTrue(s.getVersioned("catalogue").isEmpty());
        assertEquals(0, s.versionOf("catalogue"), "none yet");
        assertThrows(ObjectStore.VersionConflictException.class, () -> s.putVersioned("catalogue", 1, new byte[] {1}),
                "an update of what does not exist is refused");
        assertEquals(1, s.putVersioned("catalogue", 0, new byte[] {1}));
        assertThrows(ObjectStore.VersionConflictException.class, () -> s.putVersioned("catalogue", 0, new byte[] {9}),
                "a second creation is refused");
        assertEquals(2, s.putVersioned("catalogue", 1, new byte[] {2, 2}));
        assertThrows(ObjectStore.VersionConflictException.class, () -> s.putVersioned("catalogue", 1, new byte[] {9}),
                "a writer that read version 1 lost the race to the one that wrote version 2");
        ObjectStore.Versioned v = s.getVersioned("catalogue").orElseThrow();
        assertEquals(2, v.version());
        assertArrayEquals(new byte[] {2, 2}, v.data());
        assertEquals(2, s.versionOf("catalogue"), "the version alone");
        // many writers racing: each update lands exactly once
        int writers = 4;
        int each = 10;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(pool.submit(() -> {
                    int conflicts = 0;
                    for (int i = 0; i < each; ) {
                        ObjectStore.Versioned cur = s.getVersioned("catalogue").orElseThrow();
                        byte[] next = java.util.Arrays.copyOf(cur.data(), cur.data().length + 1);
                        try {
                            s.putVersioned("catalogue", cur.version(), next);
                            i++;
                        } catch (ObjectStore.VersionConflictException e) {
                            conflicts++;
                        }
                    }
                    return conflicts;
                }));
            }
            for (var f : done) f.get();
        } finally {
            pool.shutdown();
        }
        ObjectStore.Versioned last = s.getVersioned("catalogue").orElseThrow();
        assertEquals(2 + writers * each, last.version());
        assertEquals(2 + writers * each, last.data().length, "no update was lost");
    }

}
