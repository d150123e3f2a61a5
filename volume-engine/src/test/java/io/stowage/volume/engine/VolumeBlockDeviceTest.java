package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.SubmitterBacklog;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeBlockDeviceTest {
    @TempDir Path dir;
    final ExecutorService io = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    private VolumeBlockDevice device(String name, boolean writeThrough) throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")),
                VolumeConfig.DEFAULT);
        e.create(name, 1 << 20);
        return new VolumeBlockDevice(e.open(name), io, writeThrough);
    }

    /**
     * QD1: a read of clusters in the local SCO cache, with nothing else in flight, is done on the calling thread
     * (no hand-off to the executor and back); an unaligned one, or one the executor must do, still completes
     * with the right bytes.
     */
    @Test
    void aLocalReadAtQueueDepthOneIsDoneOnTheCallingThread() throws Exception {
        try (VolumeBlockDevice d = device("inline", false)) {
            byte[] data = new byte[3 * 4096];
            new java.util.Random(5).nextBytes(data);
            d.write(4096, ByteBuffer.wrap(data), false).toCompletableFuture().get();
            ByteBuffer got = ByteBuffer.allocateDirect(data.length + 4096);
            var f = d.read(0, got.duplicate()).toCompletableFuture();
            assertTrue(f.isDone(), "completed before read() returned: on the calling thread");
            f.get();
            byte[] out = new byte[got.capacity()];
            got.get(0, out);
            assertArrayEquals(new byte[4096], java.util.Arrays.copyOf(out, 4096), "an unmapped cluster is zeros");
            assertArrayEquals(data, java.util.Arrays.copyOfRange(out, 4096, out.length));
            ByteBuffer odd = ByteBuffer.allocate(100);
            d.read(4096 + 10, odd).toCompletableFuture().get(); // unaligned: on the executor
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 10, 110), odd.array());
            assertEquals(0, d.queueDepth());
        }
    }

    /**
     * QD1: a whole-cluster write without FUA on a write-back volume is done on the calling thread; one with FUA,
     * an unaligned one and any write of a write-through volume go to the executor (they flush or read first).
     * All land: read back after a flush.
     */
    @Test
    void aQuickWriteAtQueueDepthOneIsDoneOnTheCallingThread() throws Exception {
        java.util.concurrent.atomic.AtomicInteger handedOff = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor counting = r -> {
            handedOff.incrementAndGet();
            io.execute(r);
        };
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")),
                VolumeConfig.DEFAULT);
        e.create("wb", 1 << 20);
        e.create("wt", 1 << 20);
        byte[] data = new byte[2 * 4096];
        new java.util.Random(6).nextBytes(data);
        try (VolumeBlockDevice wb = new VolumeBlockDevice(e.open("wb"), counting, false);
             VolumeBlockDevice wt = new VolumeBlockDevice(e.open("wt"), counting, true)) {
            var f = wb.write(8192, ByteBuffer.wrap(data), false).toCompletableFuture();
            assertTrue(f.isDone(), "completed before write() returned: on the calling thread");
            f.get();
            assertEquals(0, handedOff.get(), "no hand-off for the quick write");
            wb.write(0, ByteBuffer.wrap(data, 0, 4096), true).toCompletableFuture().get();
            assertEquals(1, handedOff.get(), "FUA: to the executor, which flushes");
            wb.write(4096 + 100, ByteBuffer.wrap(data, 0, 512), false).toCompletableFuture().get();
            assertEquals(2, handedOff.get(), "unaligned: to the executor (read-modify-write)");
            wt.write(0, ByteBuffer.wrap(data), false).toCompletableFuture().get();
            assertEquals(3, handedOff.get(), "write-through: to the executor");
            SubmitterBacklog.set(true);
            try {
                wb.write(8192, ByteBuffer.wrap(data), false).toCompletableFuture().get();
                assertEquals(4, handedOff.get(), "more requests behind it on this thread: to the executor");
                wb.read(8192, ByteBuffer.allocate(4096)).toCompletableFuture().get();
                assertEquals(5, handedOff.get(), "the same for a read");
            } finally {
                SubmitterBacklog.set(false);
            }
            wb.flush().toCompletableFuture().get();
            ByteBuffer got = ByteBuffer.allocate(4 * 4096);
            wb.read(0, got).toCompletableFuture().get();
            byte[] want = new byte[4 * 4096];
            System.arraycopy(data, 0, want, 0, 4096);
            System.arraycopy(data, 0, want, 4096 + 100, 512);
            System.arraycopy(data, 0, want, 8192, data.length);
            assertArrayEquals(want, got.array());
            assertEquals(0, wb.queueDepth());
        }
    }

    /** Across a power cut that keeps nothing no fsync covered (files and names), not by bookkeeping. */
    @Test
    void writeThroughMakesEveryAcknowledgedWriteDurable() throws Exception {
        PowerCutFiles power = new PowerCutFiles(1, PowerCutFiles.Mode.DROP);
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"),
                new PowerCutBackend(new DirectoryBackend(dir.resolve("obj")), power), VolumeConfig.DEFAULT, power);
        e.create("wt", 1 << 20);
        e.create("wb", 1 << 20);
        VolumeBlockDevice wt = new VolumeBlockDevice(e.open("wt"), io, true);
        VolumeBlockDevice wb = new VolumeBlockDevice(e.open("wb"), io, false);
        assertFalse(wt.capabilities().writeCache());
        assertTrue(wb.capabilities().writeCache());
        byte[] flushed = new byte[4096];
        java.util.Arrays.fill(flushed, (byte) 1);
        byte[] data = new byte[4096];
        java.util.Arrays.fill(data, (byte) 2);
        wb.write(0, ByteBuffer.wrap(flushed), false).toCompletableFuture().get();
        wb.flush().toCompletableFuture().get();
        wt.write(0, ByteBuffer.wrap(data), false).toCompletableFuture().get();
        wb.write(0, ByteBuffer.wrap(data), false).toCompletableFuture().get();
        power.cut();
        wt.volume().abandon();
        wb.volume().abandon();
        power.restore();
        try (VolumeBlockDevice t = new VolumeBlockDevice(e.open("wt"), io, true);
             VolumeBlockDevice b = new VolumeBlockDevice(e.open("wb"), io, false)) {
            ByteBuffer got = ByteBuffer.allocate(4096);
            t.read(0, got).toCompletableFuture().get();
            assertArrayEquals(data, got.array(), "write-through: durable when acknowledged");
            got.clear();
            b.read(0, got).toCompletableFuture().get();
            assertArrayEquals(flushed, got.array(), "write-back: durable at the next flush, not before");
        }
    }

    @Test
    void namedStateIsKeptWithTheVolume() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")),
                VolumeConfig.DEFAULT);
        e.create("s", 1 << 20);
        try (VolumeBlockDevice d = new VolumeBlockDevice(e.open("s"), io, false)) {
            assertNull(d.loadState("reservations"));
            d.saveState("reservations", new byte[] {1, 2, 3}).toCompletableFuture().get();
        }
        e.dropCache("s"); // even a node that lost its cache finds it: it is in the object store
        try (VolumeBlockDevice d = new VolumeBlockDevice(e.open("s"), io, false)) {
            assertArrayEquals(new byte[] {1, 2, 3}, d.loadState("reservations"));
            d.saveState("reservations", null).toCompletableFuture().get();
            assertNull(d.loadState("reservations"));
        }
    }

    @Test
    void extentsDescribeMappedAndDeallocatedRuns() throws Exception {
        try (VolumeBlockDevice d = device("x", false)) {
            d.write(0, ByteBuffer.allocate(16384), false).toCompletableFuture().get();
            d.unmap(4096, 8192).toCompletableFuture().get();
            List<BlockDevice.Extent> e = d.extents(512, 65536 - 512).toCompletableFuture().get();
            assertEquals(List.of(new BlockDevice.Extent(512, 3584, true), new BlockDevice.Extent(4096, 8192, false),
                    new BlockDevice.Extent(12288, 4096, true), new BlockDevice.Extent(16384, 49152, false)), e);
            ByteBuffer both = ByteBuffer.allocate(1024);
            both.put(512, new byte[512]).position(0);
            for (int i = 512; i < 1024; i++) both.put(i, (byte) 1);
            assertEquals(-1, d.compareAndWrite(0, both.slice(0, 512), both.slice(512, 512)).toCompletableFuture().get());
            assertEquals(0, d.compareAndWrite(0, both.slice(0, 512), both.slice(512, 512)).toCompletableFuture().get(),
                    "now the first byte differs");
        }
    }

    @Test
    void alignedCopiesWithinTheVolumeRemapInsteadOfMovingData() throws Exception {
        try (VolumeBlockDevice d = device("cp", false)) {
            byte[] data = new byte[64 << 10];
            new java.util.Random(9).nextBytes(data);
            d.write(0, ByteBuffer.wrap(data), false).toCompletableFuture().get();
            Volume.Stats before = d.volume().stats();
            assertTrue(d.copyWithin(0, 512 << 10, data.length).toCompletableFuture().get(), "remapped");
            Volume.Stats after = d.volume().stats();
            assertEquals(before.bytesWritten(), after.bytesWritten(), "no data was written");
            assertEquals(before.dirtyBytes() + 16 * Volume.METADATA_ENTRY_BYTES, after.dirtyBytes(),
                    "no new data waits for upload, only the metadata of 16 REMAPs");
            ByteBuffer got = ByteBuffer.allocate(data.length);
            d.read(512 << 10, got).toCompletableFuture().get();
            assertArrayEquals(data, got.array());
            // the copy is independent of its source afterwards
            d.write(0, ByteBuffer.allocate(4096), false).toCompletableFuture().get();
            got.clear();
            d.read(512 << 10, got).toCompletableFuture().get();
            assertArrayEquals(data, got.array());
            assertFalse(d.copyWithin(512, 8192, 4096).toCompletableFuture().get(), "unaligned: left to a data copy");
        }
    }
}
