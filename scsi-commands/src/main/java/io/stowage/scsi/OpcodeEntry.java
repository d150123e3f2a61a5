package io.stowage.scsi;

/**
 * One row of the opcode table: the opcode and, for opcodes that multiplex service actions, the service action;
 * its CDB length; the CDB usage bitmap reported by REPORT SUPPORTED OPERATION CODES (SPC-4 6.35.3: a 1 bit means
 * the device server examines that CDB bit); and the handler.
 */
public record OpcodeEntry(int opcode, int serviceAction, String name, int cdbLength, byte[] usage,
                          Requirement requires, Handler handler) {
    public static final int NO_SERVICE_ACTION = -1;

    /** What the logical unit's block device must support for this command to exist for it. */
    public enum Requirement {
        NONE, UNMAP, COMPARE_AND_WRITE;

        public boolean satisfiedBy(io.stowage.volume.BlockDevice.Capabilities c) {
            return switch (this) {
                case NONE -> true;
                case UNMAP -> c.unmap();
                case COMPARE_AND_WRITE -> c.compareAndWrite();
            };
        }
    }

    /** True if this command is implemented for {@code unit} (null: no LU, only unconditional commands). */
    public boolean availableFor(LogicalUnit unit) {
        return requires == Requirement.NONE || (unit != null && requires.satisfiedBy(unit.device().capabilities()));
    }

    public boolean hasServiceAction() {
        return serviceAction != NO_SERVICE_ACTION;
    }
}
