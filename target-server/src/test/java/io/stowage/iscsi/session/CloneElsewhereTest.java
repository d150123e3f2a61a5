package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.node.admin.AdminException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes with static ownership on one backend: a clone of a volume another node has open is refused on this one.
 * Made here, its count would go into the stored header by compare-and-swap, and the owner's header writer, which
 * never sees it, would overwrite it at its next commit: the snapshot could then be deleted under the clone.
 */
class CloneElsewhereTest {
    @TempDir Path dir;

    @Test
    void aCloneOfAVolumeAnotherNodeServesIsRefusedAndMadeThereItHoldsItsSnapshot() throws Exception {
        Path a = dir.resolve("alpha");
        Path b = dir.resolve("beta");
        Files.createDirectories(a.resolve("objects"));
        Files.createDirectories(b);
        Files.createSymbolicLink(b.resolve("objects"), a.resolve("objects")); // one backend, two caches
        Daemon alpha = LoopbackDaemon.start(a, Map.of("node.name", "alpha", "node.id", "1", "target.demo.lun.0",
                "demo", "volume.demo.size", "16M"));
        try {
            alpha.operations().createSnapshot("demo", "s");
            Daemon beta = LoopbackDaemon.start(b, Map.of("node.name", "beta", "node.id", "2"));
            try {
                AdminException refused = assertThrows(AdminException.class,
                        () -> beta.operations().cloneVolume("demo", "s", "c"));
                assertEquals(AdminException.Kind.IN_USE, refused.kind());
                assertTrue(refused.getMessage().contains("alpha"), refused.getMessage());
            } finally {
                beta.close();
            }
            alpha.operations().cloneVolume("demo", "s", "c"); // where it is served: counted by its header writer
            alpha.operations().createSnapshot("demo", "t"); // another commit of the parent's header
            AdminException held = assertThrows(AdminException.class,
                    () -> alpha.operations().deleteSnapshot("demo", "s"));
            assertEquals(AdminException.Kind.IN_USE, held.kind(), "the clone holds its snapshot");
        } finally {
            alpha.close();
        }
    }
}
