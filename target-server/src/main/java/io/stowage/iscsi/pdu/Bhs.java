package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * Offsets and accessors of the Basic Header Segment (RFC 7143 §11.2, figure 7). Fields shared by all PDUs are
 * here; per-opcode fields are named in the view classes ({@link ScsiCommandPdu}, ...). All accessors are
 * absolute, big-endian, and never move the buffer's position.
 */
public final class Bhs {
    public static final int LENGTH = 48;
    public static final int OPCODE = 0;            // byte 0: .I opcode
    public static final int FLAGS = 1;             // byte 1: F bit and opcode-specific flags
    public static final int TOTAL_AHS_LENGTH = 4;  // in 4-byte words
    public static final int DATA_SEGMENT_LENGTH = 5; // 3 bytes
    public static final int LUN = 8;               // 8 bytes, or opcode-specific
    public static final int ITT = 16;              // Initiator Task Tag
    public static final int FLAG_FINAL = 0x80;
    public static final int IMMEDIATE = 0x40;
    public static final int RESERVED_TAG = 0xFFFFFFFF;

    private Bhs() {
    }

    public static int opcodeCode(ByteBuffer b) {
        return b.get(OPCODE) & 0x3F;
    }

    public static IscsiOpcode opcode(ByteBuffer b) {
        return IscsiOpcode.of(b.get(OPCODE));
    }

    public static boolean immediate(ByteBuffer b) {
        return (b.get(OPCODE) & IMMEDIATE) != 0;
    }

    public static int flags(ByteBuffer b) {
        return b.get(FLAGS) & 0xFF;
    }

    public static boolean finalFlag(ByteBuffer b) {
        return (flags(b) & FLAG_FINAL) != 0;
    }

    public static int totalAhsLength(ByteBuffer b) {
        return (b.get(TOTAL_AHS_LENGTH) & 0xFF) * 4;
    }

    public static int dataSegmentLength(ByteBuffer b) {
        return ((b.get(DATA_SEGMENT_LENGTH) & 0xFF) << 16) | ((b.get(DATA_SEGMENT_LENGTH + 1) & 0xFF) << 8)
                | (b.get(DATA_SEGMENT_LENGTH + 2) & 0xFF);
    }

    public static void setDataSegmentLength(ByteBuffer b, int length) {
        b.put(DATA_SEGMENT_LENGTH, (byte) (length >>> 16));
        b.put(DATA_SEGMENT_LENGTH + 1, (byte) (length >>> 8));
        b.put(DATA_SEGMENT_LENGTH + 2, (byte) length);
    }

    public static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }

    public static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xFFFF;
    }

    public static int u32(ByteBuffer b, int at) {
        return b.getInt(at);
    }

    public static long u64(ByteBuffer b, int at) {
        return b.getLong(at);
    }

    public static int itt(ByteBuffer b) {
        return b.getInt(ITT);
    }

    /** Padding after a data segment of {@code length} bytes (RFC 7143 §11.1: segments end on 4-byte boundaries). */
    public static int padding(int length) {
        return (-length) & 3;
    }
}
