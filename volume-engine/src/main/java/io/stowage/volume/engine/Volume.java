package io.stowage.volume.engine;

import io.stowage.volume.OutOfSpaceException;
import io.stowage.volume.VolumeInfo;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A log-structured volume (after the Open vStorage VolumeDriver): writes become 4 KiB clusters appended to the
 * open SCO in the cache directory, each recorded by a TLog entry (with the cluster's CRC32C) and in the
 * in-memory overlay of the {@link ClusterMap}. Full SCOs are sealed; after {@code scosPerTlog} SCOs (or
 * {@code tlogMaxAgeMillis}) the TLog is closed and queued for upload. The uploader puts the SCOs and the TLog
 * (several TLogs at once), then commits the header in TLog order (the commit point), and only then applies the
 * TLog to LMDB and lets the SCOs be evicted.
 *
 * <p>Durability: an acknowledged write is readable at once; {@link #flush} (and FUA) fsyncs every SCO and TLog
 * byte written before it was called — concurrent flushes share one fsync; data is safe from loss of the node once
 * the header covering its TLog is committed. See docs/durability.md.
 *
 * <p>Threads: {@code read}, {@code write}, {@code discard}, {@code flush} may be called concurrently from any
 * thread and block on disk I/O (callers run them on an I/O executor). Appends are serialised by
 * {@code appendLock}, which guards only page-cache writes, never an fsync or a backend call. Writes to the same
 * cluster are serialised by striped locks so that read-modify-write of partial clusters is atomic.
 *
 * <p>Parts: this class is the facade (the public verbs: write paths, discards, copies, named state, resize,
 * lifecycle, stats) over parts with one job each: {@link StripeLocks}, {@link DataStore} (the open SCO, appends,
 * seals), {@link TLogSequence} (the open TLog and rolls), {@link GroupCommit} (flush), {@link Uploader} (SCOs, TLogs,
 * header commits, LMDB absorbing), {@link ClusterReader} (reads), {@link DirtyBudget} (backpressure),
 * {@link HeaderCommitter} (the one writer of the header), {@link Scrubber} and {@link Checkpoints}.
 * Lock order: stripe locks, then {@code appendLock}; the group commit's lock (flush), then {@code appendLock}.
 */
public final class Volume implements AutoCloseable {
    public static final int CLUSTER = 4096;
    private static final Logger log = LoggerFactory.getLogger(Volume.class);

    final String name;
    final ObjectStore store;
    final VolumeConfig config;
    final Path cacheDir;
    final ClusterMap map;
    final ScoCache scos;
    final long epoch;
    /** The cache directory's file operations (SCO and TLog files). */
    final LocalFiles files;
    /** Space kept for LMDB on a disk that data filled (see SpaceReserve). */
    private final SpaceReserve reserve;
    /** The TLog directory's entries changed (a TLog created or deleted): the next flush fsyncs it. */
    private final DirectorySync tlogDir;
    /** The one writer of the header (TLog commits, resizes, checkpoints); holds the last committed one. */
    final HeaderCommitter headers;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final StripeLocks stripes = new StripeLocks();
    /** The TLog sequence: the open TLog, rolls (guarded by appendLock). */
    private final TLogSequence tlogs;
    /** The open SCO, appends, seals (guarded by appendLock). */
    private final DataStore data;
    /** flush (group commit). */
    private final GroupCommit groupCommit;
    /** The DTL (flushes also go to the backend), or null if it is off. */
    private final io.stowage.volume.dtl.DtlWriter dtl;
    /** SCOs, TLogs and header commits to the backend; LMDB absorbs what is committed. */
    private final Uploader uploader;
    /** Backpressure: bytes not yet committed, against the dirty limit. */
    private final DirtyBudget dirty;
    // counters for metrics (LongAdder: many I/O threads add, a scrape reads rarely)
    private final java.util.concurrent.atomic.LongAdder bytesWritten = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder bytesRead = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder flushes = new java.util.concurrent.atomic.LongAdder();
    /** The read path (map lookups, cache and backend reads, CRC checks). */
    private final ClusterReader reader;
    /** Garbage collection of overwritten data (passes on demand and in the background). */
    private final Scrubber scrubber;
    /** Metadata checkpoints: keep the header and the TLogs an open needs bounded (see Checkpoints). */
    final Checkpoints checkpoints;
    /** Snapshots: create, list, delete, rollback. */
    private final Snapshots snapshots;
    /** The SCOs the snapshots reference (the scrubber keeps them). */
    final SnapshotReferences retainedScos;
    /**
     * The I/O gate: every read and write path holds it shared; a rollback holds it exclusively, so in-flight
     * commands finish first and new ones wait. Taken before the stripe locks.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock gate =
            new java.util.concurrent.locks.ReentrantReadWriteLock();
    /** Told (under the gate, before I/O resumes) when the data changed under the initiators: a rollback. */
    private final List<Runnable> dataChangeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile long dataGeneration;
    private volatile boolean closing;
    private volatile Throwable halted;
    /** An append failed for want of space and no write succeeded since (guarded by appendLock; read anywhere). */
    private volatile boolean cacheFull;
    /** Set by the loader: recovery cut the local log at a cluster that did not survive (tests). */
    boolean recoveryCutTail;

    Volume(String name, ObjectStore store, VolumeConfig config, Path cacheDir, VolumeHeader header,
           ClusterMap map, ScoCache scos, long epoch, LocalFiles files, SpaceReserve reserve,
           List<PendingSnapshots.Pending> pendingSnapshots, NamespaceMap ancestors) {
        this.name = name;
        this.files = files;
        this.reserve = reserve;
        this.tlogDir = new DirectorySync(cacheDir.resolve("tlog"), files);
        this.store = store;
        this.config = config;
        this.cacheDir = cacheDir;
        this.headers = new HeaderCommitter(store, epoch, header, this::halt);
        this.map = map;
        this.scos = scos;
        this.epoch = epoch;
        this.dirty = new DirtyBudget(name, config.dirtyLimitBytes());
        this.reader = new ClusterReader(name, map, scos,
                ClusterCache.open(cacheDir.resolve(ClusterCache.FILE), config.readCacheBytes(), files), store,
                headers::header, this::halt, ancestors);
        this.checkpoints = new Checkpoints(name, store, map, cacheDir, epoch, headers, this::halt);
        this.retainedScos = new SnapshotReferences(name, store);
        this.snapshots = new Snapshots(this, new PendingSnapshots(cacheDir, files, pendingSnapshots));
        this.uploader = new Uploader(name, store, headers, map, scos, dirty, checkpoints, files, tlogDir, reserve,
                config, new Uploader.Owner() {
                    @Override
                    public boolean closing() {
                        return closing;
                    }

                    @Override
                    public boolean halted() {
                        return halted != null;
                    }

                    @Override
                    public boolean cacheFull() {
                        return cacheFull;
                    }

                    @Override
                    public void halt(Throwable why) {
                        Volume.this.halt(why);
                    }

                    @Override
                    public void halt(String what, IOException e) {
                        Volume.this.halt(what, e);
                    }

                    @Override
                    public void idle() {
                        maybeRollByAge();
                        if (dtl != null) dtl.trim(headers.header().lastTlogSeq());
                    }

                    @Override
                    public void snapshotCommitted(String snapshot) {
                        snapshots.committed(snapshot);
                    }
                });
        // a full TLog (a write entry per cluster of its SCOs and one seal each, a few more for rolls and snapshots),
        // at most 1 MiB: what a TLog closed early leaves unused is only freed when it is committed and deleted
        long tlogBytes = Math.min(1 << 20,
                ((long) config.scosPerTlog() * (config.scoClusters() + 1) + 64) * TLogEntry.SIZE);
        this.tlogs = new TLogSequence(cacheDir, epoch, files, tlogDir, uploader::enqueue, tlogBytes);
        this.data = new DataStore(scos, map, tlogs, dirty, epoch, config.scoClusters(), config.scosPerTlog());
        this.dtl = config.dtl() ? new io.stowage.volume.dtl.DtlWriter(name, store, epoch) : null;
        this.groupCommit = new GroupCommit(appendLock, data, tlogs, scos, tlogDir, this::halt, dtl,
                () -> headers.header().lastTlogSeq(), files);
        this.scrubber = new Scrubber(name, config.scrubIntervalMillis(), store, map, scos, headers, reader, stripes,
                new Scrubber.Owner() {
                    @Override
                    public void checkHalted() throws IOException {
                        Volume.this.checkHalted();
                    }

                    @Override
                    public boolean stopped() {
                        return halted != null || closing;
                    }

                    @Override
                    public void waitForDirtyBudget() throws IOException {
                        Volume.this.waitForDirtyBudget();
                    }

                    @Override
                    public void append(long first, ByteBuffer data) throws IOException {
                        Volume.this.append(first, data);
                    }

                    @Override
                    public void flush() throws IOException {
                        Volume.this.flush();
                    }

                    @Override
                    public void syncToBackend(long timeoutMillis) throws IOException {
                        Volume.this.syncToBackend(timeoutMillis);
                    }

                    @Override
                    public java.util.Set<Long> retainedScos() throws IOException {
                        return retainedScos.of(headers.header());
                    }

                    @Override
                    public SnapshotReferences snapshotReferences() {
                        return retainedScos;
                    }

                    @Override
                    public long relocate(long from, ByteBuffer cluster, int crc) throws IOException {
                        return Volume.this.relocate(from, cluster, crc);
                    }

                    @Override
                    public void rewriteSnapshots(java.util.Set<String> names, Relocations moved) throws IOException {
                        snapshots.rewriteMoved(names, moved);
                    }
                }, this::halt);
    }

    /** Tests: a metadata checkpoint after this many committed TLogs (see Checkpoints). */
    void checkpointEvery(int tlogs) {
        checkpoints.interval(tlogs);
    }

    /** Called by the loader before start: TLogs recovery rewrote, to be uploaded first. */
    void recovered(List<Uploader.Job> jobs) throws IOException {
        if (dtl != null) {
            // before it serves: what recovery (or a DTL replay) brought back goes into this owner's own DTL, so
            // losing this node before the uploads commit it loses nothing either
            List<io.stowage.volume.dtl.Extent> extents = new java.util.ArrayList<>();
            for (Uploader.Job j : jobs) {
                for (ScoCache.Sco s : j.scos()) extents.add(DataStore.scoExtent(s, true));
                long seq = j.seq();
                extents.add(new io.stowage.volume.dtl.Extent(io.stowage.volume.dtl.Extent.Kind.TLOG, seq, j.file(),
                        null, java.nio.file.Files.size(j.file()), true, () -> seq <= headers.header().lastTlogSeq()));
            }
            dtl.ship(extents);
            io.stowage.volume.dtl.DtlReplay.dropEarlier(store, epoch);
        }
        for (Uploader.Job j : jobs) uploader.enqueue(j);
    }

    /** Called once by the loader after recovery: opens a fresh TLog and starts uploading. */
    void start(long firstTlogSeq, long firstSco, long dirtyBytes) throws IOException {
        data.start(firstSco);
        this.dirty.set(dirtyBytes);
        tlogs.start(firstTlogSeq);
        uploader.start();
        scrubber.start();
    }

    public VolumeInfo info() {
        VolumeHeader header = headers.header();
        return new VolumeInfo(name, header.uuid(), header.sizeBytes());
    }

    // ------------------------------------------------------------------ write path

    /** Stores {@code src} (position to limit) at byte {@code offset}; sub-cluster writes read-modify-write. */
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        gate.readLock().lock();
        try {
            int len = src.remaining();
            checkUsable(offset, len);
            if (len == 0) return;
            waitForDirtyBudget();
            bytesWritten.add(len);
            long first = offset / CLUSTER;
            long end = (offset + len + CLUSTER - 1) / CLUSTER;
            int n = (int) (end - first);
            try (StripeLocks.Held held = stripes.lock(first, n)) {
                writeLocked(offset, src, first, end);
            }
            if (fua) flush();
        } finally {
            gate.readLock().unlock();
        }
    }

    /**
     * {@link #write} without FUA, but only when it can be done at once without waiting: whole clusters (no
     * read-modify-write), the volume gate, the clusters' stripe locks and the append lock free, the dirty budget
     * not exceeded. Then it is a page-cache write of the SCO and the TLog entries, as from the executor. Returns
     * false otherwise, having written nothing; the caller then calls {@link #write} on its I/O executor. Lets a
     * QD1 write run on the thread that received it.
     */
    public boolean writeIfQuick(long offset, ByteBuffer src) throws IOException {
        int len = src.remaining();
        if (len == 0 || offset % CLUSTER != 0 || len % CLUSTER != 0 || dirty.over()) return false;
        if (!gate.readLock().tryLock()) return false; // a snapshot or clone holds the volume: never wait for it here
        try {
            checkUsable(offset, len);
            long first = offset / CLUSTER;
            int n = len / CLUSTER;
            StripeLocks.Held held = stripes.tryLock(first, n);
            if (held == null) return false;
            try {
                if (!append(first, src.duplicate(), true)) return false;
            } finally {
                held.close();
            }
            bytesWritten.add(len);
            return true;
        } finally {
            gate.readLock().unlock();
        }
    }

    /** The write itself; the caller holds the stripe locks of clusters [first, end). */
    private void writeLocked(long offset, ByteBuffer src, long first, long end) throws IOException {
        int len = src.remaining();
        int n = (int) (end - first);
        ByteBuffer clusters;
        if (offset % CLUSTER == 0 && len % CLUSTER == 0) {
            clusters = src.duplicate();
        } else {
            clusters = ByteBuffer.allocate(n * CLUSTER);
            if (offset % CLUSTER != 0) {
                reader.readClusters(first, 1, clusters.slice(0, CLUSTER));
            }
            if ((offset + len) % CLUSTER != 0 && (n > 1 || offset % CLUSTER == 0)) {
                reader.readClusters(end - 1, 1, clusters.slice((n - 1) * CLUSTER, CLUSTER));
            }
            clusters.put((int) (offset - first * CLUSTER), src, src.position(), len);
            clusters.clear();
        }
        append(first, clusters);
    }

    /**
     * COMPARE AND WRITE: under the stripe locks of the range (so atomic against every other write of it),
     * compares with {@code expected} and writes {@code data} if equal. Returns -1, or the offset of the first
     * differing byte.
     */
    public int compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data) throws IOException {
        if (data.remaining() != expected.remaining()) {
            throw new IllegalArgumentException("compare and write lengths differ");
        }
        int[] mismatch = {-1};
        update(offset, expected.remaining(), current -> {
            mismatch[0] = current.mismatch(expected.duplicate());
            return mismatch[0] >= 0 ? null : data.duplicate();
        });
        return mismatch[0];
    }

    /** ORWRITE: the range becomes (current OR data), atomically against every other write of it. */
    public void orWrite(long offset, ByteBuffer data) throws IOException {
        update(offset, data.remaining(), current -> {
            ByteBuffer d = data.duplicate();
            for (int i = 0; i < current.limit(); i++) {
                current.put(i, (byte) (current.get(i) | d.get(d.position() + i)));
            }
            return current;
        });
    }

    /** A read-modify-write of a byte range under its stripe locks; {@code change} returns null to write nothing. */
    private void update(long offset, int len, java.util.function.Function<ByteBuffer, ByteBuffer> change)
            throws IOException {
        gate.readLock().lock();
        try {
            checkUsable(offset, len);
            waitForDirtyBudget();
            long first = offset / CLUSTER;
            long end = (offset + len + CLUSTER - 1) / CLUSTER;
            try (StripeLocks.Held held = stripes.lock(first, end - first)) {
                ByteBuffer current = ByteBuffer.allocate(len);
                read(offset, current);
                ByteBuffer next = change.apply(current.flip());
                if (next != null) {
                    writeLocked(offset, next.duplicate(), first, end);
                }
            }
        } finally {
            gate.readLock().unlock();
        }
    }

    /** Deallocates whole clusters of the range and zeroes the partial ones at its edges. */
    public void unmap(long offset, long length) throws IOException {
        gate.readLock().lock();
        try {
            checkUsable(offset, length);
            if (length == 0) return;
            long firstWhole = (offset + CLUSTER - 1) / CLUSTER;
            long endWhole = (offset + length) / CLUSTER;
            if (firstWhole >= endWhole) { // inside one cluster
                write(offset, ByteBuffer.allocate((int) length), false);
                return;
            }
            if (offset % CLUSTER != 0) {
                write(offset, ByteBuffer.allocate((int) (firstWhole * CLUSTER - offset)), false);
            }
            discardClusters(firstWhole, endWhole - firstWhole); // one TLog entry and one overlay range, any length
            long tail = offset + length - endWhole * CLUSTER;
            if (tail > 0) {
                write(endWhole * CLUSTER, ByteBuffer.allocate((int) tail), false);
            }
        } finally {
            gate.readLock().unlock();
        }
    }

    /** Allocation state of clusters [first, first + count): runs of (mapped, length in clusters). */
    public List<long[]> allocationRuns(long first, int count) {
        gate.readLock().lock();
        try {
            ClusterMap.Mapping[] m = new ClusterMap.Mapping[count];
            map.lookup(first, m);
            List<long[]> runs = new ArrayList<>();
            for (int i = 0; i < count; ) {
                boolean mapped = m[i] != null;
                int j = i + 1;
                while (j < count && (m[j] != null) == mapped) j++;
                runs.add(new long[] {mapped ? 1 : 0, j - i});
                i = j;
            }
            return runs;
        } finally {
            gate.readLock().unlock();
        }
    }

    /**
     * Records that clusters [first, first + count) read as zeros from now on (UNMAP, WRITE SAME with UNMAP): one
     * TLog entry and one overlay range whatever the count; LMDB later deletes only the keys the range has.
     */
    public void discardClusters(long first, long count) throws IOException {
        gate.readLock().lock();
        try {
            checkUsable(first * CLUSTER, count * CLUSTER);
            if (count == 0) return;
            waitForDirtyBudget();
            try (StripeLocks.Held held = stripes.lock(first, count)) {
                appendLock.lock();
                try {
                    checkHalted();
                    ByteBuffer b = ByteBuffer.allocate(TLogEntry.SIZE);
                    TLogEntry.discard(first, count).writeTo(b);
                    logEntries(b.flip(), true);
                    tlogs.counted(1);
                    map.discard(first, count, tlogs.seq());
                    groupCommit.appended();
                    chargeMetadata(1);
                } finally {
                    appendLock.unlock();
                }
            }
        } finally {
            gate.readLock().unlock();
        }
    }

    /**
     * What one metadata-only TLog entry (DISCARD, REMAP) holds until its TLog is committed: the 32-byte entry in
     * the local TLog and at most one overlay entry or range (about 100 bytes of heap). It counts toward the dirty
     * limit like data, so a backend outage cannot grow the overlay without bound.
     */
    static final long METADATA_ENTRY_BYTES = 128;
    /** The TLog whose metadata {@link #tlogMetadataBytes} counts (guarded by appendLock). */
    private long metadataTlog = -1;
    private long tlogMetadataBytes;

    /**
     * Counts {@code entries} metadata-only entries just appended to the open TLog; caller holds appendLock. A TLog
     * holding a quarter of the dirty limit in metadata is rolled (TLogs otherwise roll on sealed SCOs or age), so
     * that what waits for the budget always has an upload on its way to free it.
     */
    private void chargeMetadata(int entries) throws IOException {
        long bytes = entries * METADATA_ENTRY_BYTES;
        dirty.add(bytes);
        if (metadataTlog != tlogs.seq()) {
            metadataTlog = tlogs.seq();
            tlogMetadataBytes = 0;
        }
        tlogMetadataBytes += bytes;
        if (tlogMetadataBytes >= config.dirtyLimitBytes() / 4) {
            try {
                rollTlog();
            } catch (IOException e) {
                throw appendFailed("closing the TLog failed", e);
            }
        }
    }

    /** The dirty bytes a TLog's metadata-only entries were charged (released once it is committed). */
    static long metadataBytes(List<TLogEntry> entries) {
        long n = 0;
        for (TLogEntry e : entries) {
            if (e.type() == TLogEntry.DISCARD || e.type() == TLogEntry.REMAP) n++;
        }
        return n * METADATA_ENTRY_BYTES;
    }

    /**
     * Makes clusters [dst, dst + count) read as clusters [src, src + count) read now, without copying data: each
     * mapped source cluster's destination is pointed at its location (a REMAP TLog entry), each run of unmapped
     * source clusters becomes one discard range (a DISCARD entry) at the destination, so metadata grows with the
     * clusters mapped, not with {@code count}. Atomic per batch of 256 clusters against writes of both ranges;
     * overlapping ranges are walked in the direction that reads every source cluster before it is overwritten.
     */
    public void copyClusters(long src, long dst, long count) throws IOException {
        copyClusters(map::lookup, true, src, dst, count);
    }

    /** Where {@link #copyClusters} takes its sources: this volume's map, or another's translated (a clone's). */
    interface CopySource {
        /** Fills {@code out} with the mappings of the clusters from {@code first}; {@link #KEEP} skips one. */
        void lookup(long first, ClusterMap.Mapping[] out) throws IOException;
    }

    /** A source cluster a {@link CopySource} does not give: its destination is left as it is (copied otherwise). */
    static final ClusterMap.Mapping KEEP = new ClusterMap.Mapping(-1, 0);

    /** {@link #copyClusters}, from {@code source}: this volume's own clusters ({@code within}) or another's. */
    void copyClusters(CopySource source, boolean within, long src, long dst, long count) throws IOException {
        gate.readLock().lock();
        try {
            if (within) checkUsable(src * CLUSTER, count * CLUSTER);
            checkUsable(dst * CLUSTER, count * CLUSTER);
            if (count == 0 || (within && src == dst)) return;
            final int batch = 256;
            boolean backwards = within && dst > src && dst < src + count;
            long batches = (count + batch - 1) / batch;
            ClusterMap.Mapping[] m = new ClusterMap.Mapping[batch];
            ByteBuffer entries = ByteBuffer.allocate(batch * TLogEntry.SIZE);
            for (long b = 0; b < batches; b++) {
                long off = (backwards ? batches - 1 - b : b) * batch;
                int n = (int) Math.min(batch, count - off);
                waitForDirtyBudget();
                try (StripeLocks.Held held = within ? stripes.lock(src + off, n, dst + off, n)
                        : stripes.lock(dst + off, n)) {
                    ClusterMap.Mapping[] got = n == batch ? m : new ClusterMap.Mapping[n];
                    source.lookup(src + off, got);
                    appendLock.lock();
                    try {
                        checkHalted();
                        entries.clear();
                        int k = 0;
                        for (int i = 0; i < n; ) { // all of this batch's sources were looked up above
                            int j = i + 1;
                            if (got[i] == KEEP) {
                                while (j < n && got[j] == KEEP) j++;
                                i = j;
                                continue;
                            }
                            if (got[i] == null) {
                                while (j < n && got[j] == null) j++;
                                TLogEntry.discard(dst + off + i, j - i).writeTo(entries);
                            } else {
                                TLogEntry.remap(dst + off + i, got[i].location(), got[i].crc()).writeTo(entries);
                            }
                            k++;
                            i = j;
                        }
                        if (k == 0) continue; // the appendLock is released by finally
                        // first: the overlay never shows what the TLog does not hold (so a full disk can be undone)
                        logEntries(entries.flip(), true);
                        for (int i = 0; i < n; ) {
                            int j = i + 1;
                            if (got[i] == KEEP) {
                                while (j < n && got[j] == KEEP) j++;
                            } else if (got[i] == null) {
                                while (j < n && got[j] == null) j++;
                                map.discard(dst + off + i, j - i, tlogs.seq());
                            } else {
                                map.put(dst + off + i, map.remapped(got[i].location(), got[i].crc(), tlogs.seq()));
                            }
                            i = j;
                        }
                        tlogs.counted(k);
                        groupCommit.appended();
                        chargeMetadata(k);
                    } finally {
                        appendLock.unlock();
                    }
                }
            }
        } finally {
            gate.readLock().unlock();
        }
    }

    /** Appends whole clusters to the open SCO(s) and the TLog; publishes them in the overlay. */
    private void append(long first, ByteBuffer data) throws IOException {
        append(first, data, false);
    }

    /**
     * {@link #append(long, ByteBuffer)}; with {@code tryOnly}, only if the append lock is free at once (false:
     * nothing appended). The CRCs are computed before the lock is taken, never under it.
     */
    private boolean append(long first, ByteBuffer data, boolean tryOnly) throws IOException {
        int n = data.remaining() / CLUSTER;
        int base = data.position();
        int[] crcs = clusterCrcs(data, base, n);
        if (!tryOnly) {
            appendLock.lock();
        } else if (!appendLock.tryLock()) {
            return false; // a group commit's bookkeeping or another append
        }
        try {
            checkHalted();
            this.data.append(first, data, n, base, crcs, this::rollTlog);
            groupCommit.appended();
            if (cacheFull) cacheFull = false;
        } catch (IOException e) {
            throw appendFailed("a write to the cache failed", e);
        } finally {
            appendLock.unlock();
        }
        return true;
    }

    /** Appends one cluster that only snapshots reference (a scrub's copy); see DataStore#relocate. */
    private long relocate(long from, ByteBuffer cluster, int crc) throws IOException {
        appendLock.lock();
        try {
            checkHalted();
            long location = this.data.relocate(from, cluster, crc, this::rollTlog);
            groupCommit.appended();
            if (cacheFull) cacheFull = false;
            return location;
        } catch (IOException e) {
            throw appendFailed("a write to the cache failed", e);
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Appends encoded entries to the current TLog (discards, copies); caller holds appendLock. A failure halts,
     * except a full disk when nothing else changed yet ({@code undoable}: the caller updates the overlay after).
     */
    private void logEntries(ByteBuffer entries, boolean undoable) throws IOException {
        try {
            tlogs.append(entries);
        } catch (IOException e) {
            throw undoable ? appendFailed("a write to the TLog failed", e) : halt("a write to the TLog failed", e);
        }
    }

    /**
     * After a failed append under appendLock. A full disk whose append was undone (the TLog truncated back, the
     * open SCO cut back to its used clusters) leaves the volume usable: the write fails with an
     * {@link OutOfSpaceException}, uploaded SCOs are evicted at once and after every upload until a write
     * succeeds again. Any other failure halts the volume.
     */
    private IOException appendFailed(String what, IOException e) {
        if (!OutOfSpaceException.isOutOfSpace(e) || tlogs.damaged()) return halt(what, e);
        try {
            data.truncateToUsed();
        } catch (IOException t) {
            e.addSuppressed(t);
            return halt(what, e);
        }
        if (!cacheFull) {
            cacheFull = true;
            log.warn("volume {}: the cache disk is full ({}); writes fail (out of space) until uploads free space",
                    name, e.getMessage());
        }
        try {
            scos.evict(0);
        } catch (IOException t) {
            log.warn("volume {}: evicting uploaded SCOs failed: {}", name, t.toString());
        }
        return e instanceof OutOfSpaceException ? e
                : new OutOfSpaceException("volume " + name + ": the cache disk is full (" + e.getMessage() + ")", e);
    }

    /** The CRC32C of each cluster, computed before appendLock: it needs no log state, so other writers need not wait. */
    private static int[] clusterCrcs(ByteBuffer data, int base, int n) {
        int[] crcs = new int[n];
        CRC32C crc = new CRC32C();
        for (int i = 0; i < n; i++) {
            crc.reset();
            crc.update(data.slice(base + i * CLUSTER, CLUSTER));
            crcs[i] = (int) crc.getValue();
        }
        return crcs;
    }

    /** Closes the current TLog (sealing a non-empty open SCO first) and queues it for upload. Holds appendLock. */
    private void rollTlog() throws IOException {
        data.sealIfNotEmpty();
        tlogs.roll();
    }

    /**
     * Makes every write completed before this call durable: fsyncs the SCOs and TLogs written since the last
     * flush, outside the append lock. Concurrent callers share one round of fsyncs (group commit).
     */
    public void flush() throws IOException {
        checkHalted();
        flushes.increment();
        groupCommit.flush(this::checkHalted);
    }

    /**
     * Waits for the dirty budget. Never while holding the I/O gate: a writer waiting for uploads (a backend outage)
     * would keep a rollback waiting for the gate, and the rollback's queued exclusive claim every new command; so the
     * caller's holds are given up during the wait (the caller holds no stripe lock here) and taken again after.
     */
    private void waitForDirtyBudget() throws IOException {
        if (!dirty.over()) return;
        int held = gate.getReadHoldCount();
        for (int i = 0; i < held; i++) gate.readLock().unlock();
        try {
            dirty.await(this::checkHalted);
        } finally {
            for (int i = 0; i < held; i++) gate.readLock().lock();
        }
    }

    // ------------------------------------------------------------------ read path

    /** Fills {@code dst} (position to limit) with the bytes at {@code offset}; unwritten space reads as zeros. */
    public void read(long offset, ByteBuffer dst) throws IOException {
        gate.readLock().lock();
        try {
            int len = dst.remaining();
            checkUsable(offset, len);
            if (len == 0) return;
            bytesRead.add(len);
            reader.read(offset, dst);
        } finally {
            gate.readLock().unlock();
        }
    }

    /**
     * {@link #read}, but only when it can be done at once without blocking: the volume gate is free and every cluster
     * is in the local SCO cache (or unmapped). Returns false otherwise, having read nothing the caller may use; the
     * caller then calls {@link #read} on its I/O executor. Lets a QD1 read run on the thread that received it.
     */
    public boolean readIfLocal(long offset, ByteBuffer dst) throws IOException {
        if (!gate.readLock().tryLock()) return false; // a snapshot or clone holds the volume: never wait for it here
        try {
            int len = dst.remaining();
            checkUsable(offset, len);
            if (len == 0) return true;
            if (!reader.readIfLocal(offset, dst)) return false;
            bytesRead.add(len);
            return true;
        } finally {
            gate.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ upload

    private void maybeRollByAge() {
        appendLock.lock();
        try {
            if (halted == null && tlogs.olderThan(TimeUnit.MILLISECONDS.toNanos(config.tlogMaxAgeMillis()))) {
                rollTlog();
            }
        } catch (IOException e) {
            appendFailed("closing the TLog by age failed", e); // out of space: tried again at the next poll
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Closes the current TLog and waits until everything written so far is committed to the backend (used by a
     * clean shutdown, and before a cache may be discarded).
     */
    public void syncToBackend(long timeoutMillis) throws IOException {
        long target;
        appendLock.lock();
        try {
            checkHalted();
            try {
                rollTlog();
            } catch (IOException e) {
                throw appendFailed("closing the TLog failed", e);
            }
            target = tlogs.seq() - 1; // the TLog just closed (or the one before, if the open one was empty)
        } finally {
            appendLock.unlock();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        // not "until nothing is pending": under a steady load something always is
        while (uploader.absorbedSeq() < target) {
            checkHalted();
            if (System.nanoTime() > deadline) throw new IOException("volume " + name + ": uploads did not finish");
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Named volume state (e.g. persistent reservations) from the object store, or null. */
    public byte[] loadState(String key) throws IOException {
        return store.getState(key);
    }

    /**
     * Replaces named volume state in the object store (null deletes it), guarded by this owner's epoch like a header
     * commit: after a takeover it is refused and the volume halts.
     */
    public void saveState(String key, byte[] state) throws IOException {
        checkHalted();
        try {
            store.putState(epoch, key, state);
        } catch (ObjectStore.FencedException e) {
            halt(e);
            throw e;
        }
    }

    /**
     * Grows the volume to {@code newSize} bytes (a multiple of 4 KiB): the new size is committed in the header
     * first, then I/O may use it. The new space reads as zeros (nothing maps it). Shrinking is refused: it would
     * silently drop data an initiator may still reference.
     */
    public void resize(long newSize) throws IOException {
        checkHalted();
        if (newSize % CLUSTER != 0) {
            throw new IllegalArgumentException("volume size " + newSize + " is not a multiple of " + CLUSTER);
        }
        VolumeHeader before = headers.commit(h -> {
            long current = h.sizeBytes();
            if (newSize < current) {
                throw new IllegalArgumentException("volume " + name + " cannot shrink from " + current + " to "
                        + newSize + " bytes");
            }
            return newSize == current ? h : h.withSize(newSize);
        });
        if (before.sizeBytes() != newSize) {
            log.info("volume {} resized from {} to {} bytes", name, before.sizeBytes(), newSize);
        }
    }

    /** How often shutdown logs while it waits for a running scrub pass to stop (tests shorten it). */
    long scrubStopPatienceMillis = 30_000;

    private void stopScrubber() {
        scrubber.stop(scrubStopPatienceMillis);
    }

    /** What one scrub pass did. */
    public record ScrubResult(int victims, long clustersMoved, int scosDeleted, long bytesExamined,
                              long bytesReclaimed) {
    }

    /**
     * Garbage collection of overwritten data. Committed SCOs whose live share (clusters the map still points at)
     * is at most {@code maxLiveRatio} are victims (at most {@code maxVictims}, emptiest first): their live clusters
     * are written again through the normal append path (under their stripe locks, only if the map still points
     * at the victim), the result is committed to the backend, and then every victim that the <em>committed</em>
     * map (LMDB: what a crash or a backend restart falls back to) no longer references is deleted from the backend
     * and the cache. References cannot reappear: new writes go to new SCOs, and a REMAP copies current mappings,
     * which no longer point at a victim once it has been moved. Runs beside normal I/O; one pass at a time.
     */
    public ScrubResult scrub(double maxLiveRatio, int maxVictims) throws IOException {
        return scrubber.scrub(maxLiveRatio, maxVictims);
    }

    /**
     * A snapshot of the volume's counters and gauges, for metrics. {@code cacheHitClusters}/{@code cacheMissClusters}:
     * clusters read from the local cache and from the backend; {@code cachedBytes}: SCO bytes in the cache;
     * {@code uploadLagNanos}: how long the oldest closed TLog not yet committed has waited (0 when none waits);
     * {@code scrub}: scrub passes and the running pass's progress.
     */
    public record Stats(long bytesWritten, long bytesRead, long flushes, long dirtyBytes, long uploadedBytes,
                        long uploadedTlogs, long uploadFailures, long pendingUploads, long epoch, boolean halted,
                        long scrubbedScos, long scrubExaminedBytes, long scrubReclaimedBytes, int snapshots,
                        long cacheHitClusters, long cacheMissClusters, long cachedBytes, long uploadLagNanos,
                        ScrubProgress scrub) {
    }

    /** Scrub passes run, clusters moved in all, and the running pass's clusters to move and moved (0 when idle). */
    public record ScrubProgress(long passes, long movedClusters, long passClusters, long passMoved) {
    }

    public Stats stats() {
        return new Stats(bytesWritten.sum(), bytesRead.sum(), flushes.sum(), dirty.bytes(), uploader.uploadedBytes(),
                uploader.uploadedTlogs(), uploader.failures(), uploader.pending(), epoch, halted != null,
                reader.scrubDeletions(), scrubber.examinedBytes(), scrubber.reclaimedBytes(),
                headers.header().retention().snapshots().size(), reader.cacheHitClusters(), reader.cacheMissClusters(),
                scos.totalBytes(), uploader.lagNanos(), scrubber.progress());
    }

    // ------------------------------------------------------------------ snapshots

    /** Snapshots of this volume: create, list, delete, rollback. */
    public Snapshots snapshots() {
        return snapshots;
    }

    /**
     * Registers {@code listener}, run when the data changed under the initiators (a rollback), before I/O resumes:
     * the SCSI layer raises a unit attention on every nexus.
     */
    public void addDataChangeListener(Runnable listener) {
        dataChangeListeners.add(listener);
    }

    /** Counts the times the data changed under the initiators (rollbacks) since the volume was opened. */
    public long dataGeneration() {
        return dataGeneration;
    }

    VolumeHeader header() {
        return headers.header();
    }

    /** Closes the open TLog (even an empty one) with a snapshot to commit along with it; returns its number. */
    long cut(Uploader.Cut cut) throws IOException {
        appendLock.lock();
        try {
            checkHalted();
            try {
                data.sealIfNotEmpty();
                long seq = tlogs.seq();
                tlogs.roll(cut);
                return seq;
            } catch (IOException e) {
                throw appendFailed("closing the TLog for a snapshot failed", e);
            }
        } finally {
            appendLock.unlock();
        }
    }

    <T> T exclusiveOfScrub(java.util.concurrent.Callable<T> task) throws Exception {
        return scrubber.exclusive(task);
    }

    /** A task that may fail. */
    interface Task {
        void run() throws Exception;
    }

    /** Runs {@code task} with I/O quiesced: commands in flight have finished, new ones wait until it returns. */
    void quiesced(Task task, long waitMillis) throws Exception {
        if (!gate.writeLock().tryLock(waitMillis, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new IOException("volume " + name + ": I/O did not quiesce within " + waitMillis + " ms");
        }
        try {
            checkHalted();
            task.run();
        } finally {
            gate.writeLock().unlock();
        }
    }

    /** The open TLog's number; with I/O quiesced and everything committed it must be empty. */
    long emptyOpenTlog() throws IOException {
        appendLock.lock();
        try {
            if (!tlogs.isEmpty()) throw new IOException("volume " + name + ": TLog " + tlogs.seq() + " is not empty");
            return tlogs.seq();
        } finally {
            appendLock.unlock();
        }
    }

    /** After a rollback's commit made {@code checkpointSeq} the last committed TLog: the sequence goes on after it. */
    void rolledBack(long checkpointSeq) throws IOException {
        appendLock.lock();
        try {
            tlogs.skipTo(checkpointSeq + 1);
        } catch (IOException e) {
            throw halt("opening the TLog after a rollback failed", e);
        } finally {
            appendLock.unlock();
        }
        uploader.absorbedThrough(checkpointSeq);
    }

    /** Called under the exclusive gate after a rollback: the listeners run before I/O resumes. */
    void dataChanged() {
        dataGeneration++;
        for (Runnable r : dataChangeListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("volume {}: a data change listener failed: {}", name, e.toString());
            }
        }
    }

    void haltFor(Throwable why) {
        halt(why);
    }

    /** Data written but not yet committed to the backend, in bytes. */
    public long dirtyBytes() {
        return dirty.bytes();
    }

    // ------------------------------------------------------------------ state

    /** Halts the volume for a local I/O failure; returns the exception to throw to the caller. */
    private IOException halt(String what, IOException e) {
        halt(new IOException(what + ": " + e, e));
        return e;
    }

    private void halt(Throwable why) {
        if (halted == null) {
            halted = why;
            log.error("volume {} halted: {}. Its I/O now fails until it is reopened.", name, why.toString());
        }
        dirty.wake();
    }

    void checkHalted() throws IOException {
        Throwable h = halted;
        if (h != null) {
            throw new io.stowage.volume.VolumeHaltedException("volume " + name + " is halted: " + h.getMessage(), h);
        }
    }

    private void checkUsable(long offset, long len) throws IOException {
        checkHalted();
        if (offset < 0 || len < 0 || offset + len > headers.header().sizeBytes()) {
            throw new IllegalArgumentException("range " + offset + "+" + len + " outside volume " + name);
        }
    }

    /** Flushes, uploads what is pending (bounded wait), and releases files. */
    @Override
    public void close() throws IOException {
        stopScrubber();
        try {
            if (halted == null) {
                flush();
                try {
                    syncToBackend(30_000);
                } catch (IOException e) {
                    log.warn("volume {}: closing with uploads pending ({}); they resume at the next start", name,
                            e.getMessage());
                }
            }
        } finally {
            closing = true; // never interrupt the uploader: an interrupt closes the FileChannel it is using
            uploader.stop(10_000);
            checkpoints.stop();
            appendLock.lock();
            try {
                tlogs.close();
            } finally {
                appendLock.unlock();
            }
            scos.closeAll();
            reader.close();
            map.close();
            store.close();
        }
    }

    /** Closed or closing (the engine then no longer routes header changes through it). */
    boolean closed() {
        return closing;
    }

    /**
     * The SCO numbers of this volume that the snapshot a descendant comes from ({@code via}, an entry of the
     * descendant's lineage naming this volume) references: never collected while that snapshot exists. Empty if the
     * snapshot is not (or no longer) this volume's.
     */
    java.util.Set<Long> snapshotReferences(VolumeHeader.Ancestor via) throws IOException {
        VolumeHeader h = headers.header();
        for (VolumeHeader.Snapshot s : h.retention().snapshots()) {
            if (s.name().equals(via.snapshot()) && s.seq() == via.seq()) return retainedScos.of(h, s);
        }
        return java.util.Set.of();
    }

    /** Abandons the volume without flushing or uploading (tests: the in-process stand-in for a crash). */
    void abandon() {
        closing = true;
        halted = new IOException("abandoned"); // first: a scrub pass waiting for uploads stops now, not in 300 s
        if (dtl != null) dtl.stop(); // and a flush waiting for a DTL write that keeps failing
        stopScrubber();
        uploader.stop(0); // a crash leaves no thread behind either; it stops after its current step
        checkpoints.stop();
        try {
            tlogs.close();
        } catch (IOException ignored) {
            // crash stand-in
        }
        scos.closeAll();
        reader.close();
        map.close();
        try {
            store.close();
        } catch (IOException ignored) {
            // crash stand-in
        }
    }
}
