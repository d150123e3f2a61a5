package io.stowage.volume;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A byte-addressed block store as the SCSI layer sees it: read, write (optionally forced to stable storage),
 * flush. Offsets and lengths are in bytes; callers keep them within {@link #sizeBytes()}.
 *
 * <p>Durability: a completed {@code write} is visible to every later {@code read}; a completed {@code write} with
 * {@code fua} or any write completed before a completed {@code flush} survives a crash of the process and of the
 * node. Buffers are only read (write) or filled (read) between the call and the completion of the returned stage;
 * the device never keeps a reference after that.
 */
public interface BlockDevice extends Closeable {

    VolumeInfo info();

    default long sizeBytes() {
        return info().sizeBytes();
    }

    /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
    CompletionStage<Void> read(long offset, ByteBuffer dst);

    /** Stores {@code src} from its position to its limit at {@code offset}; with {@code fua} it is durable on completion. */
    CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua);

    /** Makes every write completed before this call durable. Concurrent flushes share one sync. */
    CompletionStage<Void> flush();

    /**
     * What the device supports beyond read, write and flush; the SCSI layer advertises exactly this.
     *
     * @param writeCache true if an acknowledged write may still be volatile until a flush (WCE = 1); false for a
     *                   write-through device, where every write is durable when acknowledged
     */
    record Capabilities(boolean unmap, boolean compareAndWrite, boolean writeCache) {
        public static final Capabilities NONE = new Capabilities(false, false, true);
    }

    default Capabilities capabilities() {
        return Capabilities.NONE;
    }

    /**
     * Deallocates the range: it reads as zeros from then on (thin provisioning, LBPRZ). Whole 4 KiB clusters are
     * released; partial clusters at the edges are zeroed.
     */
    default CompletionStage<Void> unmap(long offset, long length) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("unmap"));
    }

    /**
     * Atomically, with respect to every other write of the range: compares the range with {@code expected}; if
     * equal, writes {@code data} there. Completes with -1 on success or the offset of the first differing byte.
     */
    default CompletionStage<Integer> compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("compareAndWrite"));
    }

    /**
     * ORWRITE: atomically, with respect to every other write of the range, replaces it with (current OR data).
     */
    default CompletionStage<Void> orWrite(long offset, ByteBuffer data) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("orWrite"));
    }

    /** Small named state kept with the volume, in its object store (persistent reservations); null if none. */
    default byte[] loadState(String key) throws java.io.IOException {
        return null;
    }

    /** Stores (replaces) named state with the volume; null deletes it. Durable on completion. */
    default CompletionStage<Void> saveState(String key, byte[] state) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("saveState"));
    }

    /**
     * Registers {@code listener}, run when the device's data changed other than by a write through it (a rollback
     * to a snapshot), before any I/O after the change; the SCSI layer raises a unit attention on every nexus.
     * Devices whose data never changes that way ignore it.
     */
    default void addDataChangeListener(Runnable listener) {
    }

    /**
     * True once the device refuses all I/O until it is reopened (a volume another node took over, or that halted on
     * a local failure). Cheap enough for a path checker's TEST UNIT READY, not meant for every I/O.
     */
    default boolean halted() {
        return false;
    }

    /** A run of bytes that is either mapped (written) or deallocated. */
    record Extent(long offset, long length, boolean mapped) {
    }

    /** The allocation state of the range as consecutive extents (mapped or not), covering it exactly. */
    default CompletionStage<List<Extent>> extents(long offset, long length) {
        return CompletableFuture.completedFuture(List.of(new Extent(offset, length, true)));
    }

    /**
     * Copies {@code length} bytes from {@code src} to {@code dst} within this device without moving the data, if
     * the device can (a log-structured volume remaps whole clusters); completes with false when it cannot, and the
     * caller copies the data itself.
     */
    default CompletionStage<Boolean> copyWithin(long src, long dst, long length) {
        return CompletableFuture.completedFuture(false);
    }

    /**
     * Copies {@code length} bytes at {@code src} of device {@code source} to {@code dst} of this one, without moving
     * the data where the two share it (a clone and its parent); completes with false, having done nothing, when
     * this device cannot, and the caller copies the data itself.
     */
    default CompletionStage<Boolean> copyFrom(BlockDevice source, long src, long dst, long length) {
        return CompletableFuture.completedFuture(false);
    }

    @Override
    void close();
}
