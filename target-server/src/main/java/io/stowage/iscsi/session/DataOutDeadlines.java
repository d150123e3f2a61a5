package io.stowage.iscsi.session;

import java.util.Collection;
import java.util.function.Consumer;

/**
 * The Data-Out timeout of one connection: a write that waits for data (its R2T, or the rest of its unsolicited
 * burst) and gets none for the timeout ends, so an initiator that never answers cannot pin its buffer. Checked
 * on the receive thread whenever a PDU arrives or the connection goes idle, so it never races the Data-Out
 * bookkeeping; a check costs one clock read until a deadline is due. Receive thread only.
 */
final class DataOutDeadlines {
    private final long timeoutNanos;
    private long nextDue; // earliest armed deadline, or 0 if none

    DataOutDeadlines(long timeoutMillis) {
        this.timeoutNanos = timeoutMillis * 1_000_000L;
    }

    /** (Re)starts {@code task}'s clock: it has just been asked for data, or some arrived. */
    void arm(Task task) {
        long deadline = System.nanoTime() + timeoutNanos;
        task.dataOutDeadline = deadline | 1; // never 0, which means "not waiting"
        if (nextDue == 0) {
            nextDue = task.dataOutDeadline;
        }
    }

    /** Hands every task whose deadline has passed to {@code expire}. */
    void check(Collection<Task> tasks, Consumer<Task> expire) {
        if (nextDue == 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - nextDue < 0) {
            return;
        }
        long earliest = 0;
        for (Task t : tasks) {
            long d = t.dataOutDeadline;
            if (d == 0 || t.state() != Task.State.COLLECTING) {
                continue;
            }
            if (now - d >= 0) {
                t.dataOutDeadline = 0;
                expire.accept(t);
            } else if (earliest == 0 || d - earliest < 0) {
                earliest = d;
            }
        }
        nextDue = earliest;
    }
}
