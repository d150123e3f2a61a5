package io.stowage.volume.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link ObjectStore} contract, run against the directory store. The RADOS store must pass the same
 * assertions (the contract methods are static so another module's test can call them).
 */
class DirectoryObjectStoreTest {
    @TempDir Path dir;

    static void contract(ObjectStore s, Path scratch) throws Exception {
        Files.write(scratch, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        s.putExclusive("sco.00000001.000000000001.00", scratch);
        assertThrows(java.io.IOException.class, () -> s.putExclusive("sco.00000001.000000000001.00", scratch),
                "objects are created exclusively");
        s.putExclusive("tlog.00000001.000000000001", ByteBuffer.wrap(new byte[] {9, 9}));
        assertTrue(s.exists("sco.00000001.000000000001.00"));
        assertFalse(s.exists("sco.00000001.000000000002.00"));
        ByteBuffer part = ByteBuffer.allocate(3);
        s.get("sco.00000001.000000000001.00", 2, 3, part);
        assertArrayEquals(new byte[] {3, 4, 5}, part.array());
        assertThrows(java.io.IOException.class, () -> s.get("sco.00000001.000000000001.00", 6, 4, ByteBuffer.allocate(4)));
        assertArrayEquals(new byte[] {9, 9}, s.getAll("tlog.00000001.000000000001"));
        assertEquals(List.of("sco.00000001.000000000001.00"), s.list("sco."));
        assertEquals(2, s.list("").stream().filter(n -> !n.equals("header")).count());
        s.delete("tlog.00000001.000000000001");
        assertFalse(s.exists("tlog.00000001.000000000001"));

        s.putReplace("state.reservations", ByteBuffer.wrap(new byte[] {1}));
        s.putReplace("state.reservations", ByteBuffer.wrap(new byte[] {2, 3}));
        assertArrayEquals(new byte[] {2, 3}, s.getAll("state.reservations"), "mutable state objects are replaced");
        s.delete("state.reservations");
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
    }

    @Test
    void directoryStorePassesTheContract() throws Exception {
        contract(new DirectoryObjectStore(dir.resolve("objects")), dir.resolve("scratch"));
        try (var files = Files.list(dir.resolve("objects"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp")), "no temp files left");
        }
    }
}
