package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * One PDU: the 48-byte BHS, the additional header segments (often empty) and the data segment without padding
 * or digests. Buffers are views; see the package doc for how long a received PDU's views stay valid.
 */
public final class Pdu {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();
    private final ByteBuffer bhs;
    private final ByteBuffer ahs;
    private final ByteBuffer data;

    public Pdu(ByteBuffer bhs, ByteBuffer ahs, ByteBuffer data) {
        this.bhs = bhs;
        this.ahs = ahs == null ? EMPTY : ahs;
        this.data = data == null ? EMPTY : data;
    }

    /** A new outgoing PDU with a zeroed BHS of {@code opcode} and the given data segment (may be null). */
    public static Pdu outgoing(IscsiOpcode opcode, ByteBuffer data) {
        ByteBuffer bhs = ByteBuffer.allocate(Bhs.LENGTH);
        bhs.put(Bhs.OPCODE, (byte) opcode.code);
        Pdu p = new Pdu(bhs, null, data);
        Bhs.setDataSegmentLength(bhs, p.data.remaining());
        return p;
    }

    public ByteBuffer bhs() {
        return bhs;
    }

    public ByteBuffer ahs() {
        return ahs;
    }

    public ByteBuffer data() {
        return data;
    }

    public IscsiOpcode opcode() {
        return Bhs.opcode(bhs);
    }

    public int itt() {
        return Bhs.itt(bhs);
    }

    public int dataLength() {
        return data.remaining();
    }

    /** Copies the BHS (for Reject PDUs, which echo the rejected header, and for logging after the callback). */
    public byte[] headerCopy() {
        byte[] h = new byte[Bhs.LENGTH];
        bhs.duplicate().position(0).limit(Bhs.LENGTH).get(h);
        return h;
    }

    @Override
    public String toString() {
        IscsiOpcode op = opcode();
        return (op == null ? "opcode 0x" + Integer.toHexString(Bhs.opcodeCode(bhs)) : op.name())
                + "[itt=0x" + Integer.toHexString(itt()) + ", data=" + data.remaining() + "]";
    }
}
