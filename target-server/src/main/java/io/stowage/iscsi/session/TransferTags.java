package io.stowage.iscsi.session;

import io.stowage.iscsi.pdu.Bhs;

/**
 * Target Transfer Tags of one connection (RFC 7143 §11.8.1): R2Ts, Text Response continuations and our NOP-In
 * pings each take the next one; FFFFFFFFh (reserved) and 0 are skipped. Receive thread only.
 */
final class TransferTags {
    private int next = 1;

    int next() {
        int t = next++;
        if (next == Bhs.RESERVED_TAG || next == 0) {
            next = 1;
        }
        return t;
    }
}
