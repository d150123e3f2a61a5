package io.stowage.scsi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** TEST UNIT READY, REQUEST SENSE and START STOP UNIT: commands about the unit's state, not its data. */
final class UnitCommands {
    private UnitCommands() {
    }

    /**
     * SPC-4 6.47: ready while this node serves the LU (standby and transitioning are refused before this runs). A
     * volume that halted without a command noticing is found here: dm-multipath's tur checker probes with this.
     */
    static CompletionStage<ScsiResult> testUnitReady(Command c) {
        c.unit().noticeHalt();
        if (c.unit().accessState() != AccessState.ACTIVE_OPTIMIZED) {
            throw ScsiError.of(c.unit().accessState().refusal);
        }
        return CompletableFuture.completedFuture(ScsiResult.good());
    }

    /**
     * SPC-4 6.39. No deferred errors or pending conditions are kept yet, so the answer is NO SENSE, in fixed
     * format or, with DESC=1, descriptor format (72h, no descriptors).
     */
    static CompletionStage<ScsiResult> requestSense(Command c) {
        byte[] cdb = c.cdb();
        int alloc = Cdb.u8(cdb, 4);
        byte[] data;
        if ((cdb[1] & 0x01) != 0) {
            data = SenseData.descriptor(SenseReason.NO_SENSE);
        } else {
            data = SenseData.fixed(SenseReason.NO_SENSE, false, 0, -1);
        }
        return CompletableFuture.completedFuture(ScsiResult.data(data, alloc));
    }

    /** RESERVE(6)/(10) (SPC-2 7.21): an exclusive SCSI-2 reservation of the whole LU for this I_T nexus. */
    static CompletionStage<ScsiResult> reserve(Command c) {
        byte[] cdb = c.cdb();
        if ((cdb[0] & 0xFF) == 0x56 && (cdb[1] & 0x12) != 0) {
            throw ScsiError.invalidField(1); // third-party reservations (3RDPTY, LONGID) not supported
        }
        if ((cdb[0] & 0xFF) == 0x16 && (cdb[1] & 0x01) != 0) {
            throw ScsiError.invalidField(1); // extent reservations are obsolete
        }
        if (c.unit().reservations().hasRegistrations()) {
            // SPC-4 5.13.3 (CRH = 1): RESERVE while persistent reservations are in use conflicts
            return CompletableFuture.completedFuture(ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT));
        }
        boolean ok = c.unit().reserve(c.request().nexus());
        return CompletableFuture.completedFuture(ok ? ScsiResult.good()
                : ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT));
    }

    /** RELEASE(6)/(10) (SPC-2 7.22): releases this nexus's reservation; for anyone else it changes nothing. */
    static CompletionStage<ScsiResult> release(Command c) {
        c.unit().release(c.request().nexus());
        return CompletableFuture.completedFuture(ScsiResult.good());
    }

    /**
     * READ DEFECT DATA(10) and (12) (SBC-3 5.18, 5.19): a volume has no defects; the header echoes the requested
     * lists and format with a list length of zero.
     */
    static CompletionStage<ScsiResult> readDefectData(Command c) {
        byte[] cdb = c.cdb();
        boolean twelve = (cdb[0] & 0xFF) == 0xB7;
        int lists = twelve ? cdb[1] & 0x1F : cdb[2] & 0x1F; // REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT
        long alloc = twelve ? Cdb.u32(cdb, 6) : Cdb.u16(cdb, 7);
        byte[] d = new byte[twelve ? 8 : 4];
        d[1] = (byte) lists;
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    /**
     * SBC-3 5.25. A volume has no medium to spin or eject; START and STOP both succeed. Power conditions other
     * than 0 (START_VALID) are accepted and ignored, as LIO does.
     */
    static CompletionStage<ScsiResult> startStopUnit(Command c) {
        return CompletableFuture.completedFuture(ScsiResult.good());
    }
}
