package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stowage.volume.OutOfSpaceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache on a real, small filesystem (a 3 MiB tmpfs this test mounts; it needs root and is skipped without):
 * a full disk is not a failure of the volume. The objects live elsewhere (the backend is not the cache disk).
 */
class CacheDiskFullTest {
    /** 64 KiB SCOs, one per TLog, TLogs closed after 20 ms; limits far above the disk, so the disk fills first. */
    static final VolumeConfig CONFIG = new VolumeConfig(16, 1, 20, 64 << 20, 64 << 20, 32L << 20);
    @TempDir Path dir;
    Path cache;

    @BeforeEach
    void mount() throws Exception {
        cache = dir.resolve("cache");
        Files.createDirectories(cache);
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", cache.toString())
                .redirectErrorStream(true).start();
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "tmpfs mount refused");
    }

    @AfterEach
    void unmount() throws Exception {
        if (cache != null) new ProcessBuilder("umount", "-l", cache.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes 64 KiB chunks until one fails; returns how many succeeded. */
    static int fill(Volume v, long seed) throws IOException {
        for (int i = 0; ; i++) {
            try {
                v.write((long) i * 65536, ByteBuffer.wrap(random(65536, seed + i)), false);
            } catch (OutOfSpaceException full) {
                return i;
            }
        }
    }

    @Test
    void aFullCacheDiskFailsWritesDistinctlyAndRecoversWhenUploadsFreeSpace() throws Exception {
        DurabilityContractTest.FlakyBackend backend = new DurabilityContractTest.FlakyBackend(dir.resolve("obj"));
        VolumeEngine e = new VolumeEngine(cache, backend, CONFIG);
        e.create("v", 16 << 20);
        Volume v = e.open("v");
        backend.down = true; // nothing is uploaded, so nothing can be evicted: the disk fills
        int written = fill(v, 100);
        assertTrue(written > 4 && written < 64, written + " chunks fitted");
        assertFalse(v.stats().halted(), "a full disk is not a halt");
        for (int i = 0; i < written; i++) {
            ByteBuffer got = ByteBuffer.allocate(65536);
            v.read((long) i * 65536, got);
            assertArrayEquals(random(65536, 100 + i), got.array(), "reads go on: chunk " + i);
        }
        v.flush(); // what was acknowledged can still be made durable
        assertThrows(OutOfSpaceException.class,
                () -> v.write((long) written * 65536, ByteBuffer.wrap(random(65536, 1)), false), "still full");
        backend.down = false; // uploads go on and free the cache
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        byte[] later = random(65536, 2);
        while (true) {
            try {
                v.write((long) written * 65536, ByteBuffer.wrap(later), false);
                break;
            } catch (OutOfSpaceException full) {
                assertTrue(System.nanoTime() < deadline, "writes succeed again once uploads freed space");
                Thread.sleep(20);
            }
        }
        v.syncToBackend(20_000);
        v.close();
        e.dropCache("v");
        Volume r = e.open("v");
        for (int i = 0; i < written; i++) {
            ByteBuffer got = ByteBuffer.allocate(65536);
            r.read((long) i * 65536, got);
            assertArrayEquals(random(65536, 100 + i), got.array(), "chunk " + i + " after a backend restart");
        }
        ByteBuffer got = ByteBuffer.allocate(65536);
        r.read((long) written * 65536, got);
        assertArrayEquals(later, got.array());
        r.close();
    }

    @Test
    void aVolumeOpensOnAFullCacheDisk() throws Exception {
        DurabilityContractTest.FlakyBackend backend = new DurabilityContractTest.FlakyBackend(dir.resolve("obj"));
        VolumeEngine e = new VolumeEngine(cache, backend, CONFIG);
        e.create("v", 16 << 20);
        Volume v = e.open("v");
        backend.down = true;
        int written = fill(v, 100);
        v.flush();
        v.abandon(); // a crash (or a stop) with the disk full of unuploaded data
        Path filler = cache.resolve("filler");
        try (var out = Files.newOutputStream(filler)) { // whatever space is left: none
            byte[] b = new byte[4096];
            while (true) out.write(b);
        } catch (IOException full) {
            // the disk is full
        }
        backend.down = false;
        Volume r = e.open("v"); // recovery needs no new space to start
        for (int i = 0; i < written; i++) {
            ByteBuffer got = ByteBuffer.allocate(65536);
            r.read((long) i * 65536, got);
            assertArrayEquals(random(65536, 100 + i), got.array(), "chunk " + i);
        }
        assertFalse(r.stats().halted());
        // the filler stays: the recovered data's uploads free the space the next write needs
        byte[] later = random(65536, 3);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                r.write((long) written * 65536, ByteBuffer.wrap(later), false);
                break;
            } catch (OutOfSpaceException full) {
                assertTrue(System.nanoTime() < deadline, "writes succeed again once uploads freed space");
                Thread.sleep(20);
            }
        }
        r.syncToBackend(20_000);
        r.close();
    }
}
