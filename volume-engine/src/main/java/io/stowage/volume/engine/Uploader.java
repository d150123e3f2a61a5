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
import java.util.ArrayDeque;
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
 * Upload of closed TLogs (after volumedriver's BackendTasks), pipelined: up to {@link #tlogsInFlight} TLogs are
 * stored at once, each its SCOs (on put threads shared by all of them, {@code upload-parallelism} puts at once) and
 * its TLog object; the header (the commit point) is committed strictly in TLog order and only ever names TLogs
 * whose SCOs and TLog objects are all stored, and every such TLog that is ready when the uploader gets to it goes
 * in the same commit (so when uploads are behind there are fewer, larger commits). Only after the header commit is
 * a TLog absorbed into LMDB, its SCOs made evictable and its local file deleted, in TLog order. Failed uploads are
 * retried with backoff (100 ms to 5 s), logged once per outage; a refused commit (fenced) halts the volume.
 *
 * <p>Threads: {@link #enqueue} is called under the volume's append lock (a roll) or by the loader before start;
 * the storing runs on the {@code stowage-tlog-store-<volume>} threads (one per TLog in flight) and the
 * {@code stowage-sco-put-<volume>} threads; the commits, LMDB and the cache on the {@code stowage-upload-<volume>}
 * thread, which between jobs lets the volume roll its TLog by age ({@link Owner#idle}).
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
    /**
     * Puts SCOs (and fsyncs them) for every TLog in flight, {@code upload-parallelism} at once, first come first
     * served: the oldest TLog's SCOs were submitted first, so they go first.
     */
    private final ExecutorService scoPutters;
    /** One thread per TLog in flight: stores its objects (SCOs through {@link #scoPutters}, then the TLog). */
    private final ExecutorService storers;
    /** The bound on TLogs in flight (stored or being stored, not yet committed). */
    private final int inFlightLimit;
    /** A put or commit failed and none succeeded since: the outage is logged once, by whichever thread saw it. */
    private final java.util.concurrent.atomic.AtomicBoolean outage = new java.util.concurrent.atomic.AtomicBoolean();
    /** Wakes the uploader thread: a TLog queued or a store finished. Taken before {@link #pipeline}, never after. */
    private final Object signal = new Object();
    /** Guards the move of TLogs from {@link #queue} to {@link #inFlight}, and their removal once committed. */
    private final Object pipeline = new Object();
    /** The TLogs being stored or stored, not yet committed, oldest first (guarded by {@link #pipeline}). */
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private boolean started;
    private boolean stopping;
    /** The most TLogs in flight at once, whatever the configuration. */
    static final int MAX_TLOGS_IN_FLIGHT = 16;

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
        this.inFlightLimit = tlogsInFlight(config.uploadParallelism(), config.scosPerTlog());
        this.storers = Executors.newFixedThreadPool(inFlightLimit, r -> {
            Thread t = new Thread(r, "stowage-tlog-store-" + name);
            t.setDaemon(true);
            return t;
        });
        // all of them now: a volume's thread count is fixed while it is open, not a function of its load so far
        ((java.util.concurrent.ThreadPoolExecutor) scoPutters).prestartAllCoreThreads();
        ((java.util.concurrent.ThreadPoolExecutor) storers).prestartAllCoreThreads();
    }

    /** Queues a closed TLog (a roll, or recovery before start). */
    void enqueue(Job job) {
        pending.incrementAndGet();
        synchronized (pipeline) {
            queue.add(job);
            dispatch();
        }
        wake();
    }

    void start() {
        synchronized (pipeline) {
            started = true;
            dispatch();
        }
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
        synchronized (pipeline) {
            queue.add(STOP);
            dispatch();
        }
        wake();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        try {
            if (waitMillis > 0) {
                thread.join(waitMillis);
            } else {
                thread.join();
            }
            // the stores of TLogs still in flight give up at their next step once the volume is closing or halted;
            // none may go on writing objects behind a crash stand-in (the next owner's recovery puts the same names)
            synchronized (pipeline) {
                stopping = true; // nothing more is started
            }
            storers.shutdown();
            long left = waitMillis > 0 ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))
                    : Long.MAX_VALUE;
            if (!storers.awaitTermination(left, TimeUnit.MILLISECONDS)) {
                log.warn("volume {}: uploads still in flight at close", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scoPutters.shutdown();
    }

    /** TLogs stored at once: enough to keep {@code parallelism} puts busy across TLog boundaries, at least 2. */
    static int tlogsInFlight(int parallelism, int scosPerTlog) {
        int n = (4 * parallelism + scosPerTlog - 1) / Math.max(1, scosPerTlog);
        return Math.max(2, Math.min(MAX_TLOGS_IN_FLIGHT, n));
    }

    private void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    /**
     * Starts storing queued TLogs while fewer than {@link #inFlightLimit} are in flight (from {@link #enqueue}, a
     * commit that freed a slot, {@link #start}); a store never waits for a header commit to start. Caller holds
     * {@link #pipeline}.
     */
    private void dispatch() {
        if (!started) return; // the loader queues before start; nothing is stored before it
        while (!stopping && inFlight.size() < inFlightLimit && !queue.isEmpty()) {
            Job job = queue.poll();
            if (job == STOP) {
                stopping = true;
                return;
            }
            InFlight f = new InFlight(job);
            inFlight.addLast(f);
            if (current == null) current = job;
            try {
                storers.execute(() -> {
                    f.outcome = store(job) ? Outcome.STORED : Outcome.ABANDONED;
                    wake();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                f.outcome = Outcome.ABANDONED; // stopped: recovered from the local TLog next time
                stopping = true;
                return;
            }
        }
    }

    /**
     * Commits the TLogs in flight in TLog order as soon as they (and every older one) are stored: all those ready
     * in one header commit. A TLog whose store gave up (closing, halted) ends the loop: nothing after it is
     * committed.
     */
    private void loop() {
        long lastIdle = System.nanoTime();
        while (true) {
            if (owner.halted()) return;
            if (System.nanoTime() - lastIdle >= TimeUnit.MILLISECONDS.toNanos(200)) {
                owner.idle(); // may roll a TLog (queued, and stored at once if there is room)
                lastIdle = System.nanoTime();
            }
            List<InFlight> ready = new ArrayList<>();
            InFlight head;
            boolean stopped;
            synchronized (pipeline) {
                for (InFlight f : inFlight) {
                    if (f.outcome != Outcome.STORED) break;
                    ready.add(f);
                }
                head = inFlight.peekFirst();
                stopped = stopping && inFlight.isEmpty();
            }
            if (!ready.isEmpty()) {
                if (!commit(ready)) return;
                synchronized (pipeline) {
                    for (int i = 0; i < ready.size(); i++) inFlight.removeFirst();
                    current = inFlight.isEmpty() ? queue.peek() : inFlight.peekFirst().job;
                    if (current == STOP) current = null;
                    dispatch();
                }
                if (owner.halted()) return;
                continue;
            }
            if (head != null && head.outcome == Outcome.ABANDONED) return; // recovered from the local TLogs next time
            if (stopped) return;
            if (head == null && owner.closing() && queue.isEmpty()) return;
            // nothing to do until the oldest store finishes or a TLog is queued (or 200 ms pass: the idle step)
            synchronized (signal) {
                InFlight h;
                synchronized (pipeline) {
                    h = inFlight.peekFirst();
                }
                if (h == null || h.outcome == null) {
                    try {
                        signal.wait(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    private enum Outcome { STORED, ABANDONED }

    /** A TLog being stored; {@code outcome} is set once, by its storer. */
    private static final class InFlight {
        final Job job;
        volatile Outcome outcome;

        InFlight(Job job) {
            this.job = job;
        }
    }

    /**
     * Stores a TLog's objects: fsyncs its SCOs, puts them (concurrently, on the put threads shared by every TLog in
     * flight), then the TLog. Retries with backoff until they land; false if it gave up (closing, halted, fenced,
     * a failed fsync), after which the TLog is never committed by this uploader.
     */
    private boolean store(Job job) {
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
            if (job.cut() != null) job.cut().committed().completeExceptionally(e);
            return false;
        }
        long backoff = 100;
        while (true) {
            try {
                if (owner.halted()) throw new IOException("volume halted");
                List<Future<?>> puts = new ArrayList<>();
                for (ScoCache.Sco s : job.scos()) {
                    puts.add(scoPutters.submit(() -> {
                        putReplacingUncommitted(s.objectName(), s.file);
                        return null;
                    }));
                }
                // the TLog object beside its SCOs, on this thread: after them it waited behind the next TLogs' 4 MiB
                // writes in the OSD's queue, on the way to every commit. Nothing reads a TLog object the header
                // does not name (the commit below waits for all of them; a leftover is replaced at recovery)
                IOException tlogFailed = null;
                try {
                    putReplacingUncommitted(ObjectNames.tlog(job.tlogEpoch(), job.seq()), job.file());
                } catch (IOException e) {
                    tlogFailed = e;
                }
                awaitAll(puts);
                if (tlogFailed != null) throw tlogFailed;
                reachable();
                return true;
            } catch (ObjectStore.FencedException e) {
                owner.halt(e);
                if (job.cut() != null) job.cut().committed().completeExceptionally(e);
                return false;
            } catch (IOException | RuntimeException e) {
                if (owner.closing() || owner.halted()) {
                    if (job.cut() != null) job.cut().committed().completeExceptionally(e);
                    return false; // shutting down or abandoned: the job is recovered from the local TLog next time
                }
                failures.incrementAndGet();
                if (outage.compareAndSet(false, true)) {
                    log.warn("volume {}: upload of TLog {} failed ({}); retrying with backoff", name, job.seq(),
                            e.toString());
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return false;
                }
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    /**
     * Commits the stored TLogs {@code ready} (consecutive, the oldest not yet committed first) in one header commit,
     * then absorbs each in order. Retries a failed commit with backoff; false if the loop must end (fenced,
     * closing, halted).
     */
    private boolean commit(List<InFlight> ready) {
        int n = ready.size();
        VolumeHeader.TLogRecord[] records = new VolumeHeader.TLogRecord[n];
        long[] bytes = new long[n];
        for (int i = 0; i < n; i++) {
            Job job = ready.get(i).job;
            long firstSco = Long.MAX_VALUE;
            long lastSco = -1;
            for (ScoCache.Sco s : job.scos()) {
                firstSco = Math.min(firstSco, s.number);
                lastSco = Math.max(lastSco, s.number);
                bytes[i] += s.bytes;
            }
            records[i] = new VolumeHeader.TLogRecord(job.seq(), job.tlogEpoch(), lastSco < 0 ? 0 : firstSco, lastSco);
        }
        // written bytes of the retention just after each TLog, for its snapshot (if it cuts one)
        long[] writtenAfter = new long[n];
        long backoff = 100;
        while (true) {
            try {
                headers.commit(h -> {
                    VolumeHeader next = h;
                    for (int i = 0; i < n; i++) {
                        Job job = ready.get(i).job;
                        next = next.withTlog(records[i], bytes[i]);
                        writtenAfter[i] = next.retention().writtenBytes();
                        Cut cut = job.cut();
                        // a name already committed (never by create, which refuses duplicates) must not block uploads
                        if (cut == null || next.snapshot(cut.name()) != null) continue;
                        next = next.withSnapshot(new VolumeHeader.Snapshot(cut.name(), job.seq(), cut.createdMillis(),
                                next.retention().writtenBytes(), 0));
                    }
                    return next;
                });
                reachable();
                break;
            } catch (ObjectStore.FencedException e) {
                owner.halt(e);
                for (InFlight f : ready) if (f.job.cut() != null) f.job.cut().committed().completeExceptionally(e);
                return false;
            } catch (IOException | RuntimeException e) {
                if (owner.closing() || owner.halted()) {
                    for (InFlight f : ready) if (f.job.cut() != null) f.job.cut().committed().completeExceptionally(e);
                    return false;
                }
                failures.incrementAndGet();
                if (outage.compareAndSet(false, true)) {
                    log.warn("volume {}: header commit of TLog {} failed ({}); retrying with backoff", name,
                            records[n - 1].seq(), e.toString());
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return false;
                }
                backoff = Math.min(backoff * 2, 5000);
            }
        }
        for (int i = 0; i < n; i++) {
            Job job = ready.get(i).job;
            Cut cut = job.cut();
            if (cut != null) { // committed: whatever happens to the volume next, the snapshot exists
                cut.committed().complete(new VolumeHeader.Snapshot(cut.name(), job.seq(), cut.createdMillis(),
                        writtenAfter[i], 0));
            }
            committed(job);
            if (cut != null) owner.snapshotCommitted(cut.name());
            if (owner.halted()) return false;
        }
        return true;
    }

    private void reachable() {
        if (outage.compareAndSet(true, false)) log.info("volume {}: backend reachable again, uploads resumed", name);
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
        // the create first: a leftover is rare (a crash, a put that landed but was reported failed), and asking
        // first would cost every put a round trip
        try {
            store.putExclusive(objectName, file);
            return;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (Arrays.equals(store.getAll(objectName), Files.readAllBytes(file))) return;
        }
        store.delete(objectName);
        store.putExclusive(objectName, file);
    }
}
