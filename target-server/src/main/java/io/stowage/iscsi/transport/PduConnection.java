package io.stowage.iscsi.transport;

import io.stowage.iscsi.pdu.Pdu;
import java.net.InetSocketAddress;

/** One TCP connection as the iSCSI layer sees it. Thread-safe. */
public interface PduConnection {
    /**
     * Queues a PDU for sending. PDUs go out in the order of calls. {@code onSent}, if not null, runs once the
     * PDU's buffers are no longer needed (written, or the connection closed).
     */
    void send(Pdu pdu, Runnable onSent);

    /**
     * Queues several PDUs at once, in order, as one unit: a task's Data-In PDUs and its status, so that a transport
     * can hand them to the socket in one gathering write rather than one write per PDU. {@code onSent} runs once
     * the buffers of all of them are no longer needed. {@code alone}: no other command of the session awaits its
     * answer, so nothing is likely to follow soon that could share a socket write with this unit; a transport may
     * then write it at once on the calling thread, while with other answers coming it had better combine them.
     */
    default void sendAll(Pdu[] pdus, Runnable onSent, boolean alone) {
        for (int i = 0; i < pdus.length; i++) {
            send(pdus[i], i == pdus.length - 1 ? onSent : null);
        }
    }

    /** From the next PDU on, in both directions (RFC 7143 §13.1: digests start after login). */
    void setDigests(boolean header, boolean data);

    /**
     * Sends the final Login Response and switches to the full feature phase's digests and receive limit so that no
     * PDU is decoded under the wrong settings: the receive side switches before the response leaves (the initiator
     * may answer it at once), the send side right after it (the response itself carries no digests).
     */
    void sendFinalLoginResponse(Pdu response, boolean headerDigest, boolean dataDigest, int maxRecvDataSegment);

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
