package io.stowage.iscsi.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tasks of one connection by Initiator Task Tag (RFC 7143 §4.2.3), and the ITTs of recently aborted ones:
 * an aborted task leaves the table at once, and Data-Out the initiator had already sent for it is dropped
 * silently (§4.2.3.3) instead of being rejected as data for an unknown task.
 *
 * <p>Threads: tasks are added on the receive thread; they leave it on any thread (the SCSI layer's completion,
 * an abort from a TMF or reset of another connection). Both collections are safe for that without a lock of
 * this class; a task's own state is guarded by the task's lock ({@link Task}).
 */
final class TaskTable {
    private final Map<Integer, Task> tasks = new ConcurrentHashMap<>();
    /** ITTs of recently aborted tasks, which have left the table: their late Data-Out is dropped silently. */
    private final Set<Integer> recentlyAborted = Collections.newSetFromMap(
            Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                    return size() > 1024;
                }
            }));

    Task get(int itt) {
        return tasks.get(itt);
    }

    /**
     * A new command; it replaces a finished task of the same ITT, and the ITT no longer names an aborted task (its
     * later Data-Out belongs to this one, or is for an unknown task once this one is done).
     */
    void put(Task task) {
        recentlyAborted.remove(task.itt);
        tasks.put(task.itt, task);
    }

    /** The live view, for scans on the receive thread that must not allocate (the Data-Out deadlines). */
    Collection<Task> values() {
        return tasks.values();
    }

    /** A copy, for callers that abort what they iterate over (TMFs, logout, connection loss). */
    List<Task> snapshot() {
        return new ArrayList<>(tasks.values());
    }

    /** The task was answered: it leaves the table (unless its ITT already names a newer task). */
    void remove(Task task) {
        tasks.remove(task.itt, task);
    }

    /** An aborted task has finished: it leaves the table now, not when a new command reuses its ITT. */
    void forget(Task task) {
        recentlyAborted.add(task.itt);
        tasks.remove(task.itt, task);
    }

    /** True if {@code itt} named a task that was aborted recently (and is no longer in the table). */
    boolean recentlyAborted(int itt) {
        return recentlyAborted.contains(itt);
    }
}
