package io.stowage.iscsi.session;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide allowance for Data-Out buffers (the data of writes between their command PDU and their execution).
 * The CmdSN window bounds one session; this bounds them all together, since every initiator may open sessions,
 * and keeps a quarter of it as the most one session may hold, so that one initiator cannot starve the others.
 * Thread-safe: reserved on a receive thread, returned on whichever thread ends the task.
 */
final class DataOutBudget {
    private final long capacity;
    private final AtomicLong inUse = new AtomicLong();

    DataOutBudget(long capacity) {
        this.capacity = capacity;
    }

    /**
     * Takes {@code bytes} for a session that already holds {@code held}; false (nothing taken) if that would exceed
     * the node's budget or the session's share of it ({@link #sessionShare}).
     */
    boolean tryReserve(long bytes, AtomicLong held) {
        if (held.get() + bytes > sessionShare()) {
            return false; // one session (its initiator may open several, but each is bounded) cannot take it all
        }
        while (true) {
            long used = inUse.get();
            if (used + bytes > capacity) {
                return false;
            }
            if (inUse.compareAndSet(used, used + bytes)) {
                held.addAndGet(bytes); // only its own receive thread reserves, so the share check above holds
                return true;
            }
        }
    }

    void release(long bytes, AtomicLong held) {
        held.addAndGet(-bytes);
        inUse.addAndGet(-bytes);
    }

    /** What one session may hold: a quarter of the node's budget, at least one largest write. */
    long sessionShare() {
        return Math.max(capacity / 4, 4L << 20);
    }

    long inUse() {
        return inUse.get();
    }
}
