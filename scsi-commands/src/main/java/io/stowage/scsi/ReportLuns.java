package io.stowage.scsi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** REPORT LUNS (SPC-4 6.33), LUNs encoded per SAM-5 4.6: peripheral addressing below 256, flat above. */
final class ReportLuns {
    private ReportLuns() {
    }

    static CompletionStage<ScsiResult> execute(Command c) {
        byte[] cdb = c.cdb();
        int select = Cdb.u8(cdb, 2);
        long alloc = Cdb.u32(cdb, 6);
        if (select > 0x02) {
            throw ScsiError.invalidField(2);
        }
        if (alloc < 16) {
            throw ScsiError.invalidField(6); // SPC-4 6.33: allocation length below 16 is an error
        }
        Nexus nexus = c.request().nexus();
        if (nexus != null) { // SPC-4 6.33: the nexus now knows the inventory; its "it changed" attention goes
            for (LogicalUnit u : c.target().luns().values()) {
                u.clearAttention(nexus, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
            }
        }
        var luns = c.target().luns().keySet();
        byte[] d = new byte[8 + 8 * luns.size()];
        Cdb.put32(d, 0, 8L * luns.size());
        int at = 8;
        for (int lun : luns) {
            System.arraycopy(encode(lun), 0, d, at, 8);
            at += 8;
        }
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    /** The 8-byte LUN field for {@code lun} (SAM-5 4.6.6 peripheral device / 4.6.7 flat space addressing). */
    public static byte[] encode(int lun) {
        byte[] b = new byte[8];
        if (lun < 256) {
            b[1] = (byte) lun;
        } else {
            b[0] = (byte) (0x40 | ((lun >>> 8) & 0x3F));
            b[1] = (byte) lun;
        }
        return b;
    }
}
