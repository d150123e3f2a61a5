package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local file faults (failed fsyncs, short and failed writes) on the cache directory, through {@link LocalFiles}. */
class LocalFaultsTest {
    static final VolumeConfig SMALL = new VolumeConfig(16, 1, 60_000, 64 << 20, 64 << 20, 64L << 20);
    @TempDir Path dir;
    final FaultyFiles files = new FaultyFiles();

    VolumeEngine engine() throws IOException {
        return new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")), SMALL, files);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] read(Volume v, long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        v.read(off, b);
        return b.array();
    }

    @Test
    void everySCOAndTLogFileIsOpenedThroughTheSeam() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(random(8192, 1)), true);
        v.abandon();
        Volume r = e.open("v"); // recovery adopts the SCO and rewrites the TLog
        assertArrayEquals(random(8192, 1), read(r, 0, 8192));
        r.close();
        assertTrue(files.opened.stream().anyMatch(p -> p.getFileName().toString().startsWith("sco.")), "SCOs");
        assertTrue(files.opened.stream().anyMatch(p -> p.getFileName().toString().startsWith("tlog.")), "TLogs");
        assertTrue(files.opened.stream().anyMatch(p -> p.getFileName().toString().endsWith(".recovered")),
                "recovery's rewritten TLog");
    }
}
