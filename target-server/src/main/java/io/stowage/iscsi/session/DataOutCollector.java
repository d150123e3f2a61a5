package io.stowage.iscsi.session;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.ScsiResult;
import io.stowage.scsi.ScsiStatus;
import io.stowage.iscsi.login.SessionParameters;
import io.stowage.iscsi.pdu.Bhs;
import io.stowage.iscsi.pdu.InitiatorPdus.DataOut;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.RejectReason;
import io.stowage.iscsi.pdu.TargetPdus;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the Data-Out of one connection's writes (RFC 7143 §11.7, §11.8; sequence errors at ErrorRecoveryLevel
 * 0, §7.8, as LIO's {@code iscsi_target_erl0}): reserves each write's buffer from the node's Data-Out budget,
 * checks every Data-Out (task, TTT, DataSN, offset, burst bounds) and copies it into the task's buffer, sends the
 * next R2T (MaxOutstandingR2T = 1, MaxBurstLength each), turns a sequence or digest error into the command's
 * CHECK CONDITION once the sequence has ended, and ends a write whose data stops coming (the Data-Out timeout).
 * When a sequence is complete the task goes back to {@link Connection#proceed}.
 *
 * <p>Threads: everything but {@link #release} runs on the receive thread, so the Data-Out bookkeeping of a task
 * is never shared. The copy into a task's buffer holds the task's lock, and {@link #release} (any thread: the SCSI
 * layer's completion, an abort from another connection's TMF) takes the buffer under the same lock, so an abort
 * cannot return the buffer to the pool while data is being copied into it. The budget counter is atomic.
 */
final class DataOutCollector {
    private static final Logger log = LoggerFactory.getLogger(DataOutCollector.class);
    private static final int RESERVED = Bhs.RESERVED_TAG;

    private final Connection connection;
    private final TaskTable tasks;
    private final TransferTags tags;
    private final NodeResources node;
    private final BufferPool buffers;
    private final DataOutDeadlines deadlines;
    private final Consumer<Task> onTimeout = this::timedOut; // once, not per PDU
    /** Bytes of the node's Data-Out budget this connection's tasks hold (released on any thread). */
    private final AtomicLong held = new AtomicLong();

    DataOutCollector(Connection connection, TaskTable tasks, TransferTags tags, NodeResources node,
                     BufferPool buffers) {
        this.connection = connection;
        this.tasks = tasks;
        this.tags = tags;
        this.node = node;
        this.buffers = buffers;
        this.deadlines = new DataOutDeadlines(node.limits().dataOutTimeoutMillis());
    }

    /** Ends the writes whose Data-Out is overdue; costs one clock read until one is due. */
    void checkDeadlines() {
        deadlines.check(tasks.values(), onTimeout);
    }

    /** The task waits for the rest of its unsolicited burst: its clock starts. */
    void arm(Task task) {
        deadlines.arm(task);
    }

    /** A buffer of the task's EDTL from the node's budget; false if the budget is spent (no buffer then). */
    boolean reserve(Task task) {
        if (!node.dataOut().tryReserve(task.edtl, held)) {
            return false;
        }
        task.reserved = task.edtl;
        task.dataOut = buffers.acquire(task.edtl);
        return true;
    }

    /**
     * A Data-Out whose data failed its digest: the command is to end in CHECK CONDITION 0B/47/05, and the rest of
     * the sequence is dropped up to its final PDU (ERL 0 does not ask for the data again).
     */
    void onDigestError(Pdu pdu) {
        Task task = tasks.get(pdu.itt());
        if (task != null && task.state() == Task.State.COLLECTING) {
            connection.refuse(task, io.stowage.scsi.SenseReason.PROTOCOL_SERVICE_CRC_ERROR,
                    "data digest error on a Data-Out");
            task.discarding = true; // the rest of this sequence is dropped
            if (Bhs.finalFlag(pdu.bhs())) {
                endSequence(task, pdu.bhs().getInt(DataOut.TTT) == RESERVED);
            }
        }
    }

    void onDataOut(Pdu pdu, SessionParameters params) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int ttt = bhs.getInt(DataOut.TTT);
        Task task = tasks.get(itt);
        if (task == null && tasks.recentlyAborted(itt)) {
            return; // §4.2.3.3: data of an aborted task is discarded
        }
        if (task == null) {
            log.info("{}: Data-Out for unknown task 0x{}, rejected", connection, Integer.toHexString(itt));
            connection.reject(RejectReason.INVALID_PDU_FIELD, pdu);
            return;
        }
        Task.State taskState;
        boolean buffered;
        synchronized (task) {
            taskState = task.state();
            buffered = task.dataOut != null;
        }
        if (taskState == Task.State.ABORTED) {
            return; // §4.2.3.3: data of an aborted task is discarded
        }
        if (taskState != Task.State.COLLECTING || (!buffered && task.refusal == null)) {
            log.info("{}: Data-Out for task 0x{} that expects none, rejected", connection, Integer.toHexString(itt));
            connection.reject(RejectReason.INVALID_PDU_FIELD, pdu);
            return;
        }
        boolean unsolicited = ttt == RESERVED;
        if (unsolicited ? task.unsolicitedDone : ttt != task.ttt) {
            connection.protocolError(pdu, unsolicited ? "unsolicited Data-Out not allowed" : "Data-Out with stale TTT");
            return;
        }
        boolean last = Bhs.finalFlag(bhs);
        if (task.discarding) { // after a sequence error: the rest of the sequence is dropped, up to its F bit
            if (last) {
                endSequence(task, unsolicited);
            } else {
                deadlines.arm(task);
            }
            return;
        }
        int dataSn = bhs.getInt(DataOut.DATA_SN);
        int offset = bhs.getInt(DataOut.BUFFER_OFFSET);
        int length = pdu.dataLength();
        int limit = unsolicited ? Math.min(task.edtl, params.firstBurstLength()) : task.r2tEnd;
        if (dataSn != task.expectedDataSn) {
            failDataPhase(task, unsolicited, last, "DataSN " + Integer.toUnsignedString(dataSn) + " where "
                    + task.expectedDataSn + " was due");
            return;
        }
        if (offset != task.received || length > limit - offset) {
            failDataPhase(task, unsolicited, last, "Data-Out offset " + offset + "+" + length
                    + " outside expected " + task.received + ".." + limit);
            return;
        }
        synchronized (task) {
            // a LU RESET, TARGET RESET or PREEMPT AND ABORT on another thread may abort the task and return its
            // buffer to the pool at any moment: the copy and that release exclude each other
            if (task.state() != Task.State.COLLECTING) {
                return; // aborted meanwhile: the data is discarded (§4.2.3.3)
            }
            if (task.dataOut != null) { // none for a refused task: its data is counted and dropped
                task.dataOut.put(offset, pdu.data(), pdu.data().position(), length);
            }
        }
        task.received += length;
        task.expectedDataSn++;
        if (last || task.received == limit) {
            endSequence(task, unsolicited);
        } else {
            deadlines.arm(task); // data is coming: the clock restarts
        }
    }

    /** The current Data-Out sequence (unsolicited burst or R2T) is complete. */
    private void endSequence(Task task, boolean unsolicited) {
        task.dataOutDeadline = 0; // until the next R2T
        task.expectedDataSn = 0;
        task.discarding = false;
        if (unsolicited) {
            task.unsolicitedDone = true;
        } else {
            task.ttt = -1;
        }
        if (!task.delivered) {
            return; // waits for its CmdSN turn; deliver() takes it from here
        }
        connection.proceed(task);
    }

    /**
     * A Data-Out sequence error (RFC 7143 §7.8, sequence errors at ErrorRecoveryLevel 0): the command ends in
     * CHECK CONDITION, ABORTED COMMAND / DATA PHASE ERROR once the initiator has sent the sequence's final
     * Data-Out (the rest of it is discarded; no R2T follows), and the connection and its other commands carry on.
     */
    private void failDataPhase(Task task, boolean unsolicited, boolean last, String why) {
        log.warn("{}: task 0x{}: {}; command terminated", connection, Integer.toHexString(task.itt), why);
        task.refusal = ScsiResult.check(io.stowage.scsi.ScsiError.of(io.stowage.scsi.SenseReason.DATA_PHASE_ERROR));
        task.discarding = true;
        if (last) {
            endSequence(task, unsolicited);
        }
    }

    /** The Data-Out timeout: the task ends with 0B/4B/06 (INITIATOR RESPONSE TIMEOUT); its buffer is freed. */
    private void timedOut(Task task) {
        log.warn("{}: task 0x{}: no Data-Out for {} s; command terminated", connection, Integer.toHexString(task.itt),
                node.limits().dataOutTimeoutMillis() / 1000);
        connection.abort(task, false);
        byte[] sense = io.stowage.scsi.SenseData.fixed(io.stowage.scsi.SenseReason.INITIATOR_RESPONSE_TIMEOUT, false,
                0, -1);
        connection.send(TargetPdus.scsiResponse(task.itt, ScsiStatus.CHECK_CONDITION, 0, 0, task.r2tSn, sense), true,
                null);
    }

    /** Sends the next R2T (MaxOutstandingR2T = 1), bounded by MaxBurstLength (§11.8). */
    void solicit(Task task, SessionParameters params) {
        int offset = task.received;
        int length = Math.min(params.maxBurstLength(), task.edtl - offset);
        task.ttt = tags.next();
        task.r2tEnd = offset + length;
        deadlines.arm(task);
        Pdu r2t = TargetPdus.r2t(task.itt, task.lunField, task.ttt, task.r2tSn++, offset, length);
        connection.send(r2t, false, null);
    }

    /** Returns the task's buffer to the pool and its bytes to the node's budget. Any thread. */
    void release(Task task) {
        ByteBuffer b;
        long reserved;
        synchronized (task) {
            b = task.dataOut;
            task.dataOut = null;
            reserved = task.reserved;
            task.reserved = 0;
        }
        if (b != null) {
            buffers.release(b);
        }
        if (reserved > 0) {
            node.dataOut().release(reserved, held);
        }
    }
}
