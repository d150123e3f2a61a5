package io.stowage.target.session;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide allowance for Data-Out buffers (the data of writes between their command PDU and their execution).
 * The CmdSN window bounds one session; this bounds them all together, since every initiator may open sessions.
 * Thread-safe: reserved on a receive thread, returned on whichever thread ends the task.
 */
final class DataOutBudget {
    private final long capacity;
    private final AtomicLong inUse = new AtomicLong();

    DataOutBudget(long capacity) {
        this.capacity = capacity;
    }

    /** Takes {@code bytes} from the budget; false (nothing taken) if that would exceed it. */
    boolean tryReserve(long bytes) {
        while (true) {
            long used = inUse.get();
            if (used + bytes > capacity) {
                return false;
            }
            if (inUse.compareAndSet(used, used + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        inUse.addAndGet(-bytes);
    }

    long inUse() {
        return inUse.get();
    }
}
