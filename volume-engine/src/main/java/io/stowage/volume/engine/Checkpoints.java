package io.stowage.volume.engine;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a volume's metadata checkpoints and collects what they make unnecessary, on a thread of its own beside
 * the uploader (it reads LMDB in one read transaction, which the uploader's commits do not disturb).
 *
 * <p>When: at least {@code interval} TLogs are committed after the last checkpoint, and either the TLog entries
 * committed since then are at least a quarter of the map's entries (so a checkpoint costs at most about four times
 * the metadata the log itself wrote: TLog entries are 32 bytes, checkpoint entries 20), or the records reach
 * eight times the interval (many small TLogs: each is an object to read at open). Opening from the backend alone
 * therefore reads one checkpoint and at most {@code 8 × interval} TLogs, whatever the volume's age.
 *
 * <p>Steps: write the map to a local file, put it as {@code checkpoint.<epoch>.<seq>}, commit the header that
 * names it (the records up to it fold into SCO segments), then delete the objects the header no longer names: the
 * folded TLogs and the previous checkpoint, except what a snapshot still needs (its base checkpoint and the TLogs
 * from there to its cut stay, in the header's retention lists: see {@link VolumeHeader}). A crash between steps
 * leaves only garbage, collected at the next open ({@link #collectGarbage}).
 *
 * <p>{@link #exclusive} runs a task (a rollback) while no checkpoint runs: it replaces LMDB, which a checkpoint
 * reads, and the header's checkpoint.
 */
final class Checkpoints {
    static final int DEFAULT_INTERVAL = 128;
    private static final Logger log = LoggerFactory.getLogger(Checkpoints.class);

    /** What a checkpoint needs from its volume. */
    interface Owner {
        VolumeHeader header();

        /** Commits {@code change(header)} under the header lock; returns the header it replaced. */
        VolumeHeader commitHeader(UnaryOperator<VolumeHeader> change) throws IOException;
    }

    private final String volume;
    private final ObjectStore store;
    private final ClusterMap map;
    private final Path cacheDir;
    private final long epoch;
    private final Owner owner;
    private final Consumer<Throwable> halt;
    private final ExecutorService thread;
    private final AtomicBoolean running = new AtomicBoolean();
    /** Held by a checkpoint while it runs, and by {@link #exclusive}. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final AtomicLong entriesSince = new AtomicLong();
    private volatile int interval = DEFAULT_INTERVAL;
    private volatile boolean cancelled;

    Checkpoints(String volume, ObjectStore store, ClusterMap map, Path cacheDir, long epoch, Owner owner,
                Consumer<Throwable> halt) {
        this.volume = volume;
        this.store = store;
        this.map = map;
        this.cacheDir = cacheDir;
        this.epoch = epoch;
        this.owner = owner;
        this.halt = halt;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stowage-checkpoint-" + volume);
            t.setDaemon(true);
            return t;
        });
    }

    void interval(int tlogs) {
        if (tlogs < 1) throw new IllegalArgumentException("checkpoint interval " + tlogs);
        interval = tlogs;
    }

    /** Called by the uploader after each TLog is committed and absorbed into LMDB. */
    void afterCommit(int tlogEntries) {
        long since = entriesSince.addAndGet(tlogEntries);
        int records = owner.header().tlogs().size();
        if (cancelled || records < interval) return;
        if (records < 8 * interval && since * 4 < map.committedEntries()) return;
        if (!running.compareAndSet(false, true)) return;
        entriesSince.set(0);
        try {
            thread.execute(this::run);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            running.set(false); // stopping
        }
    }

    /** Runs {@code task} while no checkpoint runs (a running one is waited for, a new one waits). */
    <T> T exclusive(java.util.concurrent.Callable<T> task) throws Exception {
        lock.lock();
        try {
            return task.call();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        lock.lock();
        try {
            checkpoint();
        } catch (ObjectStore.FencedException e) {
            halt.accept(e);
        } catch (IOException | RuntimeException e) {
            if (!cancelled) log.warn("volume {}: metadata checkpoint failed ({}); tried again later", volume, e.toString());
        } finally {
            lock.unlock();
            running.set(false);
        }
    }

    private void checkpoint() throws IOException {
        long t0 = System.nanoTime();
        Path file = cacheDir.resolve("checkpoint.tmp");
        try {
            MetadataCheckpoint.Written w = MetadataCheckpoint.write(map, file, () -> cancelled);
            VolumeHeader.Checkpoint previous = owner.header().checkpoint();
            if (previous != null && w.seq() <= previous.seq()) return;
            String object = ObjectNames.checkpoint(epoch, w.seq());
            // a leftover of an attempt cut short: no header names it (its seq is beyond the header's checkpoint)
            if (store.exists(object)) store.delete(object);
            store.putExclusive(object, file);
            VolumeHeader.Checkpoint c = new VolumeHeader.Checkpoint(w.seq(), epoch, w.entries());
            VolumeHeader before = owner.commitHeader(h -> h.withCheckpoint(c));
            int deleted = deleteDropped(store, before, before.withCheckpoint(c));
            log.info("volume {}: metadata checkpoint at TLog {} ({} mappings, {} KiB) in {} ms; {} TLog object(s) "
                            + "collected", volume, w.seq(), w.entries(),
                    MetadataCheckpoint.objectSize(w.entries()) >> 10, (System.nanoTime() - t0) / 1_000_000, deleted);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * At open, after the claim: deletes TLog objects the checkpoint covers, snapshot maps and checkpoints other than
     * the header's — garbage of a checkpoint cut short or of a fenced owner (names at or below the checkpoint's TLog
     * are never committed again: a new owner continues after the header's last TLog).
     */
    static void collectGarbage(String volume, ObjectStore store, VolumeHeader header) throws IOException {
        int deleted = 0;
        java.util.Set<String> named = header.objectNames(); // snapshots keep their TLogs and base checkpoints
        for (String name : store.list("snapmap.")) { // a scrub's rewrite of a snapshot cut short, or replaced
            if (!named.contains(name)) {
                store.delete(name);
                deleted++;
            }
        }
        VolumeHeader.Checkpoint c = header.checkpoint();
        if (c == null) {
            if (deleted > 0) log.info("volume {}: {} snapshot map(s) no snapshot uses collected", volume, deleted);
            return;
        }
        for (String name : store.list("tlog.")) {
            if (ObjectNames.tlogSeq(name) <= c.seq() && !named.contains(name)) {
                store.delete(name);
                deleted++;
            }
        }
        for (String name : store.list("checkpoint.")) {
            if (!named.contains(name)) {
                store.delete(name);
                deleted++;
            }
        }
        if (deleted > 0) log.info("volume {}: {} object(s) no checkpoint needs collected", volume, deleted);
    }

    /**
     * Deletes the TLog and checkpoint objects {@code before} named and {@code after} (the header that replaced it)
     * does not; returns how many. Called after the commit of {@code after}: before it they were still needed.
     */
    static int deleteDropped(ObjectStore store, VolumeHeader before, VolumeHeader after) throws IOException {
        java.util.Set<String> kept = after.objectNames();
        int deleted = 0;
        for (String name : before.objectNames()) {
            if (!kept.contains(name)) {
                store.delete(name);
                deleted++;
            }
        }
        return deleted;
    }

    /**
     * Stops the thread (close, abandon): a running checkpoint is cut short at its next chunk (garbage for the next
     * open to collect) and waited for, since it reads LMDB, which the caller closes next.
     */
    void stop() {
        cancelled = true;
        thread.shutdown();
        try {
            thread.awaitTermination(1, TimeUnit.HOURS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until no checkpoint runs (tests). */
    void awaitIdle(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (running.get() && System.nanoTime() < deadline) Thread.sleep(5);
    }
}
