package io.stowage.volume.engine;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.log.TLogWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The volume's sequence of TLogs: the open TLog (appends of encoded entries), the SCOs sealed into it, and rolls
 * (close it with TLOG_CLOSED, open the next, hand the closed one to the uploader). A roll is also what cuts a
 * snapshot: the snapshot is the state after the TLog a roll closed.
 *
 * <p>Threads: every method but {@link #file} is called with the volume's append lock held (writers, the uploader's
 * age check, flush taking what is unsynced).
 */
final class TLogSequence {
    private final Path tlogDir;
    private final long epoch;
    private final LocalFiles files;
    private final DirectorySync dirSync;
    private final Consumer<Uploader.Job> queue;
    private TLogWriter tlog;
    private long seq;
    private long entries;
    private long opened;
    private final List<ScoCache.Sco> scos = new ArrayList<>();
    /** Closed TLogs the next flush fsyncs (the uploader's close fsyncs them too; whichever comes first). */
    private final List<TLogWriter> unsynced = new ArrayList<>();
    /** The sequence numbers of {@link #unsynced}, in the same order (for the DTL). */
    private final List<Long> unsyncedSeqs = new ArrayList<>();
    /** Disk blocks reserved for each new TLog file: what a full one holds. */
    private final long reserveBytes;

    TLogSequence(Path cacheDir, long epoch, LocalFiles files, DirectorySync dirSync, Consumer<Uploader.Job> queue,
                 long reserveBytes) {
        this.reserveBytes = reserveBytes;
        this.tlogDir = cacheDir.resolve("tlog");
        this.epoch = epoch;
        this.files = files;
        this.dirSync = dirSync;
        this.queue = queue;
    }

    /** Opens TLog {@code firstSeq} (called once, by the volume's start). */
    void start(long firstSeq) throws IOException {
        this.seq = firstSeq;
        this.tlog = open(firstSeq);
        this.opened = System.nanoTime();
    }

    private TLogWriter open(long s) throws IOException {
        TLogWriter w = new TLogWriter(files.open(file(s), StandardOpenOption.CREATE, StandardOpenOption.WRITE));
        // blocks for a full TLog up front: a flush's fdatasync then writes into existing blocks (NativeFiles); a
        // TLog closed early keeps the rest only until it is committed and deleted
        if (w.entries() == 0) files.reserve(file(s), 0, reserveBytes);
        dirSync.changed();
        return w;
    }

    Path file(long s) {
        return tlogDir.resolve(ObjectNames.tlog(epoch, s));
    }

    /** The open TLog's sequence number. */
    long seq() {
        return seq;
    }

    /** Appends encoded entries (all or nothing: the writer truncates a failed append back). */
    void append(ByteBuffer encoded) throws IOException {
        tlog.append(encoded);
    }

    /** Counts {@code n} entries that matter for a roll (writes, discards, remaps) just appended. */
    void counted(long n) {
        entries += n;
    }

    boolean damaged() {
        return tlog.damaged();
    }

    /** Records that {@code sco} was sealed into the open TLog. */
    void sealed(ScoCache.Sco sco) {
        scos.add(sco);
    }

    int scoCount() {
        return scos.size();
    }

    /** The open TLog holds entries and is older than {@code maxAgeNanos}. */
    boolean olderThan(long maxAgeNanos) {
        return entries > 0 && System.nanoTime() - opened > maxAgeNanos;
    }

    boolean isEmpty() {
        return entries == 0 && scos.isEmpty();
    }

    /**
     * Closes the open TLog and queues it for upload, unless it is empty. The next
     * TLog is opened first and the closed one queued last: if anything fails in between, appends go on into the
     * current TLog, which is not queued (never into one the uploader already has). Returns whether it rolled.
     */
    boolean roll() throws IOException {
        return roll(null);
    }

    /**
     * As {@link #roll()}; with a {@code cut} (a snapshot of the state after this TLog) it rolls even an empty TLog,
     * and the snapshot is committed with it.
     */
    boolean roll(Uploader.Cut cut) throws IOException {
        if (cut == null && isEmpty()) return false;
        TLogWriter next = open(seq + 1);
        ByteBuffer b = ByteBuffer.allocate(TLogEntry.SIZE);
        TLogEntry.closed().writeTo(b);
        try {
            tlog.append(b.flip());
        } catch (IOException e) {
            try {
                next.close();
                files.delete(file(seq + 1));
                dirSync.changed();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        unsynced.add(tlog);
        unsyncedSeqs.add(seq);
        queue.accept(new Uploader.Job(seq, epoch, file(seq), tlog, List.copyOf(scos), cut));
        seq++;
        tlog = next;
        scos.clear();
        entries = 0;
        opened = System.nanoTime();
        return true;
    }

    /**
     * Moves the sequence on to {@code nextSeq} (a rollback made {@code nextSeq - 1} its checkpoint's number): the
     * open TLog must be empty; its file is deleted and TLog {@code nextSeq} opened.
     */
    void skipTo(long nextSeq) throws IOException {
        if (!isEmpty() || nextSeq <= seq) throw new IllegalStateException("TLog " + seq + " cannot skip to " + nextSeq);
        TLogWriter next = open(nextSeq);
        tlog.close();
        files.delete(file(seq));
        dirSync.changed();
        tlog = next;
        seq = nextSeq;
        opened = System.nanoTime();
    }

    /** Adds the TLogs a flush must fsync (those closed since the last flush, and the open one) to {@code out}. */
    /** Adds the files of what {@link #takeUnsynced} is about to take to {@code out}; call it first. */
    void unsyncedFiles(List<Path> out) {
        for (long s : unsyncedSeqs) out.add(file(s));
        out.add(file(seq));
    }

    void takeUnsynced(List<TLogWriter> out) {
        out.addAll(unsynced);
        unsynced.clear();
        unsyncedSeqs.clear();
        out.add(tlog);
    }

    /**
     * Adds what {@link #takeUnsynced} is about to take, as DTL extents (file and bytes written), to {@code out};
     * {@code committedSeq} is the last committed TLog. Call it first, under the same hold of the append lock.
     */
    void dtlExtents(List<io.stowage.volume.dtl.Extent> out, java.util.function.LongSupplier committedSeq) {
        for (int i = 0; i < unsynced.size(); i++) out.add(tlogExtent(unsyncedSeqs.get(i), unsynced.get(i), true,
                committedSeq));
        out.add(tlogExtent(seq, tlog, false, committedSeq));
    }

    private io.stowage.volume.dtl.Extent tlogExtent(long s, TLogWriter w, boolean complete,
                                                    java.util.function.LongSupplier committedSeq) {
        return new io.stowage.volume.dtl.Extent(io.stowage.volume.dtl.Extent.Kind.TLOG, s, file(s), null,
                w.entries() * TLogEntry.SIZE, complete, () -> s <= committedSeq.getAsLong());
    }

    void close() throws IOException {
        if (tlog != null) tlog.close();
    }
}
