package io.stowage.scsi;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), generated from the {@link OpcodeTable} so it lists exactly what
 * dispatch implements. Reporting options 000b (all), 001b (one opcode), 010b (opcode + service action) and
 * 011b (either), with command timeouts descriptors when RCTD is set.
 */
final class ReportSupportedOpcodes {
    private static final int SUPPORT_NOT_SUPPORTED = 0x01;
    private static final int SUPPORT_STANDARD = 0x03;

    private ReportSupportedOpcodes() {
    }

    static CompletionStage<ScsiResult> execute(Command c) {
        byte[] cdb = c.cdb();
        boolean rctd = (cdb[2] & 0x80) != 0;
        int options = cdb[2] & 0x07;
        int opcode = Cdb.u8(cdb, 3);
        int sa = Cdb.u16(cdb, 4);
        long alloc = Cdb.u32(cdb, 6);
        OpcodeTable table = c.target().table();
        LogicalUnit unit = c.unit();
        byte[] d = switch (options) {
            case 0 -> all(table, rctd, unit);
            case 1 -> {
                if (table.usesServiceActions(opcode)) {
                    throw ScsiError.invalidField(3); // SPC-4 6.35.2: opcode has service actions
                }
                yield one(available(table.find(opcode), unit), rctd);
            }
            case 2 -> {
                if (!table.usesServiceActions(opcode)) {
                    throw ScsiError.invalidField(3);
                }
                yield one(available(table.find(opcode, sa), unit), rctd);
            }
            case 3 -> one(available(table.usesServiceActions(opcode) ? table.find(opcode, sa) : table.find(opcode),
                    unit), rctd);
            default -> throw ScsiError.invalidField(2);
        };
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    private static OpcodeEntry available(OpcodeEntry e, LogicalUnit unit) {
        return e != null && e.availableFor(unit) ? e : null;
    }

    private static byte[] all(OpcodeTable table, boolean rctd, LogicalUnit unit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (OpcodeEntry e : table.all()) {
            if (!e.availableFor(unit)) {
                continue;
            }
            byte[] desc = new byte[8];
            desc[0] = (byte) e.opcode();
            if (e.hasServiceAction()) {
                Cdb.put16(desc, 2, e.serviceAction());
                desc[5] |= 0x01; // SERVACTV
            }
            if (rctd) {
                desc[5] |= 0x02; // CTDP
            }
            Cdb.put16(desc, 6, e.cdbLength());
            out.writeBytes(desc);
            if (rctd) {
                out.writeBytes(timeouts());
            }
        }
        byte[] body = out.toByteArray();
        byte[] d = new byte[4 + body.length];
        Cdb.put32(d, 0, body.length);
        System.arraycopy(body, 0, d, 4, body.length);
        return d;
    }

    private static byte[] one(OpcodeEntry e, boolean rctd) {
        if (e == null) {
            byte[] d = new byte[4];
            d[1] = SUPPORT_NOT_SUPPORTED;
            return d;
        }
        byte[] usage = e.usage();
        byte[] d = new byte[4 + usage.length + (rctd ? 12 : 0)];
        d[1] = (byte) (SUPPORT_STANDARD | (rctd ? 0x80 : 0));
        Cdb.put16(d, 2, usage.length);
        System.arraycopy(usage, 0, d, 4, usage.length);
        if (rctd) {
            System.arraycopy(timeouts(), 0, d, 4 + usage.length, 12);
        }
        return d;
    }

    /** Command timeouts descriptor (SPC-4 6.35.4): no nominal time, 30 s recommended. */
    private static byte[] timeouts() {
        byte[] t = new byte[12];
        Cdb.put16(t, 0, 0x0A);
        Cdb.put32(t, 8, 30);
        return t;
    }
}
