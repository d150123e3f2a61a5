package io.stowage.target.transport;

import io.stowage.target.pdu.Pdu;
import java.net.InetSocketAddress;

/** One TCP connection as the iSCSI layer sees it. Thread-safe. */
public interface PduConnection {
    /**
     * Queues a PDU for sending. PDUs go out in the order of calls. {@code onSent}, if not null, runs once the
     * PDU's buffers are no longer needed (written, or the connection closed).
     */
    void send(Pdu pdu, Runnable onSent);

    /** From the next PDU on, in both directions (RFC 7143 §13.1: digests start after login). */
    void setDigests(boolean header, boolean data);

    /** Largest data segment accepted from the peer; bigger ones are a protocol error. */
    void setMaxRecvDataSegment(int bytes);

    /** Closes after the queued PDUs are written. */
    void close();

    /**
     * Closes at once, dropping what is queued: for a peer that is gone or replaced, whose full TCP window would
     * otherwise hold the connection (and its tasks and reservations) until TCP gives up.
     */
    void closeNow();

    InetSocketAddress localAddress();

    InetSocketAddress remoteAddress();
}
