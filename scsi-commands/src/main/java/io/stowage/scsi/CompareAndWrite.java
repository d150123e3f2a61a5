package io.stowage.scsi;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * COMPARE AND WRITE (SBC-3 5.2), VMware's ATS: the Data-Out holds N blocks to compare then N blocks to write; the
 * block device performs both atomically against every other write of those blocks (across sessions). On a
 * difference: MISCOMPARE, 1Dh/00h, with the offset of the first differing byte in INFORMATION.
 */
final class CompareAndWrite {
    /** MAXIMUM COMPARE AND WRITE LENGTH in VPD B0h. */
    static final int MAX_BLOCKS = 8;

    private CompareAndWrite() {
    }

    /**
     * ORWRITE(16) (SBC-3 5.8): the blocks become (their data OR the Data-Out), atomically against every other write
     * of them — the same guarantee as COMPARE AND WRITE, so it lives beside it. ORPROTECT must be 0.
     */
    static CompletionStage<ScsiResult> orWrite(Command c) {
        byte[] cdb = c.cdb();
        if ((cdb[1] & 0xE0) != 0) {
            throw ScsiError.invalidField(1);
        }
        long lba = Cdb.u64(cdb, 2);
        long blocks = Cdb.u32(cdb, 10);
        new BlockCdb(lba, blocks, 0).checkRange(c.unit().blockCount());
        if (blocks > ScsiTarget.MAX_TRANSFER_BLOCKS) {
            throw ScsiError.invalidField(10);
        }
        int wanted = (int) blocks * LogicalUnit.BLOCK_SIZE;
        int n = Math.min(wanted, c.request().dataOutLength()) / LogicalUnit.BLOCK_SIZE * LogicalUnit.BLOCK_SIZE;
        if (n == 0) {
            return java.util.concurrent.CompletableFuture.completedFuture(ScsiResult.goodDataOut(wanted));
        }
        ByteBuffer data = c.dataOut().slice(c.dataOut().position(), n);
        return c.unit().device().orWrite(lba * LogicalUnit.BLOCK_SIZE, data).handle((v, failure) -> {
            if (failure != null) throw BlockIo.mediaError(c, SenseReason.WRITE_ERROR, failure);
            return ScsiResult.goodDataOut(wanted);
        });
    }

    static CompletionStage<ScsiResult> execute(Command c) {
        byte[] cdb = c.cdb();
        if ((cdb[1] & 0xE0) != 0) {
            throw ScsiError.invalidField(1); // WRPROTECT
        }
        long lba = Cdb.u64(cdb, 2);
        int blocks = Cdb.u8(cdb, 13);
        if (blocks > MAX_BLOCKS) {
            throw ScsiError.invalidField(13);
        }
        new BlockCdb(lba, blocks, 0).checkRange(c.unit().blockCount());
        int half = blocks * LogicalUnit.BLOCK_SIZE;
        if (c.request().dataOutLength() != 2 * half) {
            throw ScsiError.invalidField(13); // the Data-Out must hold exactly 2 × NUMBER OF LOGICAL BLOCKS
        }
        if (blocks == 0) {
            return java.util.concurrent.CompletableFuture.completedFuture(ScsiResult.goodDataOut(0));
        }
        ByteBuffer out = c.dataOut();
        ByteBuffer expected = out.slice(out.position(), half);
        ByteBuffer data = out.slice(out.position() + half, half);
        return c.unit().device().compareAndWrite(lba * LogicalUnit.BLOCK_SIZE, expected, data)
                .handle((mismatch, failure) -> {
                    if (failure != null) throw BlockIo.mediaError(c, SenseReason.WRITE_ERROR, failure);
                    if (mismatch >= 0) {
                        throw ScsiError.withInformation(SenseReason.MISCOMPARE_DURING_VERIFY, mismatch);
                    }
                    return ScsiResult.goodDataOut(2 * half);
                });
    }
}
