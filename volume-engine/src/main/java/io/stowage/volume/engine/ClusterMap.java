package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.TLogEntry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The cluster → (location, CRC) map: LMDB holds the state as of the last TLog committed to the backend ("corked":
 * it never runs ahead of the backend), an in-memory overlay holds everything newer. Lookups check the overlay
 * first. LMDB is derived state: it can always be rebuilt from the TLogs.
 *
 * <p>LMDB layout: database {@code map}, key = cluster address (8 bytes big-endian), value = location (8) + CRC32C (4);
 * database {@code meta}, key {@code corked} = sequence number of the last TLog applied.
 *
 * <p>Thread-safety: lookups and overlay updates from any thread; {@link #apply} from one thread at a time (the
 * uploader). No LMDB buffer escapes a transaction.
 */
final class ClusterMap implements AutoCloseable {
    /**
     * A cluster's mapping; location {@link ClusterLocation#NONE} = discarded. A discard marker carries the
     * sequence number of its TLog in place of a CRC: pruning after TLog k must only drop markers written by TLog
     * k, never an equal-looking marker of a later discard (which would uncover an older write still in LMDB).
     * For the same reason a REMAP's overlay entry is tagged with its TLog (a location can be remapped to the same
     * address more than once); a WRITE's location is unique and needs no tag. The tag is never stored in LMDB.
     */
    record Mapping(long location, int crc, long tag) {
        Mapping(long location, int crc) {
            this(location, crc, 0);
        }
    }

    /** The overlay marker of a discard recorded in TLog {@code tlogSeq}. */
    static Mapping discarded(long tlogSeq) {
        return new Mapping(ClusterLocation.NONE, (int) tlogSeq);
    }
    private static final byte[] CORKED = "corked".getBytes();

    private final ConcurrentHashMap<Long, Mapping> overlay = new ConcurrentHashMap<>();
    /** Odd while {@link #apply} prunes the overlay; see {@link #lookup}. */
    private final java.util.concurrent.atomic.AtomicLong pruning = new java.util.concurrent.atomic.AtomicLong();
    private final Env<ByteBuffer> env;
    private final Dbi<ByteBuffer> map;
    private final Dbi<ByteBuffer> meta;
    private final ThreadLocal<ByteBuffer> keys = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(8));

    ClusterMap(Path dir, long mapSizeBytes) throws java.io.IOException {
        Files.createDirectories(dir);
        env = Env.create().setMapSize(mapSizeBytes).setMaxDbs(2).setMaxReaders(512)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
        map = env.openDbi("map", DbiFlags.MDB_CREATE);
        meta = env.openDbi("meta", DbiFlags.MDB_CREATE);
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
            Txn<ByteBuffer> txn = null;
            try {
                for (int i = 0; i < out.length; i++) {
                    Mapping m = overlay.get(first + i);
                    if (m != null) {
                        out[i] = m.location() == ClusterLocation.NONE ? null : m;
                        continue;
                    }
                    if (txn == null) txn = env.txnRead();
                    out[i] = lmdbGet(txn, first + i);
                }
            } finally {
                if (txn != null) txn.close();
            }
            if (pruning.get() == before) return;
        }
    }

    /**
     * Fills {@code out[i]} with the <em>committed</em> mapping of {@code first + i} (LMDB only, as of the last
     * absorbed TLog; null = zeros or never written). Scrubbing uses it: what a crash can fall back to.
     */
    void lookupCommitted(long first, Mapping[] out) {
        try (Txn<ByteBuffer> txn = env.txnRead()) {
            for (int i = 0; i < out.length; i++) out[i] = lmdbGet(txn, first + i);
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

    void put(long address, Mapping m) {
        overlay.put(address, m);
    }

    int overlaySize() {
        return overlay.size();
    }

    long corked() {
        try (Txn<ByteBuffer> txn = env.txnRead()) {
            ByteBuffer k = ByteBuffer.allocateDirect(CORKED.length).put(CORKED).flip();
            ByteBuffer v = meta.get(txn, k);
            return v == null ? 0 : v.order(ByteOrder.BIG_ENDIAN).getLong(0);
        }
    }

    /**
     * Applies one committed TLog to LMDB in one transaction and moves the cork to {@code seq}; then drops the
     * overlay entries it made redundant (only those still equal: a newer write keeps its overlay entry).
     */
    void apply(long seq, List<TLogEntry> entries) {
        ByteBuffer k = ByteBuffer.allocateDirect(8);
        ByteBuffer v = ByteBuffer.allocateDirect(12);
        try (Txn<ByteBuffer> txn = env.txnWrite()) {
            for (TLogEntry e : entries) {
                if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.REMAP) {
                    k.clear().putLong(0, e.address());
                    v.clear().putLong(0, e.value()).putInt(8, e.crc());
                    map.put(txn, k, v);
                } else if (e.type() == TLogEntry.DISCARD) {
                    for (long a = e.address(); a < e.address() + e.value(); a++) {
                        k.clear().putLong(0, a);
                        map.delete(txn, k);
                    }
                }
            }
            ByteBuffer ck = ByteBuffer.allocateDirect(CORKED.length).put(CORKED).flip();
            ByteBuffer cv = ByteBuffer.allocateDirect(8).putLong(0, seq);
            meta.put(txn, ck, cv);
            txn.commit();
        }
        pruning.incrementAndGet();
        try {
            pruneOverlay(seq, entries);
        } finally {
            pruning.incrementAndGet();
        }
    }

    private void pruneOverlay(long seq, List<TLogEntry> entries) {
        for (TLogEntry e : entries) {
            if (e.type() == TLogEntry.WRITE) {
                overlay.remove(e.address(), new Mapping(e.value(), e.crc()));
            } else if (e.type() == TLogEntry.REMAP) {
                overlay.remove(e.address(), new Mapping(e.value(), e.crc(), seq));
            } else if (e.type() == TLogEntry.DISCARD) {
                Mapping marker = discarded(seq);
                for (long a = e.address(); a < e.address() + e.value(); a++) {
                    overlay.remove(a, marker);
                }
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
        try (Txn<ByteBuffer> txn = env.txnRead()) {
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
        }
    }

    /** Number of committed mappings (LMDB). */
    long committedEntries() {
        try (Txn<ByteBuffer> txn = env.txnRead()) {
            return map.stat(txn).entries;
        }
    }

    /**
     * Replaces the committed map with {@code source} (a metadata checkpoint) and corks it at {@code seq}, in one
     * transaction: if the source fails (a damaged checkpoint) nothing changes. The overlay is left alone (it holds
     * only what is newer than anything committed).
     */
    void replaceCommitted(long seq, CommittedSource source) throws java.io.IOException {
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
