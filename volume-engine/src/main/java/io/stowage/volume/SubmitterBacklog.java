package io.stowage.volume;

/**
 * Whether the thread submitting I/O to a {@link BlockDevice} has more requests already waiting behind the current
 * one (the iSCSI receive thread with further PDUs of the same socket read still to decode). A device may do a
 * small, non-blocking I/O on the submitting thread when nothing else is in flight, which saves two thread
 * hand-offs at queue depth one; but with a backlog that would serialise the initiator's pipeline on that thread:
 * each command done inline leaves the device idle again when the next is decoded, so every following one would be
 * done inline too. The transport says so per request; the default (no backlog) suits callers that submit one at
 * a time.
 */
public final class SubmitterBacklog {
    private static final ThreadLocal<Boolean> BACKLOG = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private SubmitterBacklog() {
    }

    /** Set by the submitting thread before it submits (and cleared after). */
    public static void set(boolean more) {
        BACKLOG.set(more);
    }

    /** True if the current thread has said that more requests wait behind the one it is submitting. */
    public static boolean present() {
        return BACKLOG.get();
    }
}
