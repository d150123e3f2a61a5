package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TaskTableTest {
    /**
     * An aborted task's ITT is remembered so its late Data-Out is dropped silently; once a new command reuses the
     * ITT, that memory is stale: Data-Out for the ITT after the new task is done must be treated as unknown
     * (Reject), not dropped as if it belonged to the old aborted task.
     */
    @Test
    void reusingAnAbortedTasksIttForgetsTheAbort() {
        TaskTable table = new TaskTable();
        Task aborted = new Task(7, 0, 0, 0, new byte[16], false, false, 0);
        table.put(aborted);
        table.forget(aborted);
        assertTrue(table.recentlyAborted(7));
        Task reused = new Task(7, 0, 0, 0, new byte[16], false, false, 0);
        table.put(reused);
        assertFalse(table.recentlyAborted(7), "the ITT names a new task now");
        table.remove(reused);
        assertNull(table.get(7));
        assertFalse(table.recentlyAborted(7), "Data-Out for a finished, never aborted task is not silently dropped");
    }
}
