package io.stowage.iscsi.session;

import io.stowage.iscsi.pdu.Bhs;

/**
 * Our keepalive (RFC 7143 §11.19): when the connection has been idle, a NOP-In asks the initiator for a NOP-Out
 * echoing its TTT; if the connection goes idle again before that answer, the peer is taken for dead. StatSN does
 * not advance for either PDU. Receive thread only (the idle event and PDUs arrive on it).
 */
final class Keepalive {
    private final TransferTags tags;
    private int pingTag; // TTT of our outstanding NOP-In ping, 0 if none

    Keepalive(TransferTags tags) {
        this.tags = tags;
    }

    /** True if our last ping is still unanswered. */
    boolean unanswered() {
        return pingTag != 0;
    }

    /** A new ping goes out: returns the TTT it carries. */
    int ping() {
        pingTag = tags.next();
        return pingTag;
    }

    /** A NOP-Out with ITT FFFFFFFFh arrived carrying {@code ttt}: the answer to our ping if it echoes its tag. */
    void onNopOut(int ttt) {
        if (ttt != Bhs.RESERVED_TAG && ttt == pingTag) {
            pingTag = 0;
        }
    }
}
