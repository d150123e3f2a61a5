package io.stowage.scsi;

/**
 * A command ends in CHECK CONDITION with this reason. Thrown by parsers and handlers, caught once in
 * {@link ScsiTarget}. Carries no stack trace: it is an expected answer to a client, not a bug.
 */
public final class ScsiError extends RuntimeException {
    private final SenseReason reason;
    private final long information;
    private final boolean informationValid;
    private final int fieldPointer; // byte offset in the CDB of the offending field, or -1

    private ScsiError(SenseReason reason, long information, boolean informationValid, int fieldPointer) {
        super(reason.name(), null, false, false);
        this.reason = reason;
        this.information = information;
        this.informationValid = informationValid;
        this.fieldPointer = fieldPointer;
    }

    public static ScsiError of(SenseReason reason) {
        return new ScsiError(reason, 0, false, -1);
    }

    /** INVALID FIELD IN CDB pointing at byte {@code cdbByte} of the CDB (SPC-4 4.5.2.4.2). */
    public static ScsiError invalidField(int cdbByte) {
        return new ScsiError(SenseReason.INVALID_FIELD_IN_CDB, 0, false, cdbByte);
    }

    public static ScsiError withInformation(SenseReason reason, long information) {
        return new ScsiError(reason, information, true, -1);
    }

    public SenseReason reason() {
        return reason;
    }

    public byte[] sense() {
        return SenseData.fixed(reason, informationValid, information, fieldPointer);
    }
}
