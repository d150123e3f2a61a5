package io.stowage.volume.engine;

import io.stowage.volume.OutOfSpaceException;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.log.TLogReader;
import io.stowage.volume.log.TLogWriter;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload of closed TLogs (after volumedriver's BackendTasks), one thread per volume, in TLog order: the TLog's SCOs
 * (concurrently, {@code upload-parallelism}), then the TLog, then the header (the commit point). Only after the
 * header commit is the TLog absorbed into LMDB, its SCOs made evictable and its local file deleted. Failed uploads
 * are retried with backoff (100 ms to 5 s), logged once per outage; a refused commit (fenced) halts the volume.
 *
 * <p>Threads: {@link #enqueue} is called under the volume's append lock (a roll) or by the loader before start;
 * everything else runs on the {@code stowage-upload-<volume>} thread, which between jobs lets the volume roll its
 * TLog by age ({@link Owner#idle}).
 */
final class Uploader {
    private static final Logger log = LoggerFactory.getLogger(Uploader.class);

    /**
     * A closed TLog waiting for upload, with the SCOs it covers; {@code cut} is a snapshot of the state after it,
     * committed in the same header commit as the TLog (or null). {@code queuedNanos}: when it was closed (its wait,
     * the upload lag, counts from there).
     */
    record Job(long seq, long tlogEpoch, Path file, TLogWriter writer, List<ScoCache.Sco> scos, Cut cut,
               long queuedNanos) {
        Job(long seq, long tlogEpoch, Path file, TLogWriter writer, List<ScoCache.Sco> scos) {
            this(seq, tlogEpoch, file, writer, scos, null);
        }

        Job(long seq, long tlogEpoch, Path file, TLogWriter writer, List<ScoCache.Sco> scos, Cut cut) {
            this(seq, tlogEpoch, file, writer, scos, cut, System.nanoTime());
        }
    }

    /**
     * A snapshot to record with a TLog's commit; {@code committed} completes with the snapshot as committed (or
     * exceptionally if the volume halts first). Never persisted before that commit: a crash loses it, and the
     * caller of the create is still waiting, so no snapshot was promised.
     */
    record Cut(String name, long createdMillis, java.util.concurrent.CompletableFuture<VolumeHeader.Snapshot> committed) {
    }

    /** Queued last by close and abandon: the uploader stops when it reaches it. */
    private static final Job STOP = new Job(-1, -1, null, null, List.of());

    /** What the uploader needs from its volume. */
    interface Owner {
        boolean closing();

        boolean halted();

        /** An append failed for want of space and no write succeeded since. */
        boolean cacheFull();

        void halt(Throwable why);

        /** Halts for a local I/O failure. */
        void halt(String what, IOException e);

        /** Called between jobs (at least every 200 ms): the volume closes a TLog that is too old. */
        void idle();

        /** Snapshot {@code name} was committed with its TLog. */
        void snapshotCommitted(String name);
    }

    private final String name;
    private final ObjectStore store;
    private final HeaderCommitter headers;
    private final ClusterMap map;
    private final ScoCache scos;
    private final DirtyBudget dirty;
    private final Checkpoints checkpoints;
    private final LocalFiles files;
    private final DirectorySync tlogDir;
    private final SpaceReserve reserve;
    private final long cacheLimitBytes;
    private final Owner owner;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final AtomicLong pending = new AtomicLong();
    /** The job being uploaded (taken off the queue), for the upload lag; null between jobs. */
    private volatile Job current;
    private final AtomicLong uploadedBytes = new AtomicLong();
    private final AtomicLong uploadedTlogs = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** The newest TLog that is committed and absorbed (LMDB, cache accounting); uploads finish in TLog order. */
    private volatile long absorbedSeq;
    private final Thread thread;
    /** Puts the SCOs of one TLog concurrently; the uploader waits for all of them before the TLog. */
    private final ExecutorService scoPutters;

    Uploader(String name, ObjectStore store, HeaderCommitter headers, ClusterMap map, ScoCache scos,
             DirtyBudget dirty, Checkpoints checkpoints, LocalFiles files, DirectorySync tlogDir, SpaceReserve reserve,
             VolumeConfig config, Owner owner) {
        this.name = name;
        this.store = store;
        this.headers = headers;
        this.map = map;
        this.scos = scos;
        this.dirty = dirty;
        this.checkpoints = checkpoints;
        this.files = files;
        this.tlogDir = tlogDir;
        this.reserve = reserve;
        this.cacheLimitBytes = config.cacheLimitBytes();
        this.owner = owner;
        this.absorbedSeq = headers.header().lastTlogSeq();
        this.thread = new Thread(this::loop, "stowage-upload-" + name);
        this.thread.setDaemon(true);
        this.scoPutters = Executors.newFixedThreadPool(config.uploadParallelism(), r -> {
            Thread t = new Thread(r, "stowage-sco-put-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues a closed TLog (a roll, or recovery before start). */
    void enqueue(Job job) {
        pending.incrementAndGet();
        queue.add(job);
    }

    void start() {
        thread.start();
    }

    long absorbedSeq() {
        return absorbedSeq;
    }

    /** A rollback made {@code seq} the last committed TLog (a checkpoint's): nothing before it is pending. */
    void absorbedThrough(long seq) {
        absorbedSeq = seq;
    }

    long pending() {
        return pending.get();
    }

    /** How long the oldest closed TLog not yet committed has waited; 0 when none waits. */
    long lagNanos() {
        Job oldest = current;
        if (oldest == null) oldest = queue.peek();
        if (oldest == null || oldest == STOP) return 0;
        return Math.max(0, System.nanoTime() - oldest.queuedNanos());
    }

    long uploadedBytes() {
        return uploadedBytes.get();
    }

    long uploadedTlogs() {
        return uploadedTlogs.get();
    }

    long failures() {
        return failures.get();
    }

    /** Stops the thread after its current step (close, abandon); never interrupts it (that closes its channels). */
    void stop(long waitMillis) {
        queue.add(STOP);
        try {
            if (waitMillis > 0) {
                thread.join(waitMillis);
            } else {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scoPutters.shutdown();
    }

    private void loop() {
        while (true) {
            Job job;
            try {
                job = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (owner.halted() || job == STOP) return;
            if (job == null) {
                if (owner.closing() && queue.isEmpty()) return;
                owner.idle();
                continue;
            }
            current = job;
            upload(job);
            current = null;
            if (owner.halted()) return;
        }
    }

    /** SCOs, then the TLog, then the header; then LMDB and the cache. Retries with backoff until it lands. */
    private void upload(Job job) {
        try {
            // the local copies stay valid until committed; a failed fsync is never retried (a retry "succeeds"
            // on Linux after a writeback error), the volume halts
            // (the SCOs' fsyncs on the put threads, side by side: with the DTL on they carry all the write-back of
            // the SCO data, which no flush fsyncs any more)
            List<Future<?>> syncs = new ArrayList<>();
            for (ScoCache.Sco s : job.scos()) {
                syncs.add(scoPutters.submit(() -> {
                    s.channel.force(false);
                    return null;
                }));
            }
            if (job.writer() != null) job.writer().close();
            awaitAll(syncs);
        } catch (IOException e) {
            if (!owner.closing()) owner.halt("fsync before the upload of TLog " + job.seq() + " failed", e);
            return;
        }
        long backoff = 100;
        boolean warned = false;
        while (true) {
            try {
                long firstSco = Long.MAX_VALUE;
                long lastSco = -1;
                List<Future<?>> puts = new ArrayList<>();
                for (ScoCache.Sco s : job.scos()) {
                    puts.add(scoPutters.submit(() -> {
                        putReplacingUncommitted(s.objectName(), s.file);
                        return null;
                    }));
                    firstSco = Math.min(firstSco, s.number);
                    lastSco = Math.max(lastSco, s.number);
                }
                awaitAll(puts);
                String tlogName = ObjectNames.tlog(job.tlogEpoch(), job.seq());
                putReplacingUncommitted(tlogName, job.file());
                VolumeHeader.TLogRecord record = new VolumeHeader.TLogRecord(job.seq(), job.tlogEpoch(),
                        lastSco < 0 ? 0 : firstSco, lastSco);
                long dataBytes = 0;
                for (ScoCache.Sco s : job.scos()) dataBytes += s.bytes;
                long bytes = dataBytes;
                Cut cut = job.cut();
                VolumeHeader before = headers.commit(h -> {
                    VolumeHeader next = h.withTlog(record, bytes);
                    // a name already committed (never by create, which refuses duplicates) must not block uploads
                    if (cut == null || next.snapshot(cut.name()) != null) return next;
                    return next.withSnapshot(new VolumeHeader.Snapshot(cut.name(), job.seq(), cut.createdMillis(),
                            next.retention().writtenBytes(), 0));
                });
                if (warned) log.info("volume {}: backend reachable again, uploads resumed", name);
                if (cut != null) { // committed: whatever happens to the volume next, the snapshot exists
                    cut.committed().complete(new VolumeHeader.Snapshot(cut.name(), job.seq(), cut.createdMillis(),
                            before.retention().writtenBytes() + bytes, 0));
                }
                committed(job);
                if (cut != null) owner.snapshotCommitted(cut.name());
                return;
            } catch (ObjectStore.FencedException e) {
                owner.halt(e);
                if (job.cut() != null) job.cut().committed().completeExceptionally(e);
                return;
            } catch (IOException | RuntimeException e) {
                if (owner.closing() || owner.halted()) {
                    if (job.cut() != null) job.cut().committed().completeExceptionally(e);
                    return; // shutting down or abandoned: the job is recovered from the local TLog next time
                }
                failures.incrementAndGet();
                if (!warned) {
                    log.warn("volume {}: upload of TLog {} failed ({}); retrying with backoff", name, job.seq(),
                            e.toString());
                    warned = true;
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    /** Waits for every put (none is left running behind a failure) and rethrows the first failure. */
    private static void awaitAll(List<Future<?>> puts) throws IOException {
        IOException failed = null;
        for (Future<?> f : puts) {
            try {
                f.get();
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                IOException io = c instanceof IOException x ? x : new IOException(c);
                // fencing wins over any other failure: it must halt the volume, not be retried
                if (failed == null || io instanceof ObjectStore.FencedException) failed = io;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        if (failed != null) throw failed;
    }

    /**
     * After the header commit the job is done and is never retried (a retry would commit its TLog twice): LMDB
     * absorbs the TLog, the SCOs become evictable, the local TLog goes. A failure here is not the backend's: it
     * halts the volume (LMDB) or is logged (eviction).
     */
    private void committed(Job job) {
        long metadata;
        int entries;
        try {
            // committed: it must be whole (a damaged local copy halts rather than absorbing only part of it)
            List<TLogEntry> applied = TLogReader.readCommitted(job.file(), job.file().toString());
            applyToMetadata(job.seq(), applied);
            entries = applied.size();
            metadata = Volume.metadataBytes(applied);
        } catch (IOException | RuntimeException e) {
            owner.halt(e);
            return;
        }
        long freed = 0;
        for (ScoCache.Sco s : job.scos()) {
            scos.markUploaded(s);
            freed += s.bytes;
        }
        dirty.add(-freed - metadata);
        uploadedBytes.addAndGet(freed);
        uploadedTlogs.incrementAndGet();
        pending.decrementAndGet();
        absorbedSeq = job.seq();
        dirty.wake();
        checkpoints.afterCommit(entries);
        try {
            files.delete(job.file());
            tlogDir.changed(); // a lost delete only brings back a committed TLog, which is ignored
            boolean full = owner.cacheFull();
            scos.evict(full ? 0 : cacheLimitBytes); // a full disk: every uploaded SCO goes
            if (!full && !reserve.isHeld()) reserve.restore();
        } catch (IOException | RuntimeException e) {
            log.warn("volume {}: cache clean-up after TLog {} failed: {}", name, job.seq(), e.toString());
        }
    }

    /** LMDB absorbs a committed TLog; on a full disk it gets the space reserve (a failed transaction changed nothing). */
    private void applyToMetadata(long seq, List<TLogEntry> entries) throws IOException {
        try {
            map.apply(seq, entries);
        } catch (RuntimeException e) {
            if (!OutOfSpaceException.isOutOfSpace(e) || !reserve.release()) throw e;
            log.warn("volume {}: the cache disk is full; its space reserve goes to the metadata of TLog {}", name, seq);
            map.apply(seq, entries);
        }
    }

    /**
     * Puts an object that no committed header references yet. A leftover of an attempt interrupted by a crash
     * may exist with other contents (recovery can trim a TLog or an SCO): it is garbage, so it is replaced.
     */
    private void putReplacingUncommitted(String objectName, Path file) throws IOException {
        if (store.exists(objectName)) {
            if (Arrays.equals(store.getAll(objectName), Files.readAllBytes(file))) return;
            store.delete(objectName);
        }
        store.putExclusive(objectName, file);
    }
}
