package io.stowage.iscsi.session;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory volume that can park writes: while parking is on, a write is held (neither applied nor answered)
 * until {@link #releaseParked}, which applies it then — a backend stall, as a RADOS outage looks to the SCSI
 * layer. Lets recovery tests order an old write after a newer one.
 */
final class ParkingBlockDevice implements BlockDevice {
    private final byte[] bytes;
    private final VolumeInfo info;
    private final List<Runnable> parked = new ArrayList<>();
    private boolean parking;

    ParkingBlockDevice(int size) {
        bytes = new byte[size];
        info = new VolumeInfo("parking", UUID.fromString("0badcafe-9abc-4def-8123-456789abcdef"), size);
    }

    @Override
    public VolumeInfo info() {
        return info;
    }

    synchronized void park(boolean on) {
        parking = on;
    }

    @Override
    public synchronized CompletionStage<Void> read(long offset, ByteBuffer dst) {
        dst.put(bytes, (int) offset, dst.remaining());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable apply = () -> {
            synchronized (this) {
                src.get(bytes, (int) offset, src.remaining());
            }
            done.complete(null);
        };
        synchronized (this) {
            if (parking) {
                parked.add(apply);
                notifyAll();
                return done;
            }
        }
        apply.run();
        return done;
    }

    /** Waits until {@code n} writes are parked. */
    synchronized void awaitParked(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (parked.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("only " + parked.size() + " writes parked");
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Applies and answers the parked writes, in the order they came. */
    void releaseParked() {
        List<Runnable> now;
        synchronized (this) {
            now = new ArrayList<>(parked);
            parked.clear();
        }
        now.forEach(Runnable::run);
    }

    @Override
    public CompletionStage<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }
}
