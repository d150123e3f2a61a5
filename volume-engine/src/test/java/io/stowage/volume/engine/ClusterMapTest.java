package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.TLogEntry;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overlay and LMDB against a plain array: random writes, REMAPs and discard ranges (overlapping, a write after
 * a discard and a discard after a write, in the same TLog and in different ones), TLogs absorbed by LMDB at random
 * points. Every lookup (and walk of the mapped clusters) must give the latest state; every committed lookup the state
 * as of the last absorbed TLog.
 */
class ClusterMapTest {
    static final int CLUSTERS = 300;
    @TempDir Path dir;

    @Test
    void rangesWritesAndRemapsMatchAModelAcrossCommits() throws Exception {
        for (long seed = 1; seed <= 5; seed++) run(seed);
    }

    private void run(long seed) throws Exception {
        Random r = new Random(seed);
        try (ClusterMap map = new ClusterMap(dir.resolve("m" + seed), 64L << 20)) {
            long[] current = new long[CLUSTERS];
            long[] committed = new long[CLUSTERS];
            ArrayDeque<List<TLogEntry>> pending = new ArrayDeque<>();
            List<TLogEntry> open = new ArrayList<>();
            long openSeq = 1;
            long committedSeq = 0;
            long nextSco = 1;
            for (int op = 0; op < 600; op++) {
                int kind = r.nextInt(100);
                if (kind < 35) {
                    int a = r.nextInt(CLUSTERS);
                    long loc = ClusterLocation.of(0, nextSco++, 0);
                    open.add(TLogEntry.write(a, loc, (int) loc));
                    map.put(a, map.written(loc, (int) loc));
                    current[a] = loc;
                } else if (kind < 50) { // a REMAP of some cluster's current location (possibly the same again)
                    int src = r.nextInt(CLUSTERS);
                    int a = r.nextInt(CLUSTERS);
                    if (current[src] == 0) continue;
                    long loc = current[src];
                    open.add(TLogEntry.remap(a, loc, (int) loc));
                    map.put(a, map.remapped(loc, (int) loc, openSeq));
                    current[a] = loc;
                } else if (kind < 72) {
                    int first = r.nextInt(CLUSTERS);
                    int count = 1 + r.nextInt(r.nextBoolean() ? 8 : CLUSTERS - first);
                    count = Math.min(count, CLUSTERS - first);
                    open.add(TLogEntry.discard(first, count));
                    map.discard(first, count, openSeq);
                    for (int i = first; i < first + count; i++) current[i] = 0;
                } else if (kind < 86) { // close the TLog
                    if (open.isEmpty()) continue;
                    pending.add(open);
                    open = new ArrayList<>();
                    openSeq++;
                } else if (!pending.isEmpty()) { // the oldest closed TLog is committed and absorbed
                    List<TLogEntry> t = pending.poll();
                    committedSeq++;
                    map.apply(committedSeq, t);
                    for (TLogEntry e : t) {
                        if (e.type() == TLogEntry.DISCARD) {
                            for (long i = e.address(); i < e.address() + e.value(); i++) committed[(int) i] = 0;
                        } else {
                            committed[(int) e.address()] = e.value();
                        }
                    }
                }
                check(map, current, committed, "seed " + seed + " op " + op);
            }
            while (!pending.isEmpty() || !open.isEmpty()) { // absorb everything: the overlay must empty itself
                if (pending.isEmpty()) {
                    pending.add(open);
                    open = new ArrayList<>();
                }
                committedSeq++;
                List<TLogEntry> t = pending.poll();
                map.apply(committedSeq, t);
                for (TLogEntry e : t) {
                    if (e.type() == TLogEntry.DISCARD) {
                        for (long i = e.address(); i < e.address() + e.value(); i++) committed[(int) i] = 0;
                    } else {
                        committed[(int) e.address()] = e.value();
                    }
                }
            }
            assertArrayEquals(current, committed, "seed " + seed);
            check(map, current, committed, "seed " + seed + " at the end");
            assertEquals(0, map.overlaySize(), "seed " + seed + ": absorbed TLogs leave nothing in the overlay");
        }
    }

    private static void check(ClusterMap map, long[] current, long[] committed, String what) {
        ClusterMap.Mapping[] got = new ClusterMap.Mapping[CLUSTERS];
        map.lookup(0, got);
        ClusterMap.Mapping[] lmdb = new ClusterMap.Mapping[CLUSTERS];
        map.lookupCommitted(0, lmdb);
        for (int a = 0; a < CLUSTERS; a++) {
            assertEquals(current[a], got[a] == null ? 0 : got[a].location(), what + ": cluster " + a);
            assertEquals(committed[a], lmdb[a] == null ? 0 : lmdb[a].location(), what + ": committed cluster " + a);
        }
        long[] walked = new long[CLUSTERS]; // and the walks scrubbing uses, which visit mapped clusters only
        map.forEachCurrent(CLUSTERS, (x, m) -> {
            assertEquals(0, walked[(int) x], what + ": cluster " + x + " visited twice");
            walked[(int) x] = m.location();
        });
        assertArrayEquals(current, walked, what + ": forEachCurrent");
        long[] walkedCommitted = new long[CLUSTERS];
        map.forEachCommitted(CLUSTERS, (x, m) -> walkedCommitted[(int) x] = m.location());
        assertArrayEquals(committed, walkedCommitted, what + ": forEachCommitted");
        java.util.Random r = new java.util.Random(what.hashCode()); // and sub-ranges, short and long (a cursor walk)
        for (int k = 0; k < 20; k++) {
            int start = r.nextInt(CLUSTERS), len = 1 + r.nextInt(Math.min(64, CLUSTERS - start));
            ClusterMap.Mapping[] part = new ClusterMap.Mapping[len];
            map.lookup(start, part);
            for (int i = 0; i < len; i++) {
                assertEquals(current[start + i], part[i] == null ? 0 : part[i].location(),
                        what + ": cluster " + (start + i) + " of a lookup of " + len + " from " + start);
            }
        }
        int a = 7; // and one address at a time, as writes and scrubbing look up
        ClusterMap.Mapping one = map.get(a);
        assertEquals(current[a], one == null ? 0 : one.location(), what + ": get " + a);
    }
}
