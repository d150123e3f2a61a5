package io.stowage.iscsi.pdu;

/**
 * The byte stream cannot be trusted any more (bad header digest, a data segment longer than we accept):
 * the connection answers with a Reject when it can and then closes (RFC 7143 §7.8, §11.17 at ErrorRecoveryLevel 0).
 * Carries no stack trace: it is a client error.
 */
public final class PduFormatException extends Exception {
    private final RejectReason reason;
    private final transient byte[] header;

    public PduFormatException(RejectReason reason, String message, byte[] header) {
        super(message, null, false, false);
        this.reason = reason;
        this.header = header;
    }

    public RejectReason reason() {
        return reason;
    }

    /** The offending BHS when it was read completely, else null. */
    public byte[] header() {
        return header;
    }
}
