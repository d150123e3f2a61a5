package io.stowage.node.admin;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Jobs run one at a time; a running job that can tell its progress shows it, and a finished one does not. */
class JobsTest {
    private static Jobs.JobView await(Jobs jobs, long id, String state) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            Jobs.JobView j = jobs.get(id).orElseThrow();
            if (j.state().equals(state)) return j;
            Thread.sleep(10);
        }
        throw new AssertionError("job " + id + " never " + state + ": " + jobs.get(id));
    }

    @Test
    void aRunningJobShowsItsProgressAndAFinishedOneItsResult() throws Exception {
        try (Jobs jobs = new Jobs()) {
            CountDownLatch release = new CountDownLatch(1);
            double[] done = {0.25};
            Jobs.JobView queued = jobs.start("scrub", "v", () -> {
                release.await(10, TimeUnit.SECONDS);
                return "ok";
            }, () -> done[0]);
            Jobs.JobView second = jobs.start("rollback", "w", () -> "fine");
            Jobs.JobView running = await(jobs, queued.id(), "RUNNING");
            assertEquals(0.25, running.progress());
            done[0] = 7; // a gauge past the end is shown as done, not more
            assertEquals(1.0, jobs.get(queued.id()).orElseThrow().progress());
            assertEquals("QUEUED", jobs.get(second.id()).orElseThrow().state(), "one job at a time");
            assertNull(jobs.get(second.id()).orElseThrow().progress(), "a job that cannot tell says nothing");
            release.countDown();
            Jobs.JobView finished = await(jobs, queued.id(), "DONE");
            assertEquals("ok", finished.result());
            assertNull(finished.progress());
            assertEquals("fine", await(jobs, second.id(), "DONE").result());
            assertEquals(2, jobs.all().size());
        }
    }
}
