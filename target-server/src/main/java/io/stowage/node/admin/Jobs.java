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

    /**
     * A job as the API shows it: QUEUED, RUNNING, then DONE with its result or FAILED with why. {@code progress}: the
     * share done (0 to 1) while RUNNING, for the jobs that can tell (a scrub pass: live clusters moved of those to
     * move); null otherwise.
     */
    public record JobView(long id, String kind, String volume, String state, String started, String finished,
                          Object result, String message, Double progress) {
        JobView(long id, String kind, String volume, String state, String started, String finished, Object result,
                String message) {
            this(id, kind, volume, state, started, finished, result, message, null);
        }

        JobView withProgress(Double p) {
            return new JobView(id, kind, volume, state, started, finished, result, message, p);
        }
    }

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "stowage-job");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, JobView> jobs = new LinkedHashMap<>();
    /** How far the running jobs that can tell are (0 to 1, or null), by id. */
    private final Map<Long, java.util.function.Supplier<Double>> progress = new java.util.HashMap<>();

    /** Queues {@code work}; returns the job at once. */
    public JobView start(String kind, String volume, Callable<Object> work) {
        return start(kind, volume, work, null);
    }

    /** Queues {@code work}, whose progress {@code progress} tells while it runs (null: it cannot); returns the job. */
    public synchronized JobView start(String kind, String volume, Callable<Object> work,
                                      java.util.function.Supplier<Double> progress) {
        long id = ids.incrementAndGet();
        if (progress != null) this.progress.put(id, progress);
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
        if (j.state().equals("DONE") || j.state().equals("FAILED")) progress.remove(j.id());
        while (jobs.size() > KEPT) jobs.remove(jobs.keySet().iterator().next());
    }

    public synchronized Optional<JobView> get(long id) {
        return Optional.ofNullable(jobs.get(id)).map(this::withProgress);
    }

    public synchronized List<JobView> all() {
        return jobs.values().stream().map(this::withProgress).toList();
    }

    private JobView withProgress(JobView j) {
        java.util.function.Supplier<Double> p = progress.get(j.id());
        if (p == null || !j.state().equals("RUNNING")) return j;
        Double done;
        try {
            done = p.get();
        } catch (RuntimeException e) {
            done = null; // a gauge that cannot be read says nothing
        }
        return j.withProgress(done == null ? null : Math.max(0, Math.min(1, done)));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
