package io.stowage.scsi;

/**
 * One row of the opcode table: the opcode and, for opcodes that multiplex service actions, the service action;
 * its CDB length; the CDB usage bitmap reported by REPORT SUPPORTED OPERATION CODES (SPC-4 6.35.3: a 1 bit means
 * the device server examines that CDB bit); and the handler.
 */
public record OpcodeEntry(int opcode, int serviceAction, String name, int cdbLength, byte[] usage, Handler handler) {
    public static final int NO_SERVICE_ACTION = -1;

    public boolean hasServiceAction() {
        return serviceAction != NO_SERVICE_ACTION;
    }
}
