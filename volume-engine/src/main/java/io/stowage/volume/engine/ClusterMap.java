package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.TLogEntry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * The cluster → (location, CRC) map: LMDB holds the state as of the last TLog committed to the backend ("corked":
 * it never runs ahead of the backend), an in-memory overlay holds everything newer. Lookups check the overlay
 * first. LMDB is derived state: it can always be rebuilt from the TLogs. The overlay is a per-cluster map (writes,
 * REMAPs) beside {@link DiscardRanges} (one entry per discarded range, whatever its length); a stamp on each orders
 * them (see {@link #lookup}).
 *
 * <p>LMDB layout: database {@code map}, key = cluster address (8 bytes big-endian), value = location (8) + CRC32C (4);
 * database {@code meta}, key {@code corked} = sequence number of the last TLog applied.
 *
 * <p>Thread-safety: lookups and overlay updates from any thread; {@link #apply} from one thread at a time (the
 * uploader). No LMDB buffer escapes a transaction.
 */
final class ClusterMap implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClusterMap.class);
    /**
     * A cluster's mapping. In the overlay it carries a {@code stamp}, the order in which overlay changes were made
     * (a discard range covering the cluster hides it if the discard came later); a REMAP's overlay entry is also
     * tagged with its TLog (a location can be remapped to the same address more than once, and pruning after TLog
     * k must drop only what TLog k wrote); a WRITE's location is unique and needs no tag. Neither is stored in LMDB.
     */
    record Mapping(long location, int crc, long tag, long stamp) {
        Mapping(long location, int crc) {
            this(location, crc, 0, 0);
        }

        /** True if this is the overlay entry a TLog entry (location, crc) with {@code tag} made. */
        boolean madeBy(long location, int crc, long tag) {
            return this.location == location && this.crc == crc && this.tag == tag;
        }
    }

    private static final byte[] CORKED = "corked".getBytes();

    private final ConcurrentHashMap<Long, Mapping> overlay = new ConcurrentHashMap<>();
    private final DiscardRanges discards = new DiscardRanges();
    /**
     * Orders overlay changes: every overlay entry and discard range takes the next stamp. Changes are made under
     * the volume's append lock (or by the single-threaded loader), so stamps follow TLog order.
     */
    private final java.util.concurrent.atomic.AtomicLong stamps = new java.util.concurrent.atomic.AtomicLong();
    /** Odd while {@link #apply} prunes the overlay; see {@link #lookup}. */
    private final java.util.concurrent.atomic.AtomicLong pruning = new java.util.concurrent.atomic.AtomicLong();
    private final Env<ByteBuffer> env;
    private final Dbi<ByteBuffer> map;
    private final Dbi<ByteBuffer> meta;
    /** Read transactions hold it shared; growing the map holds it exclusively. */
    private final java.util.concurrent.locks.ReentrantReadWriteLock growth =
            new java.util.concurrent.locks.ReentrantReadWriteLock();
    private final Path dir;
    private final ThreadLocal<ByteBuffer> keys = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(8));

    ClusterMap(Path dir, long mapSizeBytes) throws java.io.IOException {
        Files.createDirectories(dir);
        this.dir = dir;
        env = Env.create().setMapSize(mapSizeBytes).setMaxDbs(2).setMaxReaders(512)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
        map = env.openDbi("map", DbiFlags.MDB_CREATE);
        meta = env.openDbi("meta", DbiFlags.MDB_CREATE);
    }

    /** The LMDB map size now (it grows when full). */
    long mapSize() {
        return env.info().mapSize;
    }

    /**
     * The LMDB map size for a volume of {@code volumeBytes}, large enough for every cluster mapped. A mapping is a
     * leaf node of 8 B header + 8 B key + 12 B value + a 2 B slot = 30 B, so a full 4 KiB page (16 B header) holds
     * 136; pages split at the middle, so after random inserts they are at least half full: 60 B per cluster, plus
     * branch pages (about 1/200 of that) and the copy-on-write pages of one large transaction, hence 80 B per
     * cluster, plus 64 MiB for small volumes. 16 TiB: 320 GiB. The map is address space, not disk: the file grows
     * with the pages in use. It still grows if this is ever short (see {@link #apply}).
     */
    static long mapSizeFor(long volumeBytes) {
        return (64L << 20) + volumeBytes / 4096 * 80;
    }

    /** The mapping of {@code address}, or null if it was never written. */
    Mapping get(long address) {
        Mapping[] one = new Mapping[1];
        lookup(address, one);
        return one[0];
    }

    /**
     * Fills {@code out[i]} with the mapping of {@code first + i} (null = zeros), using one read transaction.
     *
     * <p>The overlay is pruned after each LMDB commit. A reader whose LMDB snapshot predates a commit but who
     * looks at the overlay after its pruning would see neither copy, so lookups are validated like a seqlock:
     * {@code pruning} is odd while pruning runs and moves on after it; a lookup that overlapped a pruning is
     * repeated (rare: one TLog commit every few MiB of writes).
     */
    void lookup(long first, Mapping[] out) {
        while (true) {
            long before = pruning.get();
            if ((before & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            DiscardRanges.Range[] ranges = discards.overlapping(first, first + out.length);
            // between TLog commits the overlay is often empty: then no boxed key per cluster (an entry added
            // after this test is a write racing this read, which may see the old data)
            boolean noOverlay = overlay.isEmpty();
            int r = 0;
            Txn<ByteBuffer> txn = null;
            KeyWalk walk = null;
            try {
                for (int i = 0; i < out.length; i++) {
                    long a = first + i;
                    while (r < ranges.length && ranges[r].end() <= a) r++;
                    long discardedAt = r < ranges.length && ranges[r].start() <= a ? ranges[r].stamp() : -1;
                    Mapping m = noOverlay ? null : overlay.get(a);
                    if (m != null && m.stamp() > discardedAt) {
                        out[i] = m;
                        continue;
                    }
                    if (discardedAt >= 0) {
                        out[i] = null; // discarded after any overlay entry it has
                        continue;
                    }
                    if (txn == null) txn = readTxn();
                    if (out.length < KeyWalk.MIN_RUN) {
                        out[i] = lmdbGet(txn, a);
                    } else {
                        if (walk == null) walk = new KeyWalk(map.openCursor(txn));
                        out[i] = walk.get(a);
                    }
                }
            } finally {
                if (walk != null) walk.cursor.close(); // before its transaction
                if (txn != null) closeRead(txn);
            }
            if (pruning.get() == before) return;
        }
    }

    /**
     * Fills {@code out[i]} with the <em>committed</em> mapping of {@code first + i} (LMDB only, as of the last
     * absorbed TLog; null = zeros or never written). Scrubbing uses it: what a crash can fall back to.
     */
    void lookupCommitted(long first, Mapping[] out) {
        Txn<ByteBuffer> txn = readTxn();
        try {
            for (int i = 0; i < out.length; i++) out[i] = lmdbGet(txn, first + i);
        } finally {
            closeRead(txn);
        }
    }

    @FunctionalInterface
    interface MappingVisitor {
        void visit(long address, Mapping m);
    }

    /**
     * Calls {@code each} for every cluster below {@code end} that LMDB maps (the committed map), in address order,
     * from one read transaction: exact, and as fast as the clusters mapped (a cursor walk), whatever the range.
     */
    void forEachCommitted(long end, MappingVisitor each) {
        Txn<ByteBuffer> txn = readTxn();
        try (Cursor<ByteBuffer> c = map.openCursor(txn)) {
            for (boolean more = c.first(); more; more = c.next()) {
                long a = c.key().order(ByteOrder.BIG_ENDIAN).getLong(0);
                if (a >= end) break;
                ByteBuffer v = c.val().order(ByteOrder.BIG_ENDIAN);
                each.visit(a, new Mapping(v.getLong(0), v.getInt(8)));
            }
        } finally {
            closeRead(txn);
        }
    }

    /**
     * Calls {@code each} for every cluster below {@code end} that the current map (overlay over LMDB) maps: the
     * overlay's live entries, then LMDB's keys that neither an overlay entry nor a discard range hides; time grows
     * with the clusters mapped. Not atomic against concurrent changes and LMDB commits (a cluster changed meanwhile
     * may be missed or seen twice): for estimates and candidates that the caller checks again (scrubbing).
     */
    void forEachCurrent(long end, MappingVisitor each) {
        DiscardRanges.Range[] ranges = discards.overlapping(0, end);
        for (var e : overlay.entrySet()) {
            long a = e.getKey();
            if (a >= end) continue;
            if (e.getValue().stamp() > discardedAt(ranges, a)) each.visit(a, e.getValue());
        }
        int r = 0;
        Txn<ByteBuffer> txn = readTxn();
        try (Cursor<ByteBuffer> c = map.openCursor(txn)) {
            for (boolean more = c.first(); more; more = c.next()) {
                long a = c.key().order(ByteOrder.BIG_ENDIAN).getLong(0);
                if (a >= end) break;
                while (r < ranges.length && ranges[r].end() <= a) r++;
                if (r < ranges.length && ranges[r].start() <= a) continue; // discarded (or rewritten: seen above)
                if (overlay.containsKey(a)) continue; // the overlay's entry is newer: visited above
                ByteBuffer v = c.val().order(ByteOrder.BIG_ENDIAN);
                each.visit(a, new Mapping(v.getLong(0), v.getInt(8)));
            }
        } finally {
            closeRead(txn);
        }
    }

    /** The stamp of the range in {@code ranges} (sorted, disjoint) covering {@code a}, or -1. */
    private static long discardedAt(DiscardRanges.Range[] ranges, long a) {
        int lo = 0;
        int hi = ranges.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            DiscardRanges.Range x = ranges[mid];
            if (x.end() <= a) {
                lo = mid + 1;
            } else if (x.start() > a) {
                hi = mid - 1;
            } else {
                return x.stamp();
            }
        }
        return -1;
    }

    /**
     * A read transaction, inside the growth gate: LMDB may only change its map size while no transaction of this
     * process is open (the map is remapped). Close it with {@link #closeRead}.
     */
    private Txn<ByteBuffer> readTxn() {
        growth.readLock().lock();
        try {
            return env.txnRead();
        } catch (RuntimeException e) {
            growth.readLock().unlock();
            throw e;
        }
    }

    private void closeRead(Txn<ByteBuffer> txn) {
        try {
            txn.close();
        } finally {
            growth.readLock().unlock();
        }
    }

    /**
     * Lookups of ascending addresses through one LMDB cursor: a search for the first, then steps to the next key.
     * Why: a large read looks up every cluster of its range (256 for 1 MiB), and a search from the root for each was
     * most of the lookup's cost; the keys of a range lie side by side in the B-tree's leaves.
     */
    private final class KeyWalk {
        /** Below this many clusters a lookup searches per cluster (a cursor costs its own open and close). */
        static final int MIN_RUN = 8;
        final Cursor<ByteBuffer> cursor;
        /** The key the cursor is on; -1 before the first search, Long.MAX_VALUE past the last key. */
        private long at = -1;

        KeyWalk(Cursor<ByteBuffer> cursor) {
            this.cursor = cursor;
        }

        /** The committed mapping of {@code address}, which must be above the previous call's. */
        Mapping get(long address) {
            if (at < 0) {
                at = cursor.get(key(address), GetOp.MDB_SET_RANGE) ? currentKey() : Long.MAX_VALUE;
            }
            while (at < address) at = cursor.next() ? currentKey() : Long.MAX_VALUE;
            if (at != address) return null;
            ByteBuffer v = cursor.val().order(ByteOrder.BIG_ENDIAN);
            return new Mapping(v.getLong(0), v.getInt(8));
        }

        private long currentKey() {
            return cursor.key().order(ByteOrder.BIG_ENDIAN).getLong(0);
        }
    }

    private Mapping lmdbGet(Txn<ByteBuffer> txn, long address) {
        ByteBuffer v = map.get(txn, key(address));
        if (v == null) return null;
        v.order(ByteOrder.BIG_ENDIAN);
        return new Mapping(v.getLong(0), v.getInt(8));
    }

    private ByteBuffer key(long address) {
        ByteBuffer k = keys.get();
        k.clear();
        k.putLong(0, address);
        return k;
    }

    /** The overlay entry of a WRITE (call under the volume's append lock, just before {@link #put}). */
    Mapping written(long location, int crc) {
        return new Mapping(location, crc, 0, stamps.incrementAndGet());
    }

    /** The overlay entry of a REMAP recorded in TLog {@code tlogSeq}. */
    Mapping remapped(long location, int crc, long tlogSeq) {
        return new Mapping(location, crc, tlogSeq, stamps.incrementAndGet());
    }

    /** Publishes an entry made by {@link #written} or {@link #remapped}. */
    void put(long address, Mapping m) {
        overlay.put(address, m);
    }

    /**
     * Records that clusters [first, first + count) read as zeros (a DISCARD entry of TLog {@code tlogSeq}): one
     * range, whatever {@code count}; overlay entries it covers stay until their TLog is absorbed but are hidden.
     */
    void discard(long first, long count, long tlogSeq) {
        discards.add(first, first + count, tlogSeq, stamps.incrementAndGet());
    }

    /** Overlay entries plus discard ranges: what the overlay costs in memory. */
    /**
     * Empties the overlay (a rollback, with I/O quiesced and every TLog absorbed, so it holds nothing LMDB lacks;
     * what it may still hold is of the state being replaced).
     */
    void clearOverlay() {
        pruning.incrementAndGet();
        try {
            overlay.clear();
            discards.clear();
        } finally {
            pruning.incrementAndGet();
        }
    }

    int overlaySize() {
        return overlay.size() + discards.size();
    }

    long corked() {
        Txn<ByteBuffer> txn = readTxn();
        try {
            ByteBuffer k = ByteBuffer.allocateDirect(CORKED.length).put(CORKED).flip();
            ByteBuffer v = meta.get(txn, k);
            return v == null ? 0 : v.order(ByteOrder.BIG_ENDIAN).getLong(0);
        } finally {
            closeRead(txn);
        }
    }

    /**
     * Applies one committed TLog to LMDB in one transaction and moves the cork to {@code seq}; then drops the
     * overlay entries it made redundant (only those still equal: a newer write keeps its overlay entry).
     */
    void apply(long seq, List<TLogEntry> entries) {
        while (true) {
            try {
                absorb(seq, entries);
                break;
            } catch (Env.MapFullException e) {
                grow(); // the transaction was aborted: nothing of it is in LMDB, so it is simply repeated
            }
        }
        pruning.incrementAndGet();
        try {
            pruneOverlay(seq, entries);
        } finally {
            pruning.incrementAndGet();
        }
    }

    /**
     * Doubles the map size. A full map used to halt the volume for good: reopening replays the same TLog into the
     * same full map. Waits for open read transactions (LMDB remaps the file); the writer is this thread.
     */
    private void grow() {
        growth.writeLock().lock();
        try {
            long before = env.info().mapSize;
            env.setMapSize(before * 2);
            log.warn("metadata map {} is full at {} MiB; grown to {} MiB", dir, before >> 20, (before * 2) >> 20);
        } finally {
            growth.writeLock().unlock();
        }
    }

    /** One TLog into LMDB in one transaction, the cork moved with it. */
    private void absorb(long seq, List<TLogEntry> entries) {
        ByteBuffer k = ByteBuffer.allocateDirect(8);
        ByteBuffer v = ByteBuffer.allocateDirect(12);
        try (Txn<ByteBuffer> txn = env.txnWrite()) {
            for (TLogEntry e : entries) {
                if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.REMAP) {
                    k.clear().putLong(0, e.address());
                    v.clear().putLong(0, e.value()).putInt(8, e.crc());
                    map.put(txn, k, v);
                } else if (e.type() == TLogEntry.DISCARD) {
                    deleteRange(txn, e.address(), e.address() + e.value(), k);
                }
            }
            ByteBuffer ck = ByteBuffer.allocateDirect(CORKED.length).put(CORKED).flip();
            ByteBuffer cv = ByteBuffer.allocateDirect(8).putLong(0, seq);
            meta.put(txn, ck, cv);
            txn.commit();
        }
    }

    /**
     * Deletes the keys of [first, end) that exist, walking a cursor from the first one: the cost is the clusters
     * mapped in the range, not its length (a 1 TiB discard of a sparse volume touches a handful of keys).
     */
    private void deleteRange(Txn<ByteBuffer> txn, long first, long end, ByteBuffer k) {
        try (Cursor<ByteBuffer> c = map.openCursor(txn)) {
            long from = first;
            while (from < end) {
                k.clear().putLong(0, from);
                if (!c.get(k, GetOp.MDB_SET_RANGE)) return;
                long found = c.key().order(ByteOrder.BIG_ENDIAN).getLong(0);
                if (found >= end) return;
                c.delete();
                from = found + 1;
            }
        }
    }

    private void pruneOverlay(long seq, List<TLogEntry> entries) {
        for (TLogEntry e : entries) {
            if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.REMAP) {
                long tag = e.type() == TLogEntry.REMAP ? seq : 0;
                overlay.computeIfPresent(e.address(), (a, m) -> m.madeBy(e.value(), e.crc(), tag) ? null : m);
            } else if (e.type() == TLogEntry.DISCARD) {
                discards.prune(e.address(), e.address() + e.value(), seq);
            }
        }
    }

    /** Receives committed mappings in address order (see {@link #scanCommitted}). */
    @FunctionalInterface
    interface CommittedVisitor {
        void visit(long address, long location, int crc) throws java.io.IOException;
    }

    /** Supplies mappings in strictly increasing address order to {@link #replaceCommitted}. */
    @FunctionalInterface
    interface CommittedSource {
        void forEach(CommittedVisitor into) throws java.io.IOException;
    }

    /**
     * Visits every committed mapping (LMDB) in address order within one read transaction, a consistent cut: first
     * tells {@code atSeq} (and returns) the TLog it is the state after (the cork seen by that transaction). LMDB's MVCC lets the uploader
     * go on applying TLogs meanwhile.
     */
    long scanCommitted(java.util.function.LongConsumer atSeq, CommittedVisitor visitor) throws java.io.IOException {
        Txn<ByteBuffer> txn = readTxn(); // the map cannot grow meanwhile (see grow)
        try {
            ByteBuffer ck = ByteBuffer.allocateDirect(CORKED.length).put(CORKED).flip();
            ByteBuffer cv = meta.get(txn, ck);
            long seq = cv == null ? 0 : cv.order(ByteOrder.BIG_ENDIAN).getLong(0);
            atSeq.accept(seq);
            try (org.lmdbjava.CursorIterable<ByteBuffer> it = map.iterate(txn, org.lmdbjava.KeyRange.all())) {
                for (org.lmdbjava.CursorIterable.KeyVal<ByteBuffer> kv : it) {
                    ByteBuffer k = kv.key().order(ByteOrder.BIG_ENDIAN);
                    ByteBuffer v = kv.val().order(ByteOrder.BIG_ENDIAN);
                    visitor.visit(k.getLong(0), v.getLong(0), v.getInt(8));
                }
            }
            return seq;
        } finally {
            closeRead(txn);
        }
    }

    /** Number of committed mappings (LMDB). */
    long committedEntries() {
        Txn<ByteBuffer> txn = readTxn();
        try {
            return map.stat(txn).entries;
        } finally {
            closeRead(txn);
        }
    }

    /**
     * Replaces the committed map with {@code source} (a metadata checkpoint) and corks it at {@code seq}, in one
     * transaction: if the source fails (a damaged checkpoint) nothing changes. The overlay is left alone (it holds
     * only what is newer than anything committed).
     */
    void replaceCommitted(long seq, CommittedSource source) throws java.io.IOException {
        while (true) {
            try {
                replaceOnce(seq, source);
                return;
            } catch (Env.MapFullException e) {
                grow(); // aborted: nothing changed; the source reads the checkpoint again from its start
            }
        }
    }

    private void replaceOnce(long seq, CommittedSource source) throws java.io.IOException {
        ByteBuffer k = ByteBuffer.allocateDirect(8);
        ByteBuffer v = ByteBuffer.allocateDirect(12);
        try (Txn<ByteBuffer> txn = env.txnWrite()) {
            map.drop(txn);
            source.forEach((address, location, crc) -> {
                k.clear().putLong(0, address);
                v.clear().putLong(0, location).putInt(8, crc);
                map.put(txn, k, v, org.lmdbjava.PutFlags.MDB_APPEND); // sorted input: appends, no B-tree search
            });
            ByteBuffer ck = ByteBuffer.allocateDirect(CORKED.length).put(CORKED).flip();
            ByteBuffer cv = ByteBuffer.allocateDirect(8).putLong(0, seq);
            meta.put(txn, ck, cv);
            txn.commit();
        }
    }

    @Override
    public void close() {
        env.close();
    }
}
