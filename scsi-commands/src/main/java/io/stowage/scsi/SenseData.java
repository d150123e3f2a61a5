package io.stowage.scsi;

/**
 * Encodes sense data. Fixed format (response code 70h, SPC-4 4.5.3), which is what the control mode page
 * advertises (D_SENSE = 0).
 *
 * <pre>
 * byte 0   VALID(7) | 70h        byte 2   sense key
 * 3..6     INFORMATION           byte 7   additional length (10)
 * 12, 13   ASC, ASCQ             15..17   SKSV(7) | C/D(6) | field pointer (16..17)
 * </pre>
 */
public final class SenseData {
    public static final int FIXED_LENGTH = 18;

    private SenseData() {
    }

    /**
     * Descriptor format (response code 72h, SPC-4 4.5.2) without descriptors: what REQUEST SENSE with DESC = 1
     * returns. Byte 1 sense key, 2 ASC, 3 ASCQ, 7 additional length (0).
     */
    public static byte[] descriptor(SenseReason reason) {
        byte[] s = new byte[8];
        s[0] = 0x72;
        s[1] = (byte) reason.key;
        s[2] = (byte) reason.asc;
        s[3] = (byte) reason.ascq;
        return s;
    }

    public static byte[] fixed(SenseReason reason, boolean informationValid, long information, int cdbFieldPointer) {
        byte[] s = new byte[FIXED_LENGTH];
        s[0] = (byte) (0x70 | (informationValid ? 0x80 : 0));
        s[2] = (byte) reason.key;
        s[3] = (byte) (information >>> 24);
        s[4] = (byte) (information >>> 16);
        s[5] = (byte) (information >>> 8);
        s[6] = (byte) information;
        s[7] = 10;
        s[12] = (byte) reason.asc;
        s[13] = (byte) reason.ascq;
        if (cdbFieldPointer >= 0) {
            s[15] = (byte) (0x80 | 0x40); // SKSV, C/D = 1: the error is in the CDB
            s[16] = (byte) (cdbFieldPointer >>> 8);
            s[17] = (byte) cdbFieldPointer;
        }
        return s;
    }
}
