package io.stowage.volume.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The overlay's discarded ranges: UNMAP, WRITE SAME with UNMAP and the unmapped runs of a metadata-only copy cost
 * one entry per range here, whatever its length (a per-cluster marker made a 1 TiB discard cost 268 M heap entries).
 *
 * <p>Ranges are kept disjoint: a newer discard over an older one takes the overlapping part (the older range is
 * trimmed or split). Each range carries the TLog it was recorded in (pruning after that TLog is absorbed by LMDB
 * drops exactly its pieces) and the overlay stamp of its discard (a per-cluster overlay entry with a higher stamp
 * was written after it and wins; one with a lower stamp was discarded by it).
 *
 * <p>Thread-safety: changes (discards, under the volume's append lock, and pruning, by the uploader) take the write
 * lock, so a reader never sees a trimmed older range without the newer one that replaced it; lookups take the read
 * lock only while some range exists.
 */
final class DiscardRanges {
    /** Clusters [start, end) read as zeros unless overwritten by an overlay entry stamped after {@code stamp}. */
    record Range(long start, long end, long tlogSeq, long stamp) {
    }

    static final Range[] NONE = new Range[0];

    private final TreeMap<Long, Range> byStart = new TreeMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** byStart.size(), readable without the lock: lookups skip the lock when it is 0 (the usual case). */
    private volatile int size;

    /** Records that [start, end) was discarded by TLog {@code tlogSeq} at overlay stamp {@code stamp}. */
    void add(long start, long end, long tlogSeq, long stamp) {
        if (start >= end) return;
        lock.writeLock().lock();
        try {
            Map.Entry<Long, Range> lower = byStart.lowerEntry(start);
            if (lower != null && lower.getValue().end() > start) {
                Range r = lower.getValue();
                byStart.put(r.start(), new Range(r.start(), start, r.tlogSeq(), r.stamp()));
                if (r.end() > end) byStart.put(end, new Range(end, r.end(), r.tlogSeq(), r.stamp()));
            }
            List<Range> inside = new ArrayList<>(byStart.subMap(start, true, end, false).values());
            for (Range r : inside) {
                byStart.remove(r.start());
                if (r.end() > end) byStart.put(end, new Range(end, r.end(), r.tlogSeq(), r.stamp()));
            }
            byStart.put(start, new Range(start, end, tlogSeq, stamp));
            size = byStart.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Drops every range (a rollback replaced the whole map). */
    void clear() {
        lock.writeLock().lock();
        try {
            byStart.clear();
            size = 0;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Drops the pieces recorded by TLog {@code tlogSeq} within [start, end) (one DISCARD entry of that TLog: its
     * pieces all start inside it). Called once LMDB holds the TLog.
     */
    void prune(long start, long end, long tlogSeq) {
        if (size == 0) return;
        lock.writeLock().lock();
        try {
            List<Range> inside = new ArrayList<>(byStart.subMap(start, true, end, false).values());
            for (Range r : inside) {
                if (r.tlogSeq() == tlogSeq) byStart.remove(r.start());
            }
            size = byStart.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The ranges that overlap [start, end), in address order ({@link #NONE} if there are none). */
    Range[] overlapping(long start, long end) {
        if (size == 0) return NONE;
        lock.readLock().lock();
        try {
            Map.Entry<Long, Range> lower = byStart.lowerEntry(start);
            List<Range> out = null;
            if (lower != null && lower.getValue().end() > start) {
                out = new ArrayList<>(4);
                out.add(lower.getValue());
            }
            for (Range r : byStart.subMap(start, true, end, false).values()) {
                if (out == null) out = new ArrayList<>(4);
                out.add(r);
            }
            return out == null ? NONE : out.toArray(NONE);
        } finally {
            lock.readLock().unlock();
        }
    }

    int size() {
        return size;
    }
}
