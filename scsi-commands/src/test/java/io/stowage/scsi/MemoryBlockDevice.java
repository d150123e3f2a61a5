package io.stowage.scsi;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory volume for handler tests; counts flushes and FUA writes so tests can see durability requests. */
final class MemoryBlockDevice implements BlockDevice {
    final byte[] bytes;
    final VolumeInfo info;
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger fuaWrites = new AtomicInteger();

    MemoryBlockDevice(long size) {
        bytes = new byte[(int) size];
        info = new VolumeInfo("mem", UUID.fromString("12345678-9abc-4def-8123-456789abcdef"), size);
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

    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        if (fua) fuaWrites.incrementAndGet();
        src.get(bytes, (int) offset, src.remaining());
        return CompletableFuture.completedFuture(null);
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
