package io.stowage.scsi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** READ CAPACITY(10) and (16) (SBC-3 5.15, 5.16). Both report the LAST logical block address, not the count. */
final class ReadCapacity {
    private ReadCapacity() {
    }

    static CompletionStage<ScsiResult> execute10(Command c) {
        byte[] cdb = c.cdb();
        boolean pmi = (cdb[8] & 0x01) != 0;
        if (!pmi && Cdb.u32(cdb, 2) != 0) {
            throw ScsiError.invalidField(2); // LBA must be zero without PMI
        }
        long last = c.unit().blockCount() - 1;
        byte[] d = new byte[8];
        Cdb.put32(d, 0, Math.min(last, 0xFFFFFFFFL)); // FFFFFFFFh: use READ CAPACITY(16)
        Cdb.put32(d, 4, LogicalUnit.BLOCK_SIZE);
        return CompletableFuture.completedFuture(ScsiResult.data(d, d.length));
    }

    static CompletionStage<ScsiResult> execute16(Command c) {
        byte[] cdb = c.cdb();
        long alloc = Cdb.u32(cdb, 10);
        byte[] d = new byte[32];
        Cdb.put64(d, 0, c.unit().blockCount() - 1);
        Cdb.put32(d, 8, LogicalUnit.BLOCK_SIZE);
        d[13] = LogicalUnit.PHYSICAL_BLOCK_EXPONENT; // LBPPBE: 8 logical blocks per physical block
        if (c.unit().device().capabilities().unmap()) {
            d[14] = (byte) 0xC0; // LBPME, LBPRZ: thin, deallocated blocks read zeros (as VPD B2h says)
        }
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }
}
