package io.stowage.node.ownership;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeHaltedException;
import io.stowage.volume.VolumeInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The device a leased volume's logical unit sees on every node: the opened volume while this node holds the lease,
 * nothing on a standby. Every call is gated by the lease's deadline on the monotonic clock: a command is started
 * only before it, and its completion is reported as a success only if it is still before it; otherwise it fails
 * with {@link VolumeHaltedException} (NOT READY / ASYMMETRIC ACCESS STATE TRANSITION at the SCSI layer, which
 * multipath initiators retry on another path). So a node whose renewals stop being answered stops acknowledging
 * I/O at the deadline by itself, whatever the renewing thread is doing. A command still running at the deadline
 * (a write-through write waiting for a DTL write while the cluster is unreachable) is failed then too, by a sweeper
 * that looks every {@link #SWEEP_MILLIS} ms, so the initiator can retry it on another path instead of waiting for
 * the backend's own timeouts; what it was doing goes on and is never acknowledged. Thread-safe.
 */
public final class LeasedDevice implements BlockDevice {
    /** Reads small named state from the backend without opening the volume (a standby's reservations). */
    public interface StateReader {
        byte[] read(String key) throws IOException;
    }

    private final VolumeInfo standbyInfo;
    private final Capabilities capabilities;
    private final Clocks clocks;
    private final StateReader state;
    private final List<Runnable> dataChangeListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** The answers of the commands in flight, failed by the sweeper if the deadline passes before they complete. */
    private final java.util.Set<CompletableFuture<?>> pending = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static final long SWEEP_MILLIS = 200;
    /** The devices serving now (the sweeper's list). */
    private static final java.util.Set<LeasedDevice> SERVING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        java.util.concurrent.ScheduledExecutorService sweeper =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "stowage-lease-sweeper");
                    t.setDaemon(true);
                    return t;
                });
        sweeper.scheduleWithFixedDelay(() -> {
            for (LeasedDevice d : SERVING) d.expirePending();
        }, SWEEP_MILLIS, SWEEP_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Fails every command in flight once the deadline has passed. */
    void expirePending() {
        if (pending.isEmpty() || clocks.nanos() - servingUntil < 0) return;
        for (CompletableFuture<?> f : pending) {
            f.completeExceptionally(notServed());
            pending.remove(f);
        }
    }
    private volatile BlockDevice active;
    private volatile boolean serving;
    /** Monotonic nanos before which I/O may be acknowledged (valid while {@link #serving}). */
    private volatile long servingUntil;

    public LeasedDevice(VolumeInfo info, Capabilities capabilities, Clocks clocks, StateReader state) {
        this.standbyInfo = info;
        this.capabilities = capabilities;
        this.clocks = clocks;
        this.state = state;
    }

    /** Starts serving {@code device} until {@code untilNanos}. */
    void attach(BlockDevice device, long untilNanos) {
        for (Runnable l : dataChangeListeners) device.addDataChangeListener(l);
        servingUntil = untilNanos;
        active = device;
        serving = true;
        SERVING.add(this);
    }

    /** Moves the deadline (a renewal answered). */
    void extend(long untilNanos) {
        servingUntil = untilNanos;
    }

    /**
     * Stops admitting I/O, waits up to {@code waitMillis} for what was admitted to finish, and hands the device back
     * (null if none was attached) for the caller to flush and close.
     */
    BlockDevice detach(long waitMillis) {
        serving = false;
        SERVING.remove(this);
        expirePending(); // past the deadline: what still runs is answered now, not when the backend gives up
        long end = System.nanoTime() + waitMillis * 1_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        BlockDevice d = active;
        active = null;
        return d;
    }

    /** True while I/O may be acknowledged here now. */
    public boolean serving() {
        return serving && active != null && clocks.nanos() - servingUntil < 0;
    }

    /** The opened volume while this node holds the lease, else null. */
    public BlockDevice active() {
        return serving ? active : null;
    }

    private VolumeHaltedException notServed() {
        return new VolumeHaltedException("volume " + standbyInfo.name() + " is not served by this node (it does not"
                + " hold the volume's lease)", null);
    }

    private <T> CompletionStage<T> gated(Function<BlockDevice, CompletionStage<T>> op) {
        BlockDevice d = active;
        if (d == null || !serving()) return CompletableFuture.failedFuture(notServed());
        inFlight.incrementAndGet();
        if (!serving()) { // detach ran between the check and the count
            inFlight.decrementAndGet();
            return CompletableFuture.failedFuture(notServed());
        }
        CompletionStage<T> s;
        try {
            s = op.apply(d);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            throw e;
        }
        CompletableFuture<T> out = new CompletableFuture<>();
        pending.add(out);
        s.whenComplete((v, t) -> {
            inFlight.decrementAndGet();
            pending.remove(out);
            if (t != null) {
                out.completeExceptionally(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
            } else if (clocks.nanos() - servingUntil >= 0) {
                out.completeExceptionally(notServed()); // the lease may have run out meanwhile: never acknowledged
            } else {
                out.complete(v);
            }
        });
        return out;
    }

    @Override
    public VolumeInfo info() {
        BlockDevice d = active;
        return d != null ? d.info() : standbyInfo;
    }

    @Override
    public CompletionStage<Void> read(long offset, ByteBuffer dst) {
        return gated(d -> d.read(offset, dst));
    }

    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        return gated(d -> d.write(offset, src, fua));
    }

    @Override
    public CompletionStage<Void> flush() {
        return gated(BlockDevice::flush);
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public CompletionStage<Void> unmap(long offset, long length) {
        return gated(d -> d.unmap(offset, length));
    }

    @Override
    public CompletionStage<Integer> compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data) {
        return gated(d -> d.compareAndWrite(offset, expected, data));
    }

    @Override
    public CompletionStage<Void> orWrite(long offset, ByteBuffer data) {
        return gated(d -> d.orWrite(offset, data));
    }

    @Override
    public byte[] loadState(String key) throws IOException {
        BlockDevice d = active;
        return d != null ? d.loadState(key) : state.read(key);
    }

    @Override
    public CompletionStage<Void> saveState(String key, byte[] value) {
        return gated(d -> d.saveState(key, value));
    }

    @Override
    public void addDataChangeListener(Runnable listener) {
        dataChangeListeners.add(listener);
        BlockDevice d = active;
        if (d != null) d.addDataChangeListener(listener);
    }

    @Override
    public boolean halted() {
        BlockDevice d = active;
        return d == null || !serving() || d.halted();
    }

    @Override
    public CompletionStage<List<Extent>> extents(long offset, long length) {
        return gated(d -> d.extents(offset, length));
    }

    @Override
    public CompletionStage<Boolean> copyWithin(long src, long dst, long length) {
        return gated(d -> d.copyWithin(src, dst, length));
    }

    @Override
    public CompletionStage<Boolean> copyFrom(BlockDevice source, long src, long dst, long length) {
        BlockDevice from = source instanceof LeasedDevice l ? l.active() : source;
        if (from == null) return CompletableFuture.completedFuture(false);
        return gated(d -> d.copyFrom(from, src, dst, length));
    }

    /** The volume itself is closed by its {@link VolumeOwnership}. */
    @Override
    public void close() {
    }
}
