package io.stowage.volume;

import java.io.Closeable;
import java.nio.ByteBuffer;
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

    @Override
    void close();
}
