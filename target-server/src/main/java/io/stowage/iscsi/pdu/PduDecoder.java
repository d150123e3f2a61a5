package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * Reassembles PDUs from a TCP byte stream split anywhere (RFC 7143 §11.1):
 *
 * <pre>
 *  BHS (48) | AHS (TotalAHSLength*4) | HeaderDigest (4, if negotiated) | data (DataSegmentLength)
 *  | padding to 4 | DataDigest (4, if negotiated and DataSegmentLength &gt; 0)
 * </pre>
 *
 * <p>The stages of that layout are resolved as soon as the BHS is known: the BHS gives the whole PDU length, so
 * the decoder only has two states, "collecting the BHS" and "collecting the rest". When a whole PDU lies in the
 * input buffer it is delivered as a view of that buffer without copying; otherwise bytes are gathered in one
 * reusable buffer sized for the largest acceptable PDU.
 *
 * <p>Validation: a data segment above the receive limit, or a header digest mismatch, throws
 * {@link PduFormatException} (the stream is then unusable). A data digest mismatch is reported to the sink, which
 * rejects that PDU only. Not thread-safe; one decoder per connection, fed by its receive thread. The settings may
 * be changed from another thread while nothing is being received (a login held for a session reinstatement
 * completes on the thread that ended the old session), so they are volatile.
 */
public final class PduDecoder {
    /** Receives decoded PDUs. The PDU's buffers are valid only during the call. */
    public interface Sink {
        void onPdu(Pdu pdu);

        /** The PDU's data digest did not match: RFC 7143 §7.8 says reject it with reason 02h and discard it. */
        void onDataDigestError(Pdu pdu);
    }

    /** Largest AHS: TotalAHSLength is one byte of 4-byte words. */
    private static final int MAX_AHS = 255 * 4;
    private final Sink sink;
    private volatile boolean headerDigest;
    private volatile boolean dataDigest;
    private volatile int maxDataSegment;
    private ByteBuffer gather;
    private int expected = -1; // total length of the PDU being gathered, once its BHS is in

    public PduDecoder(int maxDataSegment, Sink sink) {
        this.sink = sink;
        setMaxDataSegment(maxDataSegment);
    }

    /** Digests take effect from the next PDU (RFC 7143 §13.1: after the login completes). */
    public void setDigests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    public void setMaxDataSegment(int maxDataSegment) {
        this.maxDataSegment = maxDataSegment;
        int capacity = Bhs.LENGTH + MAX_AHS + 4 + maxDataSegment + 3 + 4;
        if (gather == null || gather.capacity() < capacity) {
            ByteBuffer bigger = ByteBuffer.allocate(capacity);
            if (gather != null) {
                gather.flip();
                bigger.put(gather);
            }
            gather = bigger;
        }
    }

    /** The buffer being fed, during {@link #feed}; see {@link #moreBuffered}. */
    private ByteBuffer feeding;

    /**
     * During a delivery: true if the buffer being fed holds bytes after the PDU being delivered (more PDUs, or
     * the start of one, were received with it), so the peer has more outstanding than this one.
     */
    public boolean moreBuffered() {
        return feeding != null && feeding.hasRemaining();
    }

    /** Consumes all of {@code in}, delivering every complete PDU in order. */
    public void feed(ByteBuffer in) throws PduFormatException {
        feeding = in;
        try {
            feedAll(in);
        } finally {
            feeding = null;
        }
    }

    private void feedAll(ByteBuffer in) throws PduFormatException {
        while (in.hasRemaining()) {
            if (gather.position() == 0 && in.remaining() >= Bhs.LENGTH) {
                int total = totalLength(in.slice(in.position(), Bhs.LENGTH));
                if (in.remaining() >= total) { // fast path: the whole PDU is here, deliver a view
                    ByteBuffer pdu = in.slice(in.position(), total);
                    in.position(in.position() + total);
                    deliver(pdu);
                    continue;
                }
            }
            if (gather.position() < Bhs.LENGTH) {
                copy(in, Bhs.LENGTH - gather.position());
                if (gather.position() < Bhs.LENGTH) {
                    return;
                }
                expected = totalLength(gather.slice(0, Bhs.LENGTH));
            }
            copy(in, expected - gather.position());
            if (gather.position() == expected) {
                ByteBuffer pdu = gather.slice(0, expected);
                gather.clear();
                expected = -1;
                deliver(pdu);
            }
        }
    }

    /** True if part of a PDU has been received and not yet delivered (a truncated stream if the peer closes now). */
    public boolean hasPartialPdu() {
        return gather.position() > 0;
    }

    private void copy(ByteBuffer in, int n) {
        int take = Math.min(n, in.remaining());
        gather.put(in.slice(in.position(), take));
        in.position(in.position() + take);
    }

    private int totalLength(ByteBuffer bhs) throws PduFormatException {
        int dsl = Bhs.dataSegmentLength(bhs);
        if (dsl > maxDataSegment) {
            byte[] h = new byte[Bhs.LENGTH];
            bhs.duplicate().get(h);
            throw new PduFormatException(RejectReason.PROTOCOL_ERROR, "data segment of " + dsl
                    + " bytes exceeds MaxRecvDataSegmentLength " + maxDataSegment, h);
        }
        return Bhs.LENGTH + Bhs.totalAhsLength(bhs) + (headerDigest ? Digest.LENGTH : 0)
                + dsl + Bhs.padding(dsl) + (dataDigest && dsl > 0 ? Digest.LENGTH : 0);
    }

    private void deliver(ByteBuffer pdu) throws PduFormatException {
        ByteBuffer bhs = pdu.slice(0, Bhs.LENGTH);
        int ahsLength = Bhs.totalAhsLength(bhs);
        int headerEnd = Bhs.LENGTH + ahsLength;
        if (headerDigest) {
            int actual = Digest.crc32c(pdu.slice(0, headerEnd), 0);
            if (actual != Digest.read(pdu, headerEnd)) {
                byte[] h = new byte[Bhs.LENGTH];
                bhs.duplicate().get(h);
                throw new PduFormatException(RejectReason.PROTOCOL_ERROR, "header digest mismatch", h);
            }
            headerEnd += Digest.LENGTH;
        }
        int dsl = Bhs.dataSegmentLength(bhs);
        ByteBuffer data = pdu.slice(headerEnd, dsl);
        Pdu p = new Pdu(bhs, pdu.slice(Bhs.LENGTH, ahsLength), data);
        if (dataDigest && dsl > 0) {
            int pad = Bhs.padding(dsl);
            int actual = Digest.crc32c(pdu.slice(headerEnd, dsl + pad), 0);
            if (actual != Digest.read(pdu, headerEnd + dsl + pad)) {
                sink.onDataDigestError(p);
                return;
            }
        }
        sink.onPdu(p);
    }
}
