package io.stowage.volume;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlockDeviceTest {
    @TempDir Path dir;
    private final ExecutorService io = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    @Test
    void createdVolumeKeepsItsIdentityAcrossReopen() throws Exception {
        FileVolumeStore store = new FileVolumeStore(dir, io);
        VolumeInfo first;
        try (FileBlockDevice dev = store.openOrCreate("demo", 8L << 30)) {
            first = dev.info();
        }
        try (FileBlockDevice dev = new FileVolumeStore(dir, io).openOrCreate("demo", 4096)) {
            assertEquals(first, dev.info(), "reopen must not change uuid or size");
        }
        assertTrue(Files.size(dir.resolve("demo/data")) == 8L << 30);
        assertTrue(Files.readAttributes(dir.resolve("demo/data"), "unix:*").size() > 0);
        assertEquals(List.of(first), store.list());
    }

    @Test
    void unwrittenSpaceReadsAsZerosAndWritesReadBack() throws Exception {
        try (FileBlockDevice dev = new FileVolumeStore(dir, io).openOrCreate("v", 1 << 20)) {
            ByteBuffer zeros = ByteBuffer.allocate(4096);
            zeros.put(0, (byte) 7);
            dev.read(8192, zeros).toCompletableFuture().get();
            for (int i = 0; i < 4096; i++) assertEquals(0, zeros.get(i));

            byte[] data = new byte[12288];
            new Random(1).nextBytes(data);
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                writes.add(dev.write(4096L * (10 + i), ByteBuffer.wrap(data, 4096 * i, 4096), i == 2)
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
            dev.flush().toCompletableFuture().get();
            ByteBuffer back = ByteBuffer.allocate(12288);
            dev.read(40960, back).toCompletableFuture().get();
            assertArrayEquals(data, back.array());
        }
    }

    @Test
    void rangeBeyondTheEndIsRefused() throws Exception {
        try (FileBlockDevice dev = new FileVolumeStore(dir, io).openOrCreate("v", 1 << 20)) {
            assertThrows(IllegalArgumentException.class, () -> dev.read((1 << 20) - 512, ByteBuffer.allocate(1024)));
            assertThrows(IllegalArgumentException.class, () -> dev.write(-1, ByteBuffer.allocate(1), false));
        }
    }

    @Test
    void volumeNamesAreValidated() throws Exception {
        FileVolumeStore store = new FileVolumeStore(dir, io);
        assertThrows(IllegalArgumentException.class, () -> store.create("../escape", 4096));
        assertThrows(IllegalArgumentException.class, () -> store.create("", 4096));
        assertThrows(IllegalArgumentException.class, () -> new VolumeInfo("x", java.util.UUID.randomUUID(), 1000));
    }
}
