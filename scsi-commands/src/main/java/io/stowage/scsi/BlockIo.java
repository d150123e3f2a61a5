package io.stowage.scsi;

import io.stowage.volume.OutOfSpaceException;
import io.stowage.volume.OwnershipLostException;
import io.stowage.volume.VolumeHaltedException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The media commands: READ, WRITE, VERIFY (6/10/12/16 as the table lists them) and SYNCHRONIZE CACHE.
 * Range and transfer-length checks happen here once, before the block device is touched.
 *
 * <p>Write length rule (what libiscsi's residual tests and LIO agree on): when the initiator sends less data than
 * the CDB asks for, only the whole blocks received are written, and the fabric reports the overflow residual.
 */
final class BlockIo {
    private static final Logger log = LoggerFactory.getLogger(BlockIo.class);

    private BlockIo() {
    }

    static CompletionStage<ScsiResult> read(Command c) {
        BlockCdb b = BlockCdb.parse(c.cdb());
        if (b.protect() != 0) {
            throw ScsiError.invalidField(1); // no protection information (SBC-3 4.22)
        }
        b.checkRange(c.unit().blockCount());
        checkTransferLength(b);
        if (b.blocks() == 0) {
            return CompletableFuture.completedFuture(ScsiResult.good());
        }
        int bytes = (int) b.blocks() * LogicalUnit.BLOCK_SIZE;
        BufferPool pool = c.buffers();
        ByteBuffer buf = pool.acquire(bytes);
        return c.unit().device().read(b.byteOffset(), buf.duplicate())
                .handle((ok, failure) -> {
                    if (failure != null) {
                        pool.release(buf);
                        throw mediaError(c, SenseReason.UNRECOVERED_READ_ERROR, failure);
                    }
                    return ScsiResult.data(buf, () -> pool.release(buf));
                });
    }

    /**
     * WRITE(6/10/12/16) and WRITE AND VERIFY(10/12/16): the verify step compares what was just written with what
     * the volume returns, which a completed write guarantees, so both share this path (as LIO's file backend does).
     */
    static CompletionStage<ScsiResult> write(Command c) {
        BlockCdb b = BlockCdb.parse(c.cdb());
        if (b.protect() != 0) {
            throw ScsiError.invalidField(1);
        }
        b.checkRange(c.unit().blockCount());
        checkTransferLength(b);
        int wanted = (int) b.blocks() * LogicalUnit.BLOCK_SIZE;
        int received = c.request().dataOutLength();
        int blocks = Math.min(wanted, received) / LogicalUnit.BLOCK_SIZE;
        if (blocks == 0) {
            return CompletableFuture.completedFuture(ScsiResult.goodDataOut(wanted));
        }
        ByteBuffer data = c.dataOut().duplicate();
        data.limit(data.position() + blocks * LogicalUnit.BLOCK_SIZE);
        int op = c.request().opcode();
        boolean verify = op == 0x2E || op == 0xAE || op == 0x8E;
        return c.unit().device().write(b.byteOffset(), data, b.fua() || verify)
                .handle((ok, failure) -> {
                    if (failure != null) {
                        throw mediaError(c, SenseReason.WRITE_ERROR, failure);
                    }
                    return ScsiResult.goodDataOut(wanted);
                });
    }

    /**
     * VERIFY (SBC-3 5.30-5.32). BYTCHK 00b: the medium is checked by reading it; 01b: compare the Data-Out with
     * the medium; 11b: compare one Data-Out block against every block. A difference is MISCOMPARE with the offset
     * of the first differing byte in INFORMATION.
     */
    static CompletionStage<ScsiResult> verify(Command c) {
        BlockCdb b = BlockCdb.parse(c.cdb());
        if (b.protect() != 0) {
            throw ScsiError.invalidField(1);
        }
        int bytchk = b.byteCheck();
        if (bytchk == 2) {
            throw ScsiError.invalidField(1);
        }
        b.checkRange(c.unit().blockCount());
        checkTransferLength(b);
        if (b.blocks() == 0) {
            return CompletableFuture.completedFuture(ScsiResult.good());
        }
        int bytes = (int) b.blocks() * LogicalUnit.BLOCK_SIZE;
        int expectedOut = bytchk == 0 ? 0 : bytchk == 1 ? bytes : LogicalUnit.BLOCK_SIZE;
        if (bytchk != 0 && c.request().dataOutLength() < expectedOut) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        BufferPool pool = c.buffers();
        ByteBuffer medium = pool.acquire(bytes);
        return c.unit().device().read(b.byteOffset(), medium.duplicate())
                .handle((ok, failure) -> {
                    try {
                        if (failure != null) {
                            throw mediaError(c, SenseReason.UNRECOVERED_READ_ERROR, failure);
                        }
                        if (bytchk != 0) {
                            int at = firstDifference(medium, c.dataOut(), bytchk == 3);
                            if (at >= 0) {
                                throw ScsiError.withInformation(SenseReason.MISCOMPARE_DURING_VERIFY, at);
                            }
                        }
                        return ScsiResult.goodDataOut(expectedOut);
                    } finally {
                        pool.release(medium);
                    }
                });
    }

    static CompletionStage<ScsiResult> synchronizeCache(Command c) {
        BlockCdb b = BlockCdb.parse(c.cdb());
        b.checkRange(c.unit().blockCount()); // 0 blocks means "to the end of the medium"
        return c.unit().device().flush().handle((ok, failure) -> {
            if (failure != null) {
                throw mediaError(c, SenseReason.WRITE_ERROR, failure);
            }
            return ScsiResult.good();
        });
    }

    /** PRE-FETCH(10/16) (SBC-3 5.9, 5.10): range checked; the cache is managed by the volume, so nothing to do. */
    static CompletionStage<ScsiResult> prefetch(Command c) {
        BlockCdb b = BlockCdb.parse(c.cdb());
        b.checkRange(c.unit().blockCount());
        return CompletableFuture.completedFuture(ScsiResult.good());
    }

    private static void checkTransferLength(BlockCdb b) {
        if (b.blocks() > ScsiTarget.MAX_TRANSFER_BLOCKS) {
            throw ScsiError.invalidField(b.blocks() > 0xFFFF ? 6 : 7); // SBC-3 6.5.3: above MAXIMUM TRANSFER LENGTH
        }
    }

    /** Offset of the first byte where medium and data differ, or -1. */
    private static int firstDifference(ByteBuffer medium, ByteBuffer dataOut, boolean oneBlockForAll) {
        int base = dataOut.position();
        int n = medium.limit();
        for (int i = 0; i < n; i++) {
            int j = oneBlockForAll ? i % LogicalUnit.BLOCK_SIZE : i;
            if (medium.get(i) != dataOut.get(base + j)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The sense for a failed device call. Only a failure of the medium itself (a CRC mismatch, an unreadable object,
     * a local I/O error) is {@code reason}, a MEDIUM ERROR. A volume this node no longer owns (fenced) or that halted
     * is NOT READY / ASYMMETRIC ACCESS STATE TRANSITION and its LU becomes transitioning, so multipath initiators
     * retry on another path; a full cache disk is DATA PROTECT, which they retry later.
     */
    static ScsiError mediaError(Command c, SenseReason reason, Throwable failure) {
        Throwable t = rootOf(failure);
        if (t instanceof ScsiError e) {
            return e;
        }
        if (t instanceof VolumeHaltedException || t instanceof OwnershipLostException) {
            // the engine logged the halt once; this is per command
            log.debug("{} on volume {}: {}", reason, c.unit().volume().name(), t.getMessage());
            c.unit().volumeUnavailable();
            return ScsiError.of(SenseReason.ASYMMETRIC_ACCESS_STATE_TRANSITION);
        }
        if (t instanceof OutOfSpaceException) { // the engine logs the episode once; this is per command
            log.debug("{} on volume {}: {}", reason, c.unit().volume().name(), t.getMessage());
            return ScsiError.of(SenseReason.SPACE_ALLOCATION_FAILED_WRITE_PROTECT);
        }
        log.error("{} on volume {} failed: {}", reason, c.unit().volume().name(), t.toString());
        return ScsiError.of(reason);
    }

    /**
     * The engine's own exception under the wrappers the asynchronous device adds (CompletionException around
     * UncheckedIOException around the IOException): what decides the sense.
     */
    private static Throwable rootOf(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException
                || t instanceof UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
