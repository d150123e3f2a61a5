package io.stowage.scsi;

import java.nio.ByteBuffer;

/**
 * One SCSI command as a fabric delivers it.
 *
 * @param cdb      the command descriptor block (at least as long as the opcode's CDB; iSCSI pads to 16 bytes)
 * @param lun      the addressed logical unit number (already decoded from the 8-byte LUN field)
 * @param dataOut  the Data-Out buffer from position to limit, or null when the command carried none; it holds
 *                 at most what the initiator said it would send (iSCSI EDTL), which may be less than the CDB asks for
 * @param nexus    the I_T nexus the command arrived on
 */
public record ScsiRequest(byte[] cdb, long lun, ByteBuffer dataOut, Nexus nexus) {
    public int opcode() {
        return cdb[0] & 0xFF;
    }

    public int dataOutLength() {
        return dataOut == null ? 0 : dataOut.remaining();
    }
}
