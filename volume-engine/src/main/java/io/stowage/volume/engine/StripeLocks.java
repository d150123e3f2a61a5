package io.stowage.volume.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The volume's striped cluster locks: cluster {@code a} is guarded by stripe {@code a mod 1024}. A writer holds the
 * stripes of every cluster it changes, so a read-modify-write of a partial cluster, COMPARE AND WRITE and a scrub move
 * are atomic against every other write of the same clusters.
 *
 * <p>Threads and lock order: any thread. Stripes are always taken in ascending index order (each once), so two
 * holders of overlapping ranges never deadlock; they are taken before {@code Volume}'s append lock and never while
 * holding it. A range longer than the stripe count takes every stripe.
 */
final class StripeLocks {
    private final ReentrantLock[] stripes = new ReentrantLock[1024];

    StripeLocks() {
        for (int i = 0; i < stripes.length; i++) stripes[i] = new ReentrantLock();
    }

    /** Stripes held by one caller; closing releases them. Not shared between threads. */
    static final class Held implements AutoCloseable {
        private final List<ReentrantLock> locks;

        private Held(List<ReentrantLock> locks) {
            this.locks = locks;
        }

        @Override
        public void close() {
            for (ReentrantLock l : locks) l.unlock();
        }
    }

    /** Locks the stripes of clusters [first, first + n). */
    Held lock(long first, long n) {
        return lockInOrder(indices(first, (int) Math.min(n, stripes.length)), false);
    }

    /**
     * Locks the stripes of clusters [first, first + n) only if each is free at once; null (holding none) otherwise.
     * For a write done on a thread that must not wait (see Volume#writeIfQuick).
     */
    Held tryLock(long first, int n) {
        return lockInOrder(indices(first, Math.min(n, stripes.length)), true);
    }

    private int[] indices(long first, int count) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) idx[i] = index(first + i);
        return idx;
    }

    /** Locks the stripes of two ranges at once (copies), each stripe once. */
    Held lock(long firstA, int nA, long firstB, int nB) {
        int a = Math.min(nA, stripes.length);
        int b = Math.min(nB, stripes.length);
        int[] idx = new int[a + b];
        for (int i = 0; i < a; i++) idx[i] = index(firstA + i);
        for (int i = 0; i < b; i++) idx[a + i] = index(firstB + i);
        return lockInOrder(idx, false);
    }

    private int index(long cluster) {
        return (int) Math.floorMod(cluster, (long) stripes.length);
    }

    /**
     * Locks the stripes named in {@code idx} (sorted here, duplicates skipped) in the one global order; with
     * {@code tryOnly}, only if each is free at once, else none is held and null is returned.
     */
    private Held lockInOrder(int[] idx, boolean tryOnly) {
        Arrays.sort(idx); // one global order: no deadlock between overlapping writes
        List<ReentrantLock> locks = new ArrayList<>(idx.length);
        for (int k = 0; k < idx.length; k++) {
            if (k > 0 && idx[k] == idx[k - 1]) continue;
            ReentrantLock l = stripes[idx[k]];
            if (!tryOnly) {
                l.lock();
            } else if (!l.tryLock()) {
                for (ReentrantLock held : locks) held.unlock();
                return null;
            }
            locks.add(l);
        }
        return new Held(locks);
    }
}
