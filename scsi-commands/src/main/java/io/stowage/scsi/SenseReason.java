package io.stowage.scsi;

/**
 * Every error condition a handler can report, as SPC-4 sense key / ASC / ASCQ (SPC-4 tables 27 and 28).
 * A new condition is one line here; the byte layout lives only in {@link SenseData}.
 */
public enum SenseReason {
    NO_SENSE(0x0, 0x00, 0x00),
    INVALID_COMMAND_OPERATION_CODE(0x5, 0x20, 0x00),
    LBA_OUT_OF_RANGE(0x5, 0x21, 0x00),
    INVALID_FIELD_IN_CDB(0x5, 0x24, 0x00),
    LOGICAL_UNIT_NOT_SUPPORTED(0x5, 0x25, 0x00),
    INVALID_FIELD_IN_PARAMETER_LIST(0x5, 0x26, 0x00),
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION(0x5, 0x26, 0x04),
    TOO_MANY_TARGET_DESCRIPTORS(0x5, 0x26, 0x06),
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE(0x5, 0x26, 0x07),
    TOO_MANY_SEGMENT_DESCRIPTORS(0x5, 0x26, 0x08),
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE(0x5, 0x26, 0x09),
    COPY_TARGET_DEVICE_NOT_REACHABLE(0xA, 0x0D, 0x02),
    UNREACHABLE_COPY_TARGET(0xA, 0x08, 0x04),
    /** COPY ABORTED without more detail: what initiators (libiscsi) accept for a segment beyond a device's end. */
    COPY_ABORTED(0xA, 0x00, 0x00),
    PARAMETER_LIST_LENGTH_ERROR(0x5, 0x1A, 0x00),
    SAVING_PARAMETERS_NOT_SUPPORTED(0x5, 0x39, 0x00),
    INVALID_FIELD_IN_INFORMATION_UNIT(0x5, 0x0E, 0x03),
    MISCOMPARE_DURING_VERIFY(0xE, 0x1D, 0x00),
    UNRECOVERED_READ_ERROR(0x3, 0x11, 0x00),
    WRITE_ERROR(0x3, 0x0C, 0x00),
    /** The cache disk is full (a thin-provisioning condition): initiators retry later, not a failed medium. */
    SPACE_ALLOCATION_FAILED_WRITE_PROTECT(0x7, 0x27, 0x07),
    INTERNAL_TARGET_FAILURE(0x4, 0x44, 0x00),
    DATA_PHASE_ERROR(0xB, 0x4B, 0x00),
    /** A data digest error on a command's data (RFC 7143 §7.8: the command is terminated with this). */
    PROTOCOL_SERVICE_CRC_ERROR(0xB, 0x47, 0x05),
    /** The initiator did not send the data it was asked for in time (a Data-Out timeout). */
    INITIATOR_RESPONSE_TIMEOUT(0xB, 0x4B, 0x06),
    NOT_READY_CAUSE_NOT_REPORTABLE(0x2, 0x04, 0x00),
    /**
     * LOGICAL UNIT NOT ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION: the LU is moving between nodes, or this node
     * found it is no longer the owner (fenced, halted). Retried, on another path by multipath initiators.
     */
    ASYMMETRIC_ACCESS_STATE_TRANSITION(0x2, 0x04, 0x0A),
    /** LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE: another node serves the LU. */
    TARGET_PORT_IN_STANDBY_STATE(0x2, 0x04, 0x0B),
    // unit attention conditions (SPC-4 5.14)
    POWER_ON_RESET_OCCURRED(0x6, 0x29, 0x00),
    BUS_DEVICE_RESET_OCCURRED(0x6, 0x29, 0x03),
    RESERVATIONS_PREEMPTED(0x6, 0x2A, 0x03),
    RESERVATIONS_RELEASED(0x6, 0x2A, 0x04),
    REGISTRATIONS_PREEMPTED(0x6, 0x2A, 0x05),
    ASYMMETRIC_ACCESS_STATE_CHANGED(0x6, 0x2A, 0x06),
    CAPACITY_DATA_HAS_CHANGED(0x6, 0x2A, 0x09),
    /**
     * The data changed under the initiator, not by its writes (a rollback to a snapshot). SPC-4 has no code for
     * "changed by another party" on a fixed disk; NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED is what SCST
     * reports when a vdisk's backing data is replaced, and what makes initiators drop what they cached.
     */
    MEDIUM_MAY_HAVE_CHANGED(0x6, 0x28, 0x00),
    REPORTED_LUNS_DATA_HAS_CHANGED(0x6, 0x3F, 0x0E);

    public final int key;
    public final int asc;
    public final int ascq;

    SenseReason(int key, int asc, int ascq) {
        this.key = key;
        this.asc = asc;
        this.ascq = ascq;
    }
}
