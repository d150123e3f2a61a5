package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * Writes PDUs in wire form. Small PDUs become one buffer; for a large data segment the header (with padding and
 * digest trailers) and the caller's data buffer are returned separately so the data is never copied.
 */
public final class PduEncoder {
    /** Data segments up to this size are copied next to the header: one write beats two for small PDUs. */
    static final int COPY_THRESHOLD = 16 * 1024;
    private volatile boolean headerDigest;
    private volatile boolean dataDigest;

    public void setDigests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    /** The PDU as one to three buffers to be written in order. */
    public ByteBuffer[] encode(Pdu pdu) {
        ByteBuffer data = pdu.data().duplicate();
        int dsl = data.remaining();
        Bhs.setDataSegmentLength(pdu.bhs(), dsl);
        int ahs = pdu.ahs().remaining();
        int pad = Bhs.padding(dsl);
        int headerLength = Bhs.LENGTH + ahs + (headerDigest ? Digest.LENGTH : 0);
        int trailer = dsl == 0 ? 0 : pad + (dataDigest ? Digest.LENGTH : 0);
        int dataCrc = dataDigest && dsl > 0 ? Digest.crc32c(data, pad) : 0;
        boolean inline = dsl <= COPY_THRESHOLD;
        ByteBuffer head = ByteBuffer.allocate(headerLength + (inline ? dsl + trailer : 0));
        head.put(pdu.bhs().duplicate().position(0).limit(Bhs.LENGTH));
        head.put(pdu.ahs().duplicate());
        if (headerDigest) {
            int crc = Digest.crc32c(head.duplicate().flip(), 0);
            Digest.write(head, head.position(), crc);
            head.position(head.position() + Digest.LENGTH);
        }
        if (inline) {
            head.put(data);
            putTrailer(head, pad, dsl > 0 && dataDigest, dataCrc);
            return new ByteBuffer[] {head.flip()};
        }
        ByteBuffer tail = ByteBuffer.allocate(trailer);
        putTrailer(tail, pad, dataDigest, dataCrc);
        return tail.capacity() == 0 ? new ByteBuffer[] {head.flip(), data}
                : new ByteBuffer[] {head.flip(), data, tail.flip()};
    }

    private static void putTrailer(ByteBuffer b, int pad, boolean digest, int crc) {
        for (int i = 0; i < pad; i++) {
            b.put((byte) 0);
        }
        if (digest) {
            Digest.write(b, b.position(), crc);
            b.position(b.position() + Digest.LENGTH);
        }
    }
}
