package io.stowage.scsi;

import java.nio.ByteBuffer;

/**
 * The outcome of one command: status, sense (for CHECK CONDITION), Data-In (from position to limit), and how many
 * bytes the command itself wanted to move in its data direction, so the fabric can compute exact residuals
 * against what the initiator expected (RFC 7143 §11.4.5).
 *
 * <p>{@code release} returns a pooled Data-In buffer; the fabric calls it once the data has been sent.
 */
public final class ScsiResult {
    private static final Runnable NOTHING = () -> { };
    private final int status;
    private final byte[] sense;
    private final ByteBuffer dataIn;
    private final int transferLength;
    private final Runnable release;

    private ScsiResult(int status, byte[] sense, ByteBuffer dataIn, int transferLength, Runnable release) {
        this.status = status;
        this.sense = sense;
        this.dataIn = dataIn;
        this.transferLength = transferLength;
        this.release = release;
    }

    /** GOOD with no data in either direction. */
    public static ScsiResult good() {
        return new ScsiResult(ScsiStatus.GOOD, null, null, 0, NOTHING);
    }

    /** GOOD after consuming Data-Out; {@code wanted} is the transfer length the CDB specified, in bytes. */
    public static ScsiResult goodDataOut(int wanted) {
        return new ScsiResult(ScsiStatus.GOOD, null, null, wanted, NOTHING);
    }

    /** GOOD with parameter data truncated to the allocation length (SPC-4 4.2.5.6). */
    public static ScsiResult data(byte[] data, long allocationLength) {
        int n = (int) Math.min(data.length, allocationLength);
        return new ScsiResult(ScsiStatus.GOOD, null, ByteBuffer.wrap(data, 0, n), n, NOTHING);
    }

    /** GOOD with a (pooled) Data-In buffer; {@code release} gives it back when sent. */
    public static ScsiResult data(ByteBuffer data, Runnable release) {
        return new ScsiResult(ScsiStatus.GOOD, null, data, data.remaining(), release);
    }

    /** A status without sense or data (RESERVATION CONFLICT, SAM-5 5.3.1). */
    public static ScsiResult status(int status) {
        return new ScsiResult(status, null, null, 0, NOTHING);
    }

    public static ScsiResult check(ScsiError e) {
        return new ScsiResult(ScsiStatus.CHECK_CONDITION, e.sense(), null, 0, NOTHING);
    }

    public int status() {
        return status;
    }

    public byte[] sense() {
        return sense;
    }

    public ByteBuffer dataIn() {
        return dataIn;
    }

    public int transferLength() {
        return transferLength;
    }

    public void release() {
        release.run();
    }

    @Override
    public String toString() {
        return "ScsiResult[status=0x" + Integer.toHexString(status)
                + (sense != null ? ", sense=" + Integer.toHexString(sense[2]) + "/" + Integer.toHexString(sense[12] & 0xFF)
                        + "/" + Integer.toHexString(sense[13] & 0xFF) : "")
                + ", dataIn=" + (dataIn == null ? 0 : dataIn.remaining()) + ", transferLength=" + transferLength + "]";
    }
}
