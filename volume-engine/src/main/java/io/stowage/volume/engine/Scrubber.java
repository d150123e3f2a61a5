package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of overwritten data, on demand ({@link #scrub}) and every {@code scrubIntervalMillis} on a
 * thread of its own. Committed SCOs whose live share (clusters the map still points at) is at most
 * {@code maxLiveRatio} are victims (at most {@code maxVictims}, emptiest first): their live clusters are written again
 * through the normal append path (under their stripe locks, only if the map still points at the victim), the result
 * is committed to the backend, and then every victim that the <em>committed</em> map (LMDB: what a crash or a backend
 * restart falls back to) no longer references is deleted from the backend and the cache. References cannot
 * reappear: new writes go to new SCOs, and a REMAP copies current mappings, which no longer point at a victim once it
 * has been moved.
 *
 * <p>Snapshots: an SCO a snapshot with clones references is never a victim (the clones read it in place). One that
 * only clone-less snapshots reference is as live as the union of what the current map and those snapshots point at
 * in it; as a victim, the clusters the snapshots reference that did not move with the map are copied as RELOCATED
 * appends, and after their commit the snapshots' maps are rewritten around the copies ({@link Relocations},
 * {@code Snapshots#rewriteMoved}) before the deletions.
 *
 * <p>Threads and locks: one pass at a time ({@code passLock}, held for the whole pass). A pass takes, per moved
 * cluster, that cluster's stripe lock and then (through the volume's append) the append lock; it waits for the dirty
 * budget and for uploads with neither held. {@link #stop} is called by the volume's close before LMDB and the store
 * go, and waits for a running pass, which stops at its next safe point.
 */
final class Scrubber {
    private static final int CLUSTER = Volume.CLUSTER;
    /** Clusters only snapshots reference are read in runs of at most this many (one ranged read: 1 MiB). */
    private static final int RELOCATION_RUN = 256;
    private static final Logger log = LoggerFactory.getLogger(Scrubber.class);

    /** What a scrub needs from its volume: the write path it moves clusters through, and the volume's state. */
    interface Owner {
        void checkHalted() throws IOException;

        /** Halted or closing: a background pass does not start and its failure is not worth a warning. */
        boolean stopped();

        void waitForDirtyBudget() throws IOException;

        /** Appends whole clusters at {@code first}; the caller holds their stripe locks. */
        void append(long first, ByteBuffer data) throws IOException;

        void flush() throws IOException;

        void syncToBackend(long timeoutMillis) throws IOException;

        /** SCO numbers a snapshot of the committed header references. */
        Set<Long> retainedScos() throws IOException;

        /** The snapshots' references (cached per snapshot). */
        SnapshotReferences snapshotReferences();

        /** Appends one cluster only snapshots reference (no address, no map change); returns its new location. */
        long relocate(long from, ByteBuffer cluster, int crc) throws IOException;

        /** Rewrites the maps of snapshots {@code names} around {@code moved} (see Snapshots#rewriteMoved). */
        void rewriteSnapshots(Set<String> names, Relocations moved) throws IOException;
    }

    private final String name;
    private final ObjectStore store;
    private final ClusterMap map;
    private final ScoCache scos;
    private final HeaderCommitter headers;
    private final ClusterReader reader;
    private final StripeLocks stripes;
    private final Owner owner;
    private final Consumer<Throwable> halt;
    private final long intervalMillis;
    /** One scrub pass at a time. */
    private final ReentrantLock passLock = new ReentrantLock();
    /** Runs a scrub pass every {@code intervalMillis} (null when scrubbing is off). */
    private final ScheduledExecutorService background;
    /** Set by stop: a running scrub pass stops at its next safe point, no new one starts. */
    private volatile boolean stopping;
    private long scrubbedAtTlog = -1; // the background thread's only
    // progress for metrics: written under passLock (one pass at a time), read by scrapes
    private volatile long passes;
    private volatile long movedTotal;
    private volatile long passClusters;
    private volatile long passMoved;
    /** Progress, over the volume's life in this process: bytes of committed SCOs looked at, bytes deleted. */
    private final java.util.concurrent.atomic.AtomicLong examined = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong reclaimed = new java.util.concurrent.atomic.AtomicLong();

    long examinedBytes() {
        return examined.get();
    }

    long reclaimedBytes() {
        return reclaimed.get();
    }

    Scrubber(String name, long intervalMillis, ObjectStore store, ClusterMap map, ScoCache scos,
             HeaderCommitter headers, ClusterReader reader, StripeLocks stripes, Owner owner,
             Consumer<Throwable> halt) {
        this.name = name;
        this.intervalMillis = intervalMillis;
        this.store = store;
        this.map = map;
        this.scos = scos;
        this.headers = headers;
        this.reader = reader;
        this.stripes = stripes;
        this.owner = owner;
        this.halt = halt;
        this.background = intervalMillis == 0 ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stowage-scrub-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the background passes (if scrubbing is on). */
    void start() {
        if (background != null) {
            background.scheduleWithFixedDelay(this::backgroundScrub, intervalMillis, intervalMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Stops scrubbing and waits for a running pass (background or called directly) to end: closing LMDB and the store
     * under it would crash it (a closed LMDB environment, a destroyed RADOS I/O context). The pass stops at its next
     * safe point (between two moved clusters, before its deletions), so the wait is short; it is logged every
     * {@code patienceMillis} if not.
     */
    void stop(long patienceMillis) {
        stopping = true;
        if (background != null) background.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (passLock.tryLock(patienceMillis, TimeUnit.MILLISECONDS)) break;
                log.warn("volume {}: waiting for the running scrub pass to stop", name);
            } catch (InterruptedException e) {
                interrupted = true; // still wait: the pass must not outlive LMDB and the store
            }
        }
        passLock.unlock();
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Runs {@code task} while no scrub pass runs (a running one is waited for; a rollback). */
    <T> T exclusive(java.util.concurrent.Callable<T> task) throws Exception {
        passLock.lock();
        try {
            return task.call();
        } finally {
            passLock.unlock();
        }
    }

    /** One pass (see the class comment). */
    Volume.ScrubResult scrub(double maxLiveRatio, int maxVictims) throws IOException {
        owner.checkHalted();
        passLock.lock();
        try {
            if (stopping) throw new IOException("volume " + name + " is closing: no scrub pass");
            VolumeHeader committed = headers.header();
            long clusters = committed.sizeBytes() / CLUSTER;
            int scoClusters = committed.scoClusters();
            Map<Long, Integer> live = new HashMap<>();
            forEachMapping(clusters, false, (a, m) -> { // a clone's ancestors' clusters are not in its SCOs
                if (ClusterLocation.cloneDepth(m.location()) == 0) {
                    live.merge(ClusterLocation.sco(m.location()), 1, Integer::sum);
                }
            });
            // what snapshots reference: SCOs a snapshot with clones references stay whole (a clone reads them in
            // place); the others may be compacted, the snapshots' maps rewritten around the copies
            SnapshotReferences refs = owner.snapshotReferences();
            Set<Long> whole = new HashSet<>();
            Map<VolumeHeader.Snapshot, Set<Long>> compactable = new java.util.LinkedHashMap<>();
            for (VolumeHeader.Snapshot sn : committed.retention().snapshots()) {
                Set<Long> r = refs.of(committed, sn);
                if (sn.clones() > 0) whole.addAll(r); else compactable.put(sn, r);
            }
            Set<Long> pinned = new HashSet<>();
            compactable.values().forEach(pinned::addAll);
            List<long[]> candidates = new ArrayList<>(); // {number, live}
            List<long[]> pinnedCandidates = new ArrayList<>(); // {number, live in the current map}
            long examinedNow = 0;
            for (String object : store.list("sco.")) {
                long number = ObjectNames.scoNumber(object);
                if (number > committed.lastSco() || committed.scoEpoch(number) != ObjectNames.scoEpoch(object)) {
                    continue; // not committed yet (or a leftover of another epoch: not ours to judge here)
                }
                examinedNow += (long) scoClusters * CLUSTER;
                if (whole.contains(number)) continue;
                int l = live.getOrDefault(number, 0);
                if (l > maxLiveRatio * scoClusters) continue;
                (pinned.contains(number) ? pinnedCandidates : candidates).add(new long[] {number, l});
            }
            // an SCO snapshots reference is as live as the union of what the map and those snapshots point at in it
            pinnedCandidates.sort(Comparator.comparingLong(c -> c[1]));
            Map<Long, BitSet> keptForSnapshots = new HashMap<>(); // victim → offsets only snapshots may need
            Map<Long, Set<VolumeHeader.Snapshot>> heldBy = new HashMap<>();
            if (!pinnedCandidates.isEmpty()) {
                Set<Long> wanted = new HashSet<>();
                for (int i = 0; i < Math.min(4L * maxVictims, pinnedCandidates.size()); i++) { // no int overflow
                    wanted.add(pinnedCandidates.get(i)[0]);
                }
                Map<Long, BitSet> union = new HashMap<>();
                forEachMapping(clusters, false, (a, m) -> {
                    long n = ClusterLocation.sco(m.location());
                    if (ClusterLocation.cloneDepth(m.location()) == 0 && wanted.contains(n)) {
                        union.computeIfAbsent(n, k -> new BitSet(scoClusters)).set(ClusterLocation.offset(m.location()));
                    }
                });
                Map<Long, BitSet> ofSnapshots = new HashMap<>();
                for (Map.Entry<VolumeHeader.Snapshot, Set<Long>> e : compactable.entrySet()) {
                    Set<Long> mine = new HashSet<>(wanted);
                    mine.retainAll(e.getValue());
                    if (mine.isEmpty()) continue;
                    for (Map.Entry<Long, BitSet> b : refs.offsets(committed, e.getKey(), mine).entrySet()) {
                        ofSnapshots.computeIfAbsent(b.getKey(), k -> new BitSet(scoClusters)).or(b.getValue());
                        heldBy.computeIfAbsent(b.getKey(), k -> new HashSet<>()).add(e.getKey());
                    }
                }
                for (long n : wanted) {
                    BitSet all = union.computeIfAbsent(n, k -> new BitSet(scoClusters));
                    BitSet snaps = ofSnapshots.getOrDefault(n, new BitSet());
                    all.or(snaps);
                    if (all.cardinality() <= maxLiveRatio * scoClusters) {
                        candidates.add(new long[] {n, all.cardinality()});
                        keptForSnapshots.put(n, snaps);
                    }
                }
            }
            candidates.sort(Comparator.comparingLong(c -> c[1]));
            Set<Long> victims = new HashSet<>();
            for (int i = 0; i < Math.min(maxVictims, candidates.size()); i++) victims.add(candidates.get(i)[0]);
            keptForSnapshots.keySet().retainAll(victims);
            examined.addAndGet(examinedNow);
            if (victims.isEmpty()) return new Volume.ScrubResult(0, 0, 0, examinedNow, 0);

            Relocations moves = new Relocations(victims, scoClusters);
            List<Long> addresses = new ArrayList<>();
            forEachMapping(clusters, false, (a, m) -> {
                if (moves.inVictim(m.location())) addresses.add(a);
            });
            long moved = 0;
            passClusters = addresses.size();
            for (BitSet b : keptForSnapshots.values()) passClusters += b.cardinality();
            passMoved = 0;
            ByteBuffer buf = ByteBuffer.allocate(CLUSTER);
            for (long a : addresses) {
                if (stopping) return stoppedForShutdown(victims, moved, examinedNow);
                owner.waitForDirtyBudget();
                try (StripeLocks.Held held = stripes.lock(a, 1)) {
                    ClusterMap.Mapping m = map.get(a);
                    if (m == null || !moves.inVictim(m.location())) continue; // rewritten meanwhile
                    buf.clear();
                    reader.readClusters(a, 1, buf.duplicate());
                    owner.append(a, buf.duplicate());
                    ClusterMap.Mapping now = map.get(a); // under the stripe lock: the copy just appended
                    moves.put(m.location(), now.location(), now.crc());
                    moved++;
                    passMoved = moved;
                    movedTotal++;
                }
            }
            // what only snapshots reference: copied as RELOCATED clusters (no address), a run of adjacent ones per
            // read; a cluster the map's move already copied is not copied twice
            Set<String> rewrite = new HashSet<>();
            if (!keptForSnapshots.isEmpty()) {
                ByteBuffer run = ByteBuffer.allocate(RELOCATION_RUN * CLUSTER);
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                for (Map.Entry<Long, BitSet> e : keptForSnapshots.entrySet()) {
                    long n = e.getKey();
                    BitSet need = e.getValue();
                    for (int o = need.nextSetBit(0); o >= 0; ) {
                        if (stopping) return stoppedForShutdown(victims, moved, examinedNow);
                        int end = o + 1;
                        while (end < scoClusters && end - o < RELOCATION_RUN && need.get(end)) end++;
                        run.clear();
                        reader.readOwn(ClusterLocation.of(0, n, o), end - o, run.duplicate());
                        for (int k = o; k < end; k++) {
                            long from = ClusterLocation.of(0, n, k);
                            if (moves.moved(from)) continue;
                            owner.waitForDirtyBudget();
                            ByteBuffer cluster = run.slice((k - o) * CLUSTER, CLUSTER);
                            crc.reset();
                            crc.update(cluster.duplicate());
                            moves.put(from, owner.relocate(from, cluster, (int) crc.getValue()), (int) crc.getValue());
                            moved++;
                            passMoved = moved;
                            movedTotal++;
                        }
                        o = need.nextSetBit(end);
                    }
                    for (VolumeHeader.Snapshot sn : heldBy.getOrDefault(n, Set.of())) rewrite.add(sn.name());
                }
            }
            if (moved > 0) {
                owner.flush();
                owner.syncToBackend(300_000); // the copies are committed: LMDB no longer needs the victims
            }
            if (stopping) return new Volume.ScrubResult(victims.size(), moved, 0, examinedNow, 0);
            if (!rewrite.isEmpty()) {
                try {
                    owner.rewriteSnapshots(rewrite, moves);
                } catch (ObjectStore.FencedException e) {
                    throw e;
                } catch (IOException | RuntimeException e) { // the victims they reference stay (checked below)
                    log.warn("volume {}: rewriting the maps of snapshot(s) {} failed ({}); the SCOs they reference "
                            + "are kept", name, rewrite, e.toString());
                }
            }
            // a snapshot cut while clusters were moved may reference a victim: its TLogs were committed by now
            Set<Long> stillReferenced = new HashSet<>(owner.retainedScos());
            // the size now, not at the pass's start: a resize plus a copy into the new space during the pass may
            // reference a victim from beyond the old end
            forEachMapping(headers.header().sizeBytes() / CLUSTER, true, (a, m) -> {
                long n = ClusterLocation.sco(m.location());
                if (victims.contains(n)) stillReferenced.add(n);
            });
            int deleted = 0;
            long freed = 0;
            for (long number : victims) {
                if (stillReferenced.contains(number)) continue; // a copy made meanwhile: try again next pass
                reader.scoDeletedByScrub(); // first: a read failing from here on knows to look up again
                ScoCache.Sco cached = scos.get(number);
                if (cached != null) scos.remove(cached);
                String object = ObjectNames.sco(committed.scoEpoch(number), number, 0);
                long size = store.size(object);
                store.delete(object);
                freed += size;
                deleted++;
            }
            reclaimed.addAndGet(freed);
            log.info("volume {}: scrubbed {} SCO(s) ({} live cluster(s) moved, snapshot map(s) of {} rewritten), {} "
                    + "deleted", name, victims.size(), moved, rewrite, deleted);
            return new Volume.ScrubResult(victims.size(), moved, deleted, examinedNow, freed);
        } catch (ObjectStore.FencedException e) {
            halt.accept(e);
            throw e;
        } finally {
            passClusters = 0;
            passMoved = 0;
            passes++;
            passLock.unlock();
        }
    }

    private Volume.ScrubResult stoppedForShutdown(Set<Long> victims, long moved, long examinedNow) {
        log.info("volume {}: scrub pass stopped for shutdown after moving {} cluster(s)", name, moved);
        return new Volume.ScrubResult(victims.size(), moved, 0, examinedNow, 0); // moved = ordinary writes
    }

    /** Passes run; clusters moved in all; clusters the running pass moves and has moved (0, 0 between passes). */
    Volume.ScrubProgress progress() {
        return new Volume.ScrubProgress(passes, movedTotal, passClusters, passMoved);
    }

    /**
     * Calls {@code each} for every mapped cluster: of the current map, or only of what is committed (LMDB). A walk
     * of the mapped clusters (cursor over LMDB plus the overlay), not of the volume's address range.
     */
    private void forEachMapping(long clusters, boolean committedOnly, ClusterMap.MappingVisitor each) {
        if (committedOnly) {
            map.forEachCommitted(clusters, each);
        } else {
            map.forEachCurrent(clusters, each);
        }
    }

    private void backgroundScrub() {
        long committedTlog = headers.header().lastTlogSeq();
        if (owner.stopped() || stopping || committedTlog == scrubbedAtTlog) return; // nothing new
        try {
            scrub(VolumeConfig.SCRUB_MAX_LIVE_RATIO, VolumeConfig.SCRUB_MAX_VICTIMS);
            scrubbedAtTlog = committedTlog;
        } catch (IOException | RuntimeException e) {
            if (!owner.stopped() && !stopping) {
                log.warn("volume {}: scrub pass failed ({}); retried later", name, e.toString());
            }
        }
    }
}
