package io.stowage.iscsi.transport;

import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.PduFormatException;

/** What the network layer reports about one connection. Called on one thread at a time, in order. */
public interface ConnectionHandler {
    /** A complete PDU; its buffers are valid only during this call. */
    void onPdu(Pdu pdu);

    /** A PDU whose data digest failed; its buffers are valid only during this call. */
    void onDataDigestError(Pdu pdu);

    /** The stream is unusable; the handler answers (Reject) if it can, and the transport then closes. */
    void onProtocolError(PduFormatException e);

    /** Nothing was received for the configured idle interval (keepalive point). */
    void onIdle();

    /** The connection is gone; release everything. Called exactly once. */
    void onClosed();
}
