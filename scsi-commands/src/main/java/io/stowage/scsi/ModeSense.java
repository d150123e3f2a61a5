package io.stowage.scsi;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * MODE SENSE(6) and (10) (SPC-4 6.11, 6.12) with the pages Linux and ESXi read: 01h read-write error recovery,
 * 08h caching (WCE=1: a volatile write cache whose SYNCHRONIZE CACHE and FUA we honour; 0 for a write-through
 * volume), 0Ah control,
 * 1Ch informational exceptions, and 3Fh for all of them. DPOFUA is set in the device-specific parameter.
 * Nothing is changeable and nothing can be saved.
 */
final class ModeSense {
    private static final int[] PAGES = {0x01, 0x08, 0x0A, 0x1C};
    private static final int PC_CHANGEABLE = 1;
    private static final int PC_SAVED = 3;
    private static final int DEVICE_SPECIFIC_DPOFUA = 0x10;

    private ModeSense() {
    }

    static CompletionStage<ScsiResult> execute(Command c) {
        byte[] cdb = c.cdb();
        boolean ten = (cdb[0] & 0xFF) == 0x5A;
        boolean dbd = (cdb[1] & 0x08) != 0;
        boolean llbaa = ten && (cdb[1] & 0x10) != 0;
        int pc = (cdb[2] >>> 6) & 0x03;
        int page = cdb[2] & 0x3F;
        int subpage = Cdb.u8(cdb, 3);
        long alloc = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);
        if (pc == PC_SAVED) {
            throw ScsiError.of(SenseReason.SAVING_PARAMETERS_NOT_SUPPORTED);
        }
        if (subpage != 0x00 && subpage != 0xFF) {
            throw ScsiError.invalidField(3);
        }
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        if (page == 0x3F) {
            for (int p : PAGES) {
                pages.writeBytes(page(p, pc, c.unit()));
            }
        } else {
            byte[] p = page(page, pc, c.unit());
            if (p == null) {
                throw ScsiError.invalidField(2);
            }
            pages.writeBytes(p);
        }
        byte[] descriptor = dbd ? new byte[0] : blockDescriptor(c.unit().blockCount(), llbaa);
        byte[] body = pages.toByteArray();
        byte[] d;
        if (ten) {
            d = new byte[8 + descriptor.length + body.length];
            Cdb.put16(d, 0, d.length - 2);
            d[3] = DEVICE_SPECIFIC_DPOFUA;
            d[4] = (byte) (llbaa && !dbd ? 0x01 : 0x00); // LONGLBA
            Cdb.put16(d, 6, descriptor.length);
            System.arraycopy(descriptor, 0, d, 8, descriptor.length);
            System.arraycopy(body, 0, d, 8 + descriptor.length, body.length);
        } else {
            d = new byte[4 + descriptor.length + body.length];
            d[0] = (byte) (d.length - 1);
            d[2] = DEVICE_SPECIFIC_DPOFUA;
            d[3] = (byte) descriptor.length;
            System.arraycopy(descriptor, 0, d, 4, descriptor.length);
            System.arraycopy(body, 0, d, 4 + descriptor.length, body.length);
        }
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    /**
     * A page's bytes for the page control; changeable values are all zero (nothing can be changed). WCE follows
     * the volume: 1 with a write cache, 0 for a write-through volume.
     */
    static byte[] page(int code, int pc, LogicalUnit unit) {
        byte[] p = switch (code) {
            case 0x01 -> new byte[12];
            case 0x08 -> new byte[20];
            case 0x0A -> new byte[12];
            case 0x1C -> new byte[12];
            default -> null;
        };
        if (p == null) {
            return null;
        }
        p[0] = (byte) code;
        p[1] = (byte) (p.length - 2);
        if (pc == PC_CHANGEABLE) {
            return p;
        }
        switch (code) {
            case 0x08 -> p[2] = (byte) (unit.device().capabilities().writeCache() ? 0x04 : 0x00); // WCE
            case 0x0A -> {
                p[3] = 0x10;                     // QUEUE ALGORITHM MODIFIER 1: unrestricted reordering
                p[5] = 0x40;                     // TAS: aborted tasks of other nexuses get TASK ABORTED
                Cdb.put16(p, 8, 0xFFFF);         // BUSY TIMEOUT PERIOD: unlimited
            }
            default -> { }
        }
        return p;
    }

    private static byte[] blockDescriptor(long blocks, boolean longLba) {
        if (longLba) {
            byte[] b = new byte[16];
            Cdb.put64(b, 0, blocks);
            Cdb.put32(b, 12, LogicalUnit.BLOCK_SIZE);
            return b;
        }
        byte[] b = new byte[8];
        Cdb.put32(b, 0, Math.min(blocks, 0xFFFFFFFFL));
        b[5] = (byte) (LogicalUnit.BLOCK_SIZE >>> 16);
        b[6] = (byte) (LogicalUnit.BLOCK_SIZE >>> 8);
        b[7] = (byte) LogicalUnit.BLOCK_SIZE;
        return b;
    }
}
