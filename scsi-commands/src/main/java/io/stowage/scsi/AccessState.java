package io.stowage.scsi;

/**
 * The asymmetric access state (SPC-4 5.15.2) of this node's target port group for one logical unit: what REPORT
 * TARGET PORT GROUPS says and which commands the LU admits here. A node serves a volume it owns active/optimized;
 * a node that does not own it is in standby; a volume on its way to or from this node (a takeover, or a volume this
 * node found fenced) is transitioning. Only these three are used, so only they are reported as supported.
 */
public enum AccessState {
    ACTIVE_OPTIMIZED(0x0, null, null),
    /**
     * SPC-4 5.15.2.4.4: only the commands that do not touch the medium (INQUIRY, MODE SENSE, PR, REPORT ...), and
     * READ CAPACITY as LIO admits it: Linux's sd reads it on every path while it probes the device.
     */
    STANDBY(0x2, OpcodeEntry.Trait.STANDBY_OK, SenseReason.TARGET_PORT_IN_STANDBY_STATE),
    /** SPC-4 5.15.2.4.6: INQUIRY, REPORT LUNS, REPORT TARGET PORT GROUPS and REQUEST SENSE only. */
    TRANSITIONING(0xF, OpcodeEntry.Trait.TRANSITION_OK, SenseReason.ASYMMETRIC_ACCESS_STATE_TRANSITION);

    /**
     * IMPLICIT TRANSITION TIME reported by REPORT TARGET PORT GROUPS: how long initiators wait for a transitioning
     * LU before they give the path up (Linux scsi_dh_alua then treats it as standby). Matches the default bound on a
     * takeover (the multi-node design: a new owner within 30 s).
     */
    public static final int IMPLICIT_TRANSITION_SECONDS = 30;

    /** The ASYMMETRIC ACCESS STATE field of a target port group descriptor. */
    public final int code;
    private final OpcodeEntry.Trait admitted;
    /** What a command this state does not admit is answered (NOT READY, so initiators try another path). */
    public final SenseReason refusal;

    AccessState(int code, OpcodeEntry.Trait admitted, SenseReason refusal) {
        this.code = code;
        this.admitted = admitted;
        this.refusal = refusal;
    }

    /** The supported-states bits of a target port group descriptor: T_SUP, S_SUP, AO_SUP (SPC-4 6.27.2). */
    static final int SUPPORTED = 0x80 | 0x04 | 0x01;

    /** True if a command of this row runs in this state. */
    boolean admits(OpcodeEntry entry) {
        return admitted == null || entry.has(admitted);
    }
}
