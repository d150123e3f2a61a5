package io.stowage.iscsi.session;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One SCSI command on a connection, from its SCSI Command PDU to its status (RFC 7143 §4.2.3, §11.3).
 *
 * <pre>
 *  COLLECTING ──(all Data-Out in)──► EXECUTING ──(SCSI layer answered)──► DONE
 *       └──────────────┴────────────(ABORT TASK, LUN RESET, connection loss)──► ABORTED
 * </pre>
 *
 * <p>Data-Out bookkeeping (unsolicited burst, the current R2T) is touched only on the receive thread. The state
 * moves under {@code this} lock because completion (I/O thread) and abort (receive thread) race.
 */
final class Task {
    enum State { COLLECTING, EXECUTING, DONE, ABORTED }

    final int itt;
    final int cmdSn;
    final long lunField;
    final long lun;
    final byte[] cdb;
    final boolean read;
    final boolean write;
    final int edtl;
    /** Completed once the task has stopped touching the volume (answered or aborted). */
    final CompletableFuture<Void> finished = new CompletableFuture<>();

    private State state = State.COLLECTING;
    boolean delivered;          // admitted in CmdSN order (counts in the session's window)
    boolean immediate;          // I bit: skipped the window, counts against the immediate bound instead
    ByteBuffer dataOut;         // pooled, EDTL bytes, null without Data-Out (or refused)
    long reserved;              // bytes of the node's Data-Out budget this task holds
    io.stowage.scsi.ScsiResult refusal; // set when refused (on arrival, digest or sequence error): the answer, sent after its data
    long dataOutDeadline;       // System.nanoTime() by which Data-Out must come, 0 if none is awaited
    int received;               // Data-Out bytes in so far (in order: DataPDUInOrder=Yes)
    boolean unsolicitedDone;    // the unsolicited burst ended (F bit) or was never allowed
    int expectedDataSn;         // next DataSN of the current Data-Out sequence
    int ttt = -1;               // Target Transfer Tag of the outstanding R2T, or -1
    int r2tEnd;                 // end offset of the outstanding R2T
    int r2tSn;                  // R2Ts sent
    int dataInPdus;             // Data-In PDUs sent
    boolean discarding;         // a sequence error: this Data-Out sequence is dropped up to its final PDU

    Task(int itt, int cmdSn, long lunField, long lun, byte[] cdb, boolean read, boolean write, int edtl) {
        this.itt = itt;
        this.cmdSn = cmdSn;
        this.lunField = lunField;
        this.lun = lun;
        this.cdb = cdb;
        this.read = read;
        this.write = write;
        this.edtl = edtl;
    }

    synchronized State state() {
        return state;
    }

    /** COLLECTING → EXECUTING; false if the task was aborted meanwhile. */
    synchronized boolean startExecuting() {
        if (state != State.COLLECTING) {
            return false;
        }
        state = State.EXECUTING;
        return true;
    }

    /** EXECUTING → DONE; false if the task was aborted while it executed (its answer is then dropped). */
    synchronized boolean finish() {
        if (state != State.EXECUTING) {
            return false;
        }
        state = State.DONE;
        return true;
    }

    /**
     * Marks the task aborted. Returns the state it was in: a COLLECTING task is finished at once; an EXECUTING
     * task finishes when the SCSI layer answers ({@link #finished} completes then).
     */
    synchronized State abort() {
        State was = state;
        if (was == State.COLLECTING || was == State.EXECUTING) {
            state = State.ABORTED;
        }
        return was;
    }

    boolean needsMoreData() {
        return write && received < edtl;
    }
}
