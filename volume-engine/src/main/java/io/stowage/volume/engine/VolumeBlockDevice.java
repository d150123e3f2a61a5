package io.stowage.volume.engine;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.SubmitterBacklog;
import io.stowage.volume.VolumeInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Volume} as the SCSI layer's {@link BlockDevice}: its blocking calls run on the I/O executor. It counts
 * what a dashboard shows of the device: operations in flight (queue depth, from submission to completion: the
 * executor's queue included) and read and write latency histograms (their counts are the IOPS). The counting is
 * two {@code nanoTime} calls and a few {@link LongAdder} increments per I/O: no lock, no allocation.
 */
public final class VolumeBlockDevice implements BlockDevice {
    private final Volume volume;
    private final Executor io;
    private final boolean writeThrough;
    private final LatencyHistogram readLatency = new LatencyHistogram();
    private final LatencyHistogram writeLatency = new LatencyHistogram();
    private final LongAdder inFlight = new LongAdder();

    public VolumeBlockDevice(Volume volume, Executor io) {
        this(volume, io, false);
    }

    /** With {@code writeThrough}, every write is flushed before it is acknowledged (and WCE reads 0). */
    public VolumeBlockDevice(Volume volume, Executor io, boolean writeThrough) {
        this.volume = volume;
        this.io = io;
        this.writeThrough = writeThrough;
    }

    public Volume volume() {
        return volume;
    }

    /** Reads (READ commands of any size) from submission to completion. */
    public LatencyHistogram readLatency() {
        return readLatency;
    }

    /** Writes (WRITE commands, FUA included) from submission to completion. */
    public LatencyHistogram writeLatency() {
        return writeLatency;
    }

    /** Operations submitted and not yet completed: the device's queue depth. */
    public long queueDepth() {
        return inFlight.sum();
    }

    @Override
    public VolumeInfo info() {
        return volume.info();
    }

    /** Largest read or write done on the submitting thread (see {@link #read}): page-cache copies, microseconds. */
    static final int INLINE_MAX = 128 << 10;

    /** QD1: nothing in flight on this device and nothing waiting behind this request on the submitting thread. */
    private boolean mayRunInline(int bytes) {
        return bytes <= INLINE_MAX && inFlight.sum() == 0 && !SubmitterBacklog.present();
    }

    /**
     * With nothing else in flight on this device and nothing waiting behind it on the submitting thread
     * ({@link SubmitterBacklog}: QD1) a small read whose clusters are all in the local SCO cache
     * is done on the submitting thread, the connection's receive thread: two thread hand-offs (to the executor and
     * back) cost more than the read. Anything else, or anything that might block, goes to the executor.
     */
    @Override
    public CompletionStage<Void> read(long offset, ByteBuffer dst) {
        if (mayRunInline(dst.remaining())) {
            CompletionStage<Void> done = inline(readLatency, () -> volume.readIfLocal(offset, dst));
            if (done != null) return done;
        }
        return run(readLatency, () -> volume.read(offset, dst));
    }

    /**
     * As for reads: with nothing else in flight (QD1), a small write that needs no flush (no FUA, write-back) and
     * can be done without waiting ({@link Volume#writeIfQuick}) is done on the submitting thread; anything else
     * goes to the executor.
     */
    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        if (!fua && !writeThrough && mayRunInline(src.remaining())) {
            CompletionStage<Void> done = inline(writeLatency, () -> volume.writeIfQuick(offset, src));
            if (done != null) return done;
        }
        return run(writeLatency, () -> volume.write(offset, src, fua || writeThrough));
    }

    /** An action that may decline (false: nothing done) rather than wait. */
    private interface QuickAction {
        boolean tryRun() throws IOException;
    }

    /** Runs {@code a} on this thread, counted in flight; null if it declined (the caller then uses the executor). */
    private CompletionStage<Void> inline(LatencyHistogram latency, QuickAction a) {
        long start = System.nanoTime();
        inFlight.increment();
        try {
            if (a.tryRun()) {
                latency.record(System.nanoTime() - start);
                return CompletableFuture.completedFuture(null);
            }
            return null;
        } catch (IOException e) {
            latency.record(System.nanoTime() - start);
            return CompletableFuture.failedFuture(new UncheckedIOException(e));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            inFlight.decrement();
        }
    }

    @Override
    public CompletionStage<Void> flush() {
        return run(volume::flush);
    }

    @Override
    public boolean halted() {
        return volume.stats().halted();
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(true, true, !writeThrough);
    }

    @Override
    public CompletionStage<Void> unmap(long offset, long length) {
        return run(() -> {
            volume.unmap(offset, length);
            if (writeThrough) volume.flush();
        });
    }

    @Override
    public CompletionStage<Integer> compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data) {
        inFlight.increment();
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    int r = volume.compareAndWrite(offset, expected, data);
                    if (r < 0 && writeThrough) volume.flush();
                    return r;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    inFlight.decrement();
                }
            }, io);
        } catch (RuntimeException rejected) {
            inFlight.decrement();
            throw rejected;
        }
    }

    @Override
    public void addDataChangeListener(Runnable listener) {
        volume.addDataChangeListener(listener);
    }

    @Override
    public byte[] loadState(String key) throws IOException {
        return volume.loadState(key);
    }

    @Override
    public CompletionStage<Void> saveState(String key, byte[] state) {
        return run(() -> volume.saveState(key, state));
    }

    @Override
    public CompletionStage<Void> orWrite(long offset, ByteBuffer data) {
        return run(() -> {
            volume.orWrite(offset, data);
            if (writeThrough) volume.flush();
        });
    }

    @Override
    public CompletionStage<java.util.List<Extent>> extents(long offset, long length) {
        return CompletableFuture.supplyAsync(() -> {
            java.util.List<Extent> out = new java.util.ArrayList<>();
            long first = offset / Volume.CLUSTER;
            long end = (offset + length + Volume.CLUSTER - 1) / Volume.CLUSTER;
            long pos = offset;
            for (long c = first; c < end; c += 65536) {
                int n = (int) Math.min(65536, end - c);
                long runStart = c * Volume.CLUSTER;
                for (long[] run : volume.allocationRuns(c, n)) {
                    boolean mapped = run[0] == 1;
                    long stop = Math.min(offset + length, runStart + run[1] * Volume.CLUSTER);
                    if (!out.isEmpty() && out.get(out.size() - 1).mapped() == mapped) {
                        Extent last = out.remove(out.size() - 1);
                        out.add(new Extent(last.offset(), stop - last.offset(), mapped));
                    } else {
                        out.add(new Extent(pos, stop - pos, mapped));
                    }
                    pos = stop;
                    runStart += run[1] * Volume.CLUSTER;
                }
            }
            return out;
        }, io);
    }

    private interface IoAction {
        void run() throws IOException;
    }

    /** Whole clusters are remapped (no data moves); anything not cluster-aligned is left to a data copy. */
    @Override
    public CompletionStage<Boolean> copyWithin(long src, long dst, long length) {
        int c = Volume.CLUSTER;
        if (src % c != 0 || dst % c != 0 || length % c != 0) return CompletableFuture.completedFuture(false);
        return run(() -> {
            volume.copyClusters(src / c, dst / c, length / c);
            if (writeThrough) volume.flush();
        }).thenApply(v -> true);
    }

    /** From another volume of the same engine: metadata-only where they share clusters ({@link CrossVolumeCopy}). */
    @Override
    public CompletionStage<Boolean> copyFrom(BlockDevice source, long src, long dst, long length) {
        int c = Volume.CLUSTER;
        if (!(source instanceof VolumeBlockDevice from) || from == this || src % c != 0 || dst % c != 0
                || length % c != 0) {
            return CompletableFuture.completedFuture(false);
        }
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return run(() -> {
            done.set(CrossVolumeCopy.copy(from.volume, volume, src / c, dst / c, length / c));
            if (done.get() && writeThrough) volume.flush();
        }).thenApply(v -> done.get());
    }

    private CompletionStage<Void> run(IoAction a) {
        return run(null, a);
    }

    /** Runs {@code a} on the executor, counted in flight and, with a histogram, timed into it. */
    private CompletionStage<Void> run(LatencyHistogram latency, IoAction a) {
        long start = System.nanoTime();
        inFlight.increment();
        try {
            return CompletableFuture.runAsync(() -> {
                try {
                    a.run();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    inFlight.decrement();
                    if (latency != null) latency.record(System.nanoTime() - start);
                }
            }, io);
        } catch (RuntimeException rejected) { // an executor shut down: the action never runs
            inFlight.decrement();
            throw rejected;
        }
    }

    @Override
    public void close() {
        try {
            volume.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
