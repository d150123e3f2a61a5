package io.stowage.scsi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** TEST UNIT READY, REQUEST SENSE and START STOP UNIT: commands about the unit's state, not its data. */
final class UnitCommands {
    private UnitCommands() {
    }

    /** SPC-4 6.47: the unit is always ready once it exists. */
    static CompletionStage<ScsiResult> testUnitReady(Command c) {
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
            data = new byte[8];
            data[0] = 0x72;
        } else {
            data = SenseData.fixed(SenseReason.NO_SENSE, false, 0, -1);
        }
        return CompletableFuture.completedFuture(ScsiResult.data(data, alloc));
    }

    /**
     * SBC-3 5.25. A volume has no medium to spin or eject; START and STOP both succeed. Power conditions other
     * than 0 (START_VALID) are accepted and ignored, as LIO does.
     */
    static CompletionStage<ScsiResult> startStopUnit(Command c) {
        return CompletableFuture.completedFuture(ScsiResult.good());
    }
}
