package io.stowage.node.admin;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long operations (a rollback, a backend restart, a scrub pass) run as jobs, one at a time on their own thread, so an
 * API request answers at once with a job the client polls (a job queued behind another is QUEUED until it starts). The last {@value #KEPT} jobs are remembered (not across a restart). Thread-safe.
 */
public final class Jobs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Jobs.class);
    static final int KEPT = 100;

    /** A job as the API shows it: RUNNING (or QUEUED), then DONE with its result or FAILED with why. */
    public record JobView(long id, String kind, String volume, String state, String started, String finished,
                          Object result, String message) {
    }

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "stowage-job");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, JobView> jobs = new LinkedHashMap<>();

    /** Queues {@code work}; returns the job at once. */
    public synchronized JobView start(String kind, String volume, Callable<Object> work) {
        long id = ids.incrementAndGet();
        JobView queued = new JobView(id, kind, volume, "QUEUED", null, null, null, null);
        put(queued);
        thread.submit(() -> {
            String started = Instant.now().toString();
            put(new JobView(id, kind, volume, "RUNNING", started, null, null, null));
            try {
                Object result = work.call();
                put(new JobView(id, kind, volume, "DONE", started, Instant.now().toString(), result, null));
                log.info("job {} ({} of {}) done: {}", id, kind, volume, result);
            } catch (Exception | Error e) {
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                put(new JobView(id, kind, volume, "FAILED", started, Instant.now().toString(), null, why));
                log.warn("job {} ({} of {}) failed: {}", id, kind, volume, why);
            }
        });
        return queued;
    }

    private synchronized void put(JobView j) {
        jobs.put(j.id(), j);
        while (jobs.size() > KEPT) jobs.remove(jobs.keySet().iterator().next());
    }

    public synchronized Optional<JobView> get(long id) {
        return Optional.ofNullable(jobs.get(id));
    }

    public synchronized List<JobView> all() {
        return new ArrayList<>(jobs.values());
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
