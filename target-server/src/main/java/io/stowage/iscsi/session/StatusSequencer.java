package io.stowage.iscsi.session;

import io.stowage.iscsi.login.SessionParameters;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.TargetPdus;
import io.stowage.iscsi.transport.PduConnection;

/**
 * StatSN sequencing of one connection (RFC 7143 §4.2.2.2, §11.2.2.1): every PDU we send is stamped with StatSN
 * (advanced only by PDUs that carry status), ExpCmdSN and MaxCmdSN and queued on the wire under one lock, so that
 * wire order equals StatSN order and the MaxCmdSN we announce never goes down.
 *
 * <p>Threads: any thread sends (the receive thread, the SCSI layer's completion threads, the TMF's completion).
 * {@code statSn} and {@code lastMaxCmdSn} are guarded by {@link #lock()}; the connection takes that same lock to
 * move its state together with the final Login Response, so nothing is sent before it and nothing after close.
 */
final class StatusSequencer {
    private final PduConnection wire;
    private final Object lock = new Object();
    private int statSn;          // guarded by lock
    private int lastMaxCmdSn;    // guarded by lock; MaxCmdSN we send never goes down

    StatusSequencer(PduConnection wire) {
        this.wire = wire;
    }

    /** The lock under which StatSN is assigned and PDUs are queued. */
    Object lock() {
        return lock;
    }

    /**
     * Queues a PDU, stamping StatSN, ExpCmdSN and MaxCmdSN of {@code s} under the lock. Returns the StatSN stamped.
     */
    int send(Session s, Pdu pdu, boolean advancesStatSn, Runnable onSent) {
        synchronized (lock) {
            int sn = advancesStatSn ? statSn++ : statSn;
            int exp = s.expCmdSn();
            int max = s.maxCmdSn();
            if (SerialNumber.lessThan(max, lastMaxCmdSn)) {
                max = lastMaxCmdSn; // the initiator keeps the largest anyway; never announce a shrink
            }
            lastMaxCmdSn = max;
            s.announced(max);
            TargetPdus.stampSequence(pdu, sn, exp, max);
            wire.send(pdu, onSent);
            return sn;
        }
    }

    /**
     * Queues {@code pdus} as one unit ({@link PduConnection#sendAll}): each stamped as {@link #send} would, in
     * order; only {@code pdus[statusIndex]} (if any: -1 = none) advances StatSN. Returns the StatSN of that PDU.
     * Called after the task's window slot is freed, so the session's count of commands awaiting an answer is the
     * others': zero tells the wire this unit is {@code alone}.
     */
    int sendAll(Session s, Pdu[] pdus, int statusIndex, Runnable onSent) {
        synchronized (lock) {
            int exp = s.expCmdSn();
            int max = s.maxCmdSn();
            if (SerialNumber.lessThan(max, lastMaxCmdSn)) {
                max = lastMaxCmdSn;
            }
            lastMaxCmdSn = max;
            s.announced(max);
            int status = statSn;
            for (int i = 0; i < pdus.length; i++) {
                int sn = statSn;
                if (i == statusIndex) {
                    status = statSn++;
                }
                TargetPdus.stampSequence(pdus[i], sn, exp, max);
            }
            wire.sendAll(pdus, onSent, s.commandsAwaitingAnswer() == 0);
            return status;
        }
    }

    /** A Login Response before full feature phase: StatSN is what the initiator expects, the window the initial one. */
    void sendLogin(Pdu response, int expStatSn, int loginCmdSn) {
        synchronized (lock) {
            TargetPdus.stampSequence(response, expStatSn, loginCmdSn, loginCmdSn + Session.WINDOW - 1);
            wire.send(response, null);
        }
    }

    /**
     * The final Login Response; StatSN continues after it, and the window it announces is the floor from now on.
     * The caller holds {@link #lock()}, so nothing else is sent before it.
     */
    void sendFinalLogin(Pdu response, int expStatSn, int loginCmdSn, SessionParameters params) {
        assert Thread.holdsLock(lock);
        TargetPdus.stampSequence(response, expStatSn, loginCmdSn, loginCmdSn + Session.WINDOW - 1);
        wire.sendFinalLoginResponse(response, params.headerDigest(), params.dataDigest(),
                params.targetMaxRecvDataSegmentLength());
        statSn = expStatSn + 1;
        lastMaxCmdSn = loginCmdSn + Session.WINDOW - 1; // what the response announced
    }
}
