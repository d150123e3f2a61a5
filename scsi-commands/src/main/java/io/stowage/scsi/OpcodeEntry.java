package io.stowage.scsi;

/**
 * One row of the opcode table, with every fact the command pipeline needs about the command (as tgt keeps them in
 * its {@code ops[]} rows): the opcode and, for opcodes that multiplex service actions, the service action; its CDB
 * length; the CDB usage bitmap reported by REPORT SUPPORTED OPERATION CODES (SPC-4 6.35.3: a 1 bit means the
 * device server examines that CDB bit); what the device must support; its {@link Trait}s; and the handler.
 */
public record OpcodeEntry(int opcode, int serviceAction, String name, int cdbLength, byte[] usage,
                          Requirement requires, java.util.Set<Trait> traits, Handler handler) {
    public static final int NO_SERVICE_ACTION = -1;

    /** How the pipeline treats the command before its handler runs. */
    public enum Trait {
        /** Answered for a LUN that does not exist (SPC-4 4.6.4: INQUIRY, REPORT LUNS, REQUEST SENSE). */
        NO_LU,
        /** Does not report a pending unit attention (SAM-5 5.3.2: INQUIRY, REPORT LUNS). */
        UA_EXEMPT,
        /** Allowed to a nexus that does not hold the LU's SCSI-2 reservation (SPC-2 5.5.1 table 10). */
        SCSI2_EXEMPT,
        /** Reads the medium: refused by the EXCLUSIVE ACCESS persistent reservation types (SPC-4 5.13.1). */
        READS,
        /** Writes the medium: refused by every persistent reservation type to a non-holder (SPC-4 5.13.1). */
        WRITES,
        /** Runs while this node's port group is in standby for the LU (SPC-4 5.15.2.4.4). */
        STANDBY_OK,
        /** Runs while the LU's access state is transitioning (SPC-4 5.15.2.4.6). */
        TRANSITION_OK
    }

    public boolean has(Trait t) {
        return traits.contains(t);
    }

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
