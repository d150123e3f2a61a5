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

    /** Commits 8 clusters in one TLog, closes, drops the cache: the next open reads that TLog from the store. */
    private Path committedTlogObject(VolumeEngine e, byte[] data) throws Exception {
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(data), false);
        v.syncToBackend(30_000);
        v.close();
        e.dropCache("v");
        try (var s = Files.list(dir.resolve("obj/v"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("tlog.")).findFirst().orElseThrow();
        }
    }

    @Test
    void aCommittedTlogWithADamagedEntryFailsTheOpenNamingTheObject() throws Exception {
        VolumeEngine e = engine();
        byte[] data = random(8 * 4096, 2);
        Path tlog = committedTlogObject(e, data);
        byte[] bytes = Files.readAllBytes(tlog);
        bytes[bytes.length / 2] ^= 0x40; // a byte in the middle: one entry's CRC no longer matches
        Files.write(tlog, bytes);
        java.io.IOException failure = assertThrows(java.io.IOException.class, () -> e.open("v"));
        assertTrue(failure.getMessage().contains(tlog.getFileName().toString()), failure.getMessage());
    }

    @Test
    void aTruncatedCommittedTlogFailsTheOpen() throws Exception {
        VolumeEngine e = engine();
        Path tlog = committedTlogObject(e, random(8 * 4096, 3));
        byte[] bytes = Files.readAllBytes(tlog);
        Files.write(tlog, java.util.Arrays.copyOf(bytes, bytes.length - 3 * 32)); // whole entries missing at the end
        java.io.IOException failure = assertThrows(java.io.IOException.class, () -> e.open("v"));
        assertTrue(failure.getMessage().contains(tlog.getFileName().toString()), failure.getMessage());
    }

    @Test
    void anIntactCommittedTlogOpens() throws Exception {
        VolumeEngine e = engine();
        byte[] data = random(8 * 4096, 4);
        committedTlogObject(e, data);
        Volume v = e.open("v");
        assertArrayEquals(data, read(v, 0, data.length));
        v.close();
    }

    @Test
    void anScoFileOfAnotherEpochBesideTheCommittedOneIsSetAsideNotAdopted() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] data = random(16 * 4096, 5);
        v.write(0, ByteBuffer.wrap(data), false); // SCO 1, full
        v.syncToBackend(30_000);
        v.close();
        Path sco = dir.resolve("cache/v/sco/sco.00000001.000000000001.00");
        assertTrue(Files.exists(sco), "the committed SCO is cached");
        Path foreign = sco.resolveSibling("sco.00000007.000000000001.00"); // e.g. left by an older release
        Files.write(foreign, random(16 * 4096, 6));
        Volume r = e.open("v");
        assertArrayEquals(data, read(r, 0, data.length));
        r.close();
        assertFalse(Files.exists(foreign), "it never shadows the committed SCO of its number");
        try (var s = Files.walk(dir.resolve("cache/v/" + CacheClaim.QUARANTINE))) {
            assertTrue(s.anyMatch(p -> p.getFileName().equals(foreign.getFileName())), "kept for inspection");
        }
    }
}
