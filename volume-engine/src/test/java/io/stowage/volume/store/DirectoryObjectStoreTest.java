package io.stowage.volume.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory store passes the {@link ObjectStoreContract}, and leaves no temporary files behind. */
class DirectoryObjectStoreTest {
    @TempDir Path dir;

    @Test
    void directoryStorePassesTheContract() throws Exception {
        ObjectStoreContract.check(new DirectoryObjectStore(dir.resolve("objects")), dir.resolve("scratch"));
        try (var files = Files.list(dir.resolve("objects"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp")), "no temp files left");
        }
    }

    @Test
    void aDelayedDuplicateHeaderCommitCannotRollTheHeaderBack() throws Exception {
        DirectoryObjectStore s = new DirectoryObjectStore(dir.resolve("objects"));
        s.commitHeader(-1, -1, new ObjectStore.VolumeHeaderBytes(0, 0, new byte[] {0}));
        s.commitHeader(0, 0, new ObjectStore.VolumeHeaderBytes(1, 0, new byte[] {1})); // claimed at epoch 1
        s.commitHeader(1, 0, new ObjectStore.VolumeHeaderBytes(1, 5, new byte[] {5})); // TLog 5 committed
        s.commitHeader(1, 5, new ObjectStore.VolumeHeaderBytes(1, 6, new byte[] {6})); // then TLog 6
        // the first commit again, as a delayed duplicate: same owner, same epoch
        assertThrows(ObjectStore.FencedException.class,
                () -> s.commitHeader(1, 0, new ObjectStore.VolumeHeaderBytes(1, 5, new byte[] {5})));
        assertArrayEquals(new byte[] {6}, s.readHeader().orElseThrow().body(), "the header was not rolled back");
        assertEquals(6, s.readHeader().orElseThrow().lastTlog());
    }
}
