package io.stowage.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** PERSISTENT RESERVE IN and OUT (SPC-4 6.15, 6.16) over the LU's {@link PersistentReservations}. */
final class PersistentReserve {
    private PersistentReserve() {
    }

    static CompletionStage<ScsiResult> in(Command c) {
        byte[] cdb = c.cdb();
        int sa = cdb[1] & 0x1F;
        int alloc = Cdb.u16(cdb, 7);
        PersistentReservations pr = c.unit().reservations();
        byte[] d = switch (sa) {
            case 0x00 -> pr.readKeys();
            case 0x01 -> pr.readReservation();
            case 0x02 -> reportCapabilities(pr.persistThroughPowerLoss());
            case 0x03 -> pr.readFullStatus(c.target().port().relativePortId());
            default -> throw ScsiError.invalidField(1);
        };
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    /** REPORT CAPABILITIES (SPC-4 6.15.4): every type, no APTPL yet, TMV with the type mask. */
    static byte[] reportCapabilities(boolean aptpl) {
        byte[] d = new byte[8];
        Cdb.put16(d, 0, 8);
        d[2] = 0x10 | 0x01;        // CRH (SPC-4 5.13.3); PTPL_C: persist through power loss is supported
        d[3] = (byte) (0x80 | (aptpl ? 0x01 : 0)); // TMV: the type mask is valid; PTPL_A: the current APTPL
        d[4] = (byte) (0x80 | 0x40 | 0x20 | 0x08 | 0x02); // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
        d[5] = 0x01;               // EX_AC_AR
        return d;
    }

    static CompletionStage<ScsiResult> out(Command c) {
        byte[] cdb = c.cdb();
        int sa = cdb[1] & 0x1F;
        int scope = (cdb[2] >>> 4) & 0x0F;
        int type = cdb[2] & 0x0F;
        long listLength = Cdb.u32(cdb, 5);
        if (sa > 0x06) {
            throw ScsiError.invalidField(1); // REGISTER AND MOVE and reserved service actions
        }
        if (listLength != 24) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (c.request().dataOutLength() < 24) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = new byte[24];
        c.dataOut().duplicate().get(p);
        long key = Cdb.u64(p, 0);
        long saKey = Cdb.u64(p, 8);
        int flags = p[20] & 0xFF;
        if ((flags & 0x08) != 0 || (flags & 0x04) != 0) {
            // SPEC_I_PT and ALL_TG_PT (SIP_C = ATP_C = 0) are not supported
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        boolean aptplBit = (flags & 0x01) != 0;
        boolean needsType = sa == 0x01 || sa == 0x02 || sa == 0x04 || sa == 0x05;
        if (needsType && (scope != 0 || !PersistentReservations.validType(type))) {
            throw ScsiError.invalidField(2);
        }
        Nexus n = c.request().nexus();
        LogicalUnit u = c.unit();
        PersistentReservations pr = u.reservations();
        List<Nexus> removed = new ArrayList<>();
        PersistentReservations.Outcome o = switch (sa) {
            case 0x00 -> pr.register(n, key, saKey, false, u);
            case 0x06 -> pr.register(n, key, saKey, true, u);
            case 0x01 -> pr.reserve(n, key, type);
            case 0x02 -> pr.release(n, key, type, u);
            case 0x03 -> pr.clear(n, key, u);
            default -> pr.preempt(n, key, saKey, type, u, removed); // 04 PREEMPT, 05 PREEMPT AND ABORT
        };
        if (o.reason() != null) {
            throw ScsiError.of(o.reason());
        }
        if (o.status() != ScsiStatus.GOOD) {
            return CompletableFuture.completedFuture(ScsiResult.status(o.status()));
        }
        if (sa == 0x05 && !removed.isEmpty()) {
            c.target().abortTasksOf(removed, u);
        }
        boolean wasPersistent = pr.persistThroughPowerLoss();
        if (sa == 0x00 || sa == 0x06) {
            pr.setPersistThroughPowerLoss(aptplBit);
        }
        if (!pr.persistThroughPowerLoss() && !wasPersistent) {
            return CompletableFuture.completedFuture(ScsiResult.goodDataOut(24));
        }
        // APTPL: the change is stored with the volume before GOOD (or the stored state dropped when APTPL ends)
        byte[] state = pr.persistThroughPowerLoss() ? pr.serialize() : null;
        return u.device().saveState(LogicalUnit.RESERVATION_STATE, state).handle((v, failure) -> {
            if (failure != null) throw BlockIo.mediaError(c, SenseReason.WRITE_ERROR, failure);
            return ScsiResult.goodDataOut(24);
        });
    }
}
