package io.stowage.volume.engine;

import io.stowage.volume.log.TLogWriter;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import io.stowage.volume.dtl.DtlWriter;
import io.stowage.volume.dtl.Extent;
import io.stowage.volume.store.ObjectStore;

/**
 * Group commit ({@code flush}: SYNCHRONIZE CACHE, FUA, WRITE AND VERIFY): fsyncs every SCO and TLog written since
 * the last flush, and the SCO and TLog directories, outside the append lock; concurrent flushes share one round.
 * A failed fsync is never retried and never forgotten: it halts the volume (after a writeback error Linux may drop
 * the dirty pages and a second fsync would report success). With the DTL on, the round ships what the appends
 * wrote to the volume's DTL objects in the backend instead (one write for the round) and does not fsync locally: the
 * DTL is where the flush is durable (it also survives the node), the local files are fsynced before their upload,
 * and after a power cut the next open rebuilds from the DTL what the cache lost ({@link CacheState#flushesInDtl}).
 * A DTL write refused for fencing halts the volume; one that keeps failing fails the flush (the next round ships
 * what it did not).
 *
 * <p>Threads and locks: {@link #appended} is called under the append lock by every append. {@link #flush} takes
 * this class's lock (one round at a time), then the append lock only to take what is unsynced, never across an
 * fsync. Lock order: this lock, then the append lock.
 */
final class GroupCommit {
    /** The volume's halt: records the failure and returns the exception to throw. */
    interface Halt extends BiFunction<String, IOException, IOException> {
    }

    private final ReentrantLock appendLock;
    private final DataStore data;
    private final TLogSequence tlogs;
    private final ScoCache scos;
    private final DirectorySync tlogDir;
    private final Halt halt;
    /** The DTL, or null if it is off. */
    private final DtlWriter dtl;
    private final LongSupplier committedTlog;
    private final LocalFiles files;
    private final Object syncLock = new Object();
    /** Appends made (guarded by appendLock). */
    private long appendSeq;
    /** Appends made durable (guarded by syncLock). */
    private long syncedSeq;

    GroupCommit(ReentrantLock appendLock, DataStore data, TLogSequence tlogs, ScoCache scos, DirectorySync tlogDir,
                Halt halt, DtlWriter dtl, LongSupplier committedTlog, LocalFiles files) {
        this.files = files;
        this.appendLock = appendLock;
        this.data = data;
        this.tlogs = tlogs;
        this.scos = scos;
        this.tlogDir = tlogDir;
        this.halt = halt;
        this.dtl = dtl;
        this.committedTlog = committedTlog;
    }

    /** One more append is in the page cache; caller holds the append lock. */
    void appended() {
        appendSeq++;
    }

    /**
     * Makes every append completed before this call durable. {@code checkHalted} is called before and inside the
     * round: a flush that failed before this one dropped what it had taken, so this one must not look done.
     */
    void flush(DirtyBudget.HaltCheck checkHalted) throws IOException {
        long target;
        appendLock.lock();
        try {
            target = appendSeq;
        } finally {
            appendLock.unlock();
        }
        synchronized (syncLock) {
            checkHalted.check();
            if (syncedSeq >= target) return;
            long upTo;
            List<ScoCache.Sco> s = new ArrayList<>();
            List<TLogWriter> t = new ArrayList<>();
            List<Extent> shipped = new ArrayList<>();
            List<Path> tlogFiles = new ArrayList<>();
            appendLock.lock();
            try {
                upTo = appendSeq;
                if (dtl != null) { // the same cut as the fsyncs: whole appends only
                    data.dtlExtents(shipped);
                    tlogs.dtlExtents(shipped, committedTlog);
                }
                if (dtl == null) tlogs.unsyncedFiles(tlogFiles);
                data.takeUnsynced(s);
                tlogs.takeUnsynced(t);
            } finally {
                appendLock.unlock();
            }
            if (dtl != null) { // durable in the DTL: no local fsync on the flush's path (see the class comment)
                try {
                    dtl.ship(shipped);
                } catch (ObjectStore.FencedException e) {
                    throw halt.apply("DTL write refused", e);
                }
                syncedSeq = upTo;
                return;
            }
            // all of them on their way to the disk first: the first fdatasync's journal commit then covers them all
            for (ScoCache.Sco sco : s) files.startWriteback(sco.file);
            for (Path f : tlogFiles) files.startWriteback(f);
            try {
                for (ScoCache.Sco sco : s) {
                    try {
                        sco.channel.force(false);
                    } catch (ClosedChannelException e) {
                        // evicted: uploaded and committed, nothing to make durable locally; closed any other way
                        // (an interrupt closes the channel) the fsync did not happen
                        if (sco.state != ScoCache.State.UPLOADED) throw e;
                    }
                }
                for (TLogWriter w : t) w.sync(); // one closed by the uploader was fsynced by its close
                scos.syncDirectory(); // and the names of new files (POSIX: an fsync covers data, not the name)
                tlogDir.sync();
            } catch (IOException e) {
                throw halt.apply("fsync failed", e);
            }
            syncedSeq = upTo;
        }
    }
}
