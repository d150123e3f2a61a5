package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.log.TLogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open SCO and TLog write into disk blocks reserved when their files were made (a flush's fdatasync then
 * allocates nothing), their sizes still say what was written, and an SCO sealed short of full gives the rest back.
 */
class FileReservationTest {
    static final int SCO_CLUSTERS = 1024;
    @TempDir Path dir;

    /** Bytes of disk the file holds (st_blocks × 512), which its size does not show. */
    static long allocated(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertEquals(0, p.waitFor(), out);
        return Long.parseLong(out) * 512;
    }

    private static Path only(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.toList();
            assertEquals(1, all.size(), "files in " + dir + ": " + all);
            return all.get(0);
        }
    }

    @Test
    void theOpenFilesHaveTheirBlocksBeforeTheWritesAndAShortSealGivesTheRestBack() throws Exception {
        assertTrue(NativeFiles.available(), "fallocate through libc on Linux");
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                new VolumeConfig(SCO_CLUSTERS, 8, 600_000, 64 << 20, 64 << 20, 16L << 20));
        e.create("v", 64 << 20);
        Volume v = e.open("v");
        byte[] data = random(2 * Volume.CLUSTER, 7);
        v.write(0, ByteBuffer.wrap(data), true);

        Path sco = only(dir.resolve("cache/v/sco"));
        assertEquals(2L * Volume.CLUSTER, Files.size(sco), "an SCO's size is what was written");
        assertTrue(allocated(sco) >= (long) SCO_CLUSTERS * Volume.CLUSTER,
                "the open SCO has blocks for all its clusters: " + allocated(sco));
        Path tlog = only(dir.resolve("cache/v/tlog"));
        assertEquals(0, Files.size(tlog) % TLogEntry.SIZE, "a TLog's size is whole entries");
        assertTrue(Files.size(tlog) >= 2L * TLogEntry.SIZE);
        assertTrue(allocated(tlog) >= 8L * SCO_CLUSTERS * TLogEntry.SIZE,
                "the open TLog has blocks for a full TLog: " + allocated(tlog));

        v.syncToBackend(30_000); // rolls the TLog, which seals the open SCO two clusters in
        assertEquals(2L * Volume.CLUSTER, Files.size(sco));
        assertTrue(allocated(sco) <= 4L * Volume.CLUSTER, "the sealed SCO gave back its reserve: " + allocated(sco));
        v.close();

        Volume again = e.open("v");
        ByteBuffer back = ByteBuffer.allocate(data.length);
        again.read(0, back);
        assertArrayEquals(data, back.array(), "the data, from the SCO whose reserve was given back");
        again.close();
    }
}
