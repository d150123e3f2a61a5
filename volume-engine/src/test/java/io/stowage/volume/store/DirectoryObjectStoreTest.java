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
}
