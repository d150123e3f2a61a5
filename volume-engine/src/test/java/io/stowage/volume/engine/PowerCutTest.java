package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deterministic power cuts ({@link PowerCutFiles} in DROP mode: nothing unsynced survives). */
class PowerCutTest {
    static final VolumeConfig SMALL = new VolumeConfig(16, 1, 60_000, 64 << 20, 64 << 20, 64L << 20);
    @TempDir Path dir;
    final PowerCutFiles power = new PowerCutFiles(1, PowerCutFiles.Mode.DROP);

    VolumeEngine engine() throws IOException {
        return new VolumeEngine(dir.resolve("cache"),
                new PowerCutBackend(new DirectoryBackend(dir.resolve("obj")), power), SMALL, power);
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

    /** Cuts the power under a running volume and boots again: what the next open finds is what survived. */
    void cutAndReboot(Volume v) throws IOException {
        power.cut();
        v.abandon();
        power.restore();
    }

    @Test
    void aFlushedWriteSurvivesAPowerCutWithItsFileNames() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] w = random(8192, 1);
        v.write(0, ByteBuffer.wrap(w), false);
        v.flush(); // the SCO and the TLog are new files: their names must be durable too
        cutAndReboot(v);
        Volume r = e.open("v");
        assertArrayEquals(w, read(r, 0, 8192));
        r.close();
    }

    @Test
    void anUnflushedWriteIsGoneAfterAPowerCut() throws Exception {
        VolumeEngine e = engine(); // the layer has teeth: what no fsync covered does not survive
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] w = random(8192, 1);
        v.write(0, ByteBuffer.wrap(w), false);
        v.flush();
        v.write(0, ByteBuffer.wrap(random(8192, 2)), false);
        cutAndReboot(v);
        Volume r = e.open("v");
        assertArrayEquals(w, read(r, 0, 8192));
        r.close();
    }

    @Test
    void aRecoveryCutShortBeforeItsRenameIsDoneAgain() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] w = random(8192, 1);
        v.write(0, ByteBuffer.wrap(w), true);
        v.abandon();
        // what a power cut between writing recovery's temporary TLog and renaming it leaves
        java.nio.file.Files.write(dir.resolve("cache/v/tlog/tlog.00000001.000000000001.recovered"), new byte[40]);
        Volume r = e.open("v");
        assertArrayEquals(w, read(r, 0, 8192));
        r.close();
        try (var s = java.nio.file.Files.list(dir.resolve("cache/v/tlog"))) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".recovered")), "the leftover is gone");
        }
    }
}
