package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Write, unmap, read back zeros — while uploads apply TLogs to LMDB concurrently (libiscsi's WriteSame*.Unmap). */
class UnmapRaceTest {
    @TempDir Path dir;

    @Test
    void unmappedBlocksReadZeroWhileUploadsRun() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")),
                new VolumeConfig(16, 1, 5, 64L << 20, 64L << 20, 64L << 20));
        long size = 8 << 20;
        e.create("v", size);
        try (Volume v = e.open("v")) {
            for (int round = 0; round < 3; round++) {
                for (int i = 1; i <= 256; i++) {
                    for (long off : new long[] {0, size - i * 512L}) {
                        byte[] ff = new byte[i * 512];
                        Arrays.fill(ff, (byte) 0xff);
                        v.write(off, ByteBuffer.wrap(ff), false);
                        v.unmap(off, i * 512L);
                        ByteBuffer back = ByteBuffer.allocate(i * 512);
                        v.read(off, back);
                        assertArrayEquals(new byte[i * 512], back.array(), "round " + round + " i " + i + " at " + off);
                    }
                }
            }
        }
    }
}
