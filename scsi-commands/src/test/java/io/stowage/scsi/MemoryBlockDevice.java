package io.stowage.scsi;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory volume for handler tests; counts flushes and FUA writes so tests can see durability requests. */
class MemoryBlockDevice implements BlockDevice { // not final: a test overrides copyFrom
    final byte[] bytes;
    final VolumeInfo info;
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger fuaWrites = new AtomicInteger();

    final boolean thin;
    final java.util.BitSet mapped = new java.util.BitSet();

    MemoryBlockDevice(long size) {
        this(size, true);
    }

    MemoryBlockDevice(long size, boolean thin) {
        this.thin = thin;
        bytes = new byte[(int) size];
        info = new VolumeInfo("mem", UUID.fromString(thin ? "12345678-9abc-4def-8123-456789abcdef"
                : "87654321-9abc-4def-8123-456789abcdef"), size);
    }

    @Override
    public VolumeInfo info() {
        return info;
    }

    @Override
    public CompletionStage<Void> read(long offset, ByteBuffer dst) {
        dst.put(bytes, (int) offset, dst.remaining());
        return CompletableFuture.completedFuture(null);
    }

    /** When set, every write fails with it (a test's injected device error). */
    volatile java.io.IOException writeFailure;
    /** When set, {@link #writeFailure} arrives wrapped as from an asynchronous device. */
    volatile boolean wrapFailures;

    @Override
    public synchronized CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        if (writeFailure != null) {
            // as VolumeBlockDevice fails: its blocking call runs in runAsync, so the IOException comes wrapped twice
            return CompletableFuture.failedFuture(wrapFailures ? new java.util.concurrent.CompletionException(
                    new java.io.UncheckedIOException(writeFailure)) : writeFailure);
        }
        if (fua) fuaWrites.incrementAndGet();
        int n = src.remaining();
        src.get(bytes, (int) offset, n);
        mapped.set((int) (offset / 4096), (int) ((offset + n + 4095) / 4096));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Capabilities capabilities() {
        return thin ? new Capabilities(true, true, true) : new Capabilities(false, false, false);
    }

    @Override
    public synchronized CompletionStage<Void> unmap(long offset, long length) {
        java.util.Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
        mapped.clear((int) ((offset + 4095) / 4096), (int) ((offset + length) / 4096));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<Integer> compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data) {
        int mismatch = ByteBuffer.wrap(bytes, (int) offset, expected.remaining()).mismatch(expected.duplicate());
        if (mismatch >= 0) return CompletableFuture.completedFuture(mismatch);
        write(offset, data.duplicate(), false);
        return CompletableFuture.completedFuture(-1);
    }

    final java.util.Map<String, byte[]> state = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public byte[] loadState(String key) {
        return state.get(key);
    }

    @Override
    public CompletionStage<Void> saveState(String key, byte[] value) {
        if (value == null) state.remove(key);
        else state.put(key, value);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<Void> orWrite(long offset, ByteBuffer data) {
        for (int i = 0; i < data.remaining(); i++) bytes[(int) offset + i] |= data.get(data.position() + i);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<java.util.List<Extent>> extents(long offset, long length) {
        java.util.List<Extent> out = new java.util.ArrayList<>();
        long pos = offset;
        while (pos < offset + length) {
            boolean m = mapped.get((int) (pos / 4096));
            long end = pos;
            while (end < offset + length && mapped.get((int) (end / 4096)) == m) end = (end / 4096 + 1) * 4096;
            end = Math.min(end, offset + length);
            out.add(new Extent(pos, end - pos, m));
            pos = end;
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<Void> flush() {
        flushes.incrementAndGet();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }
}
