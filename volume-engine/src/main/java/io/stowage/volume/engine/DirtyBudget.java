package io.stowage.volume.engine;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure: the bytes written but not yet committed to the backend (data clusters, and metadata-only TLog entries
 * at a fixed charge each), against the volume's dirty limit. A write waits while the count is over the limit, so a
 * slow or unreachable backend slows writers down instead of filling the cache disk; the uploader releases what each
 * commit covered and wakes them.
 *
 * <p>Threads and locks: the count is an atomic, changed by writers (under the volume's append lock) and the uploader.
 * Waiters wait on this object's monitor, woken by {@link #wake} (after a commit, or a halt), and re-check at least
 * every 100 ms; a writer waits holding no lock of the volume's (neither stripe nor append lock).
 */
final class DirtyBudget {
    private static final Logger log = LoggerFactory.getLogger(DirtyBudget.class);

    /** Throws if the volume is halted: a waiting writer gives up then. */
    interface HaltCheck {
        void check() throws IOException;
    }

    private final String name;
    private final long limitBytes;
    private final AtomicLong dirty = new AtomicLong();
    private final Object changed = new Object();
    private long slowedLoggedAt = System.nanoTime() - TimeUnit.SECONDS.toNanos(60); // guarded by changed

    DirtyBudget(String name, long limitBytes) {
        this.name = name;
        this.limitBytes = limitBytes;
    }

    /** What recovery left to upload (once, before the volume starts). */
    void set(long bytes) {
        dirty.set(bytes);
    }

    /** Counts bytes just written (positive) or released by a commit (negative; then {@link #wake}). */
    void add(long bytes) {
        dirty.addAndGet(bytes);
    }

    /** Wakes waiting writers (to see a halt, or what a commit released). */
    void wake() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    long bytes() {
        return dirty.get();
    }

    /** The dirty bytes are above the limit: a writer would wait. */
    boolean over() {
        return dirty.get() > limitBytes;
    }

    /** Waits until the dirty bytes are within the limit; {@code halted} is checked while waiting. */
    void await(HaltCheck halted) throws IOException {
        if (dirty.get() <= limitBytes) return;
        synchronized (changed) {
            while (dirty.get() > limitBytes) {
                halted.check();
                long now = System.nanoTime();
                if (now - slowedLoggedAt > TimeUnit.SECONDS.toNanos(10)) { // once per episode, not per write
                    log.warn("volume {}: {} KiB not yet uploaded (limit {} KiB); writes wait for the uploads",
                            name, dirty.get() >> 10, limitBytes >> 10);
                    slowedLoggedAt = now;
                }
                try {
                    changed.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for uploads");
                }
            }
        }
    }
}
