package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C header and data digests (RFC 7143 §13.1, Castagnoli polynomial). The 4-byte digest goes on the wire
 * little-endian: RFC 7143 §11.1 shows the CRC's least significant byte first (the same byte order libiscsi and
 * Linux use).
 */
public final class Digest {
    public static final int LENGTH = 4;

    private Digest() {
    }

    /** CRC32C over {@code b} from position to limit, plus {@code zeroPad} zero bytes. Does not move {@code b}. */
    public static int crc32c(ByteBuffer b, int zeroPad) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate());
        if (zeroPad > 0) {
            crc.update(new byte[zeroPad], 0, zeroPad);
        }
        return (int) crc.getValue();
    }

    public static int read(ByteBuffer b, int at) {
        return Integer.reverseBytes(b.getInt(at));
    }

    public static void write(ByteBuffer b, int at, int crc) {
        b.putInt(at, Integer.reverseBytes(crc));
    }
}
