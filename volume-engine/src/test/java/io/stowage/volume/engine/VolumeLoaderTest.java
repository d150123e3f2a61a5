package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a volume from what a crash, media damage or an earlier release left behind. */
class VolumeLoaderTest {
    static final VolumeConfig SMALL = new VolumeConfig(16, 2, 60_000, 64 << 20, 64 << 20, 64L << 20);
    @TempDir Path dir;

    private VolumeEngine engine() throws Exception {
        return new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")), SMALL);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] read(Volume v, long off, int len) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(len);
        v.read(off, b);
        return b.array();
    }

    @Test
    void aLeftoverRecoveryTempFileDoesNotMakeTheVolumeUnopenable() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] data = random(8192, 1);
        v.write(0, ByteBuffer.wrap(data), true);
        v.abandon();
        // a crash between writing the recovered copy of a TLog and renaming it over the original
        Path tmp = dir.resolve("cache/v/tlog/tlog.00000001.000000000001.recovered");
        Files.write(tmp, new byte[0]);
        Volume r = e.open("v");
        assertArrayEquals(data, read(r, 0, 8192), "the original TLog was recovered");
        assertFalse(Files.exists(tmp), "the incomplete temporary copy is removed");
        r.close();
    }
}
