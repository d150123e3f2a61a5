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

    @Test
    void aFailedFsyncInFlushIsNeverForgotten() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(random(8192, 1)), false);
        files.failForce(FaultyFiles.named("sco."), 1);
        assertThrows(IOException.class, v::flush, "the fsync failed");
        // the data of the first write may be lost: nothing may be acknowledged as durable from here on
        assertThrows(IOException.class, () -> {
            v.write(8192, ByteBuffer.wrap(random(4096, 2)), false);
            v.flush();
        }, "a later flush must not report GOOD after a failed fsync");
        assertTrue(v.stats().halted(), "the volume is halted");
        assertThrows(IOException.class, () -> read(v, 0, 4096), "its I/O fails");
        v.abandon();
    }

    @Test
    void aFailedFsyncBeforeUploadHaltsInsteadOfRetrying() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(random(8192, 1)), false);
        files.failForce(FaultyFiles.named("tlog."), 1); // the uploader's close of the TLog fsyncs it first
        assertThrows(IOException.class, () -> v.syncToBackend(10_000));
        assertTrue(v.stats().halted(), "a retried fsync would succeed on Linux after a writeback error: halt");
        v.abandon();
    }

    @Test
    void aFailedWriteHaltsTheVolume() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(random(4096, 1)), false);
        files.failWrite(FaultyFiles.named("sco."), 0, "Input/output error");
        assertThrows(IOException.class, () -> v.write(4096, ByteBuffer.wrap(random(4096, 2)), false));
        assertThrows(IOException.class, () -> v.write(8192, ByteBuffer.wrap(random(4096, 3)), false));
        assertThrows(IOException.class, v::flush);
        assertTrue(v.stats().halted());
        v.abandon();
    }

    @Test
    void anInterruptClosingAChannelIsNotTakenForAnFsync() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.write(0, ByteBuffer.wrap(random(4096, 1)), false);
        Thread.currentThread().interrupt(); // the fsync of the open SCO is interrupted: the JDK closes its channel
        try {
            assertThrows(IOException.class, v::flush, "nothing was fsynced: the flush must fail");
        } finally {
            Thread.interrupted();
        }
        assertTrue(v.stats().halted(), "the open SCO's channel is gone: the volume cannot go on");
        v.abandon();
    }

    /** The review's F3 case: a short TLog write (40 of 64 bytes), then an error, inside an append. */
    @Test
    void aShortTlogWriteNeitherHidesNorCorruptsLaterWrites() throws Exception {
        VolumeEngine e = engine();
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        byte[] w1 = random(8192, 1);
        v.write(0, ByteBuffer.wrap(w1), false);
        v.flush();
        files.failWrite(FaultyFiles.named("tlog."), 40, "Input/output error");
        assertThrows(IOException.class, () -> v.write(65536, ByteBuffer.wrap(random(8192, 2)), false));
        files.heal();
        byte[] w3 = random(8192, 3);
        boolean acknowledged;
        try {
            v.write(131072, ByteBuffer.wrap(w3), false);
            v.flush();
            acknowledged = true;
        } catch (IOException halted) {
            acknowledged = false;
        }
        v.abandon();
        try (java.util.stream.Stream<Path> tlogs = java.nio.file.Files.list(dir.resolve("cache/v/tlog"))) {
            for (Path t : tlogs.toList()) {
                assertEquals(0, java.nio.file.Files.size(t) % 32, t + ": the failed append was undone, no partial entry");
            }
        }
        Volume r = e.open("v");
        assertArrayEquals(w1, read(r, 0, 8192), "flushed before the fault");
        if (acknowledged) assertArrayEquals(w3, read(r, 131072, 8192), "acknowledged and flushed after the fault");
        byte[] w2 = read(r, 65536, 8192);
        for (int c = 0; c < 2; c++) {
            byte[] got = java.util.Arrays.copyOfRange(w2, c * 4096, c * 4096 + 4096);
            assertTrue(java.util.Arrays.equals(got, new byte[4096])
                    || java.util.Arrays.equals(got, java.util.Arrays.copyOfRange(random(8192, 2), c * 4096, c * 4096 + 4096)),
                    "the failed write's cluster " + c + " is old or new, never garbage");
        }
        r.close();
    }

    @Test
    void aFailedTlogRollNeverWritesIntoTheTlogQueuedForUpload() throws Exception {
        VolumeEngine e = engine(); // one SCO of 16 clusters per TLog: a full SCO rolls the TLog
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        files.failOpen(FaultyFiles.named("tlog.00000001.000000000002"), "Too many open files");
        byte[] full = random(16 * 4096, 1);
        try {
            v.write(0, ByteBuffer.wrap(full), false); // fills SCO 1: TLog 1 closes, TLog 2 cannot be opened
        } catch (IOException expected) {
            // the roll failed; the write itself is in TLog 1
        }
        files.heal();
        byte[] later = random(4096, 2);
        boolean acknowledged;
        try {
            v.write(65536, ByteBuffer.wrap(later), false);
            v.flush();
            acknowledged = true;
        } catch (IOException halted) {
            acknowledged = false;
        }
        if (acknowledged) v.syncToBackend(10_000);
        v.abandon();
        e.dropCache("v"); // what the backend has: TLog 1 must be exactly what was committed
        Volume r = e.open("v");
        if (acknowledged) assertArrayEquals(later, read(r, 65536, 4096), "a write acknowledged after the fault");
        r.close();
    }
}
