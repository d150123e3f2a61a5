package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.log.TLogReader;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SCOs the snapshots reference, for the scrubber: an SCO one of them references is never a victim. A snapshot's
 * references are the SCOs its map points at: its base checkpoint with every WRITE, REMAP and DISCARD of its TLogs
 * after the base replayed onto it. (Counting every WRITE of those TLogs instead kept everything ever written before
 * the newest snapshot, so deleting an older one freed nothing.) The replay runs over {@link #CHUNK} addresses at a
 * time into one array, reading the TLogs once per chunk of the volume's size: memory stays 8 MiB whatever the size.
 * A snapshot never changes, so its set is computed once and kept until it is deleted; memory is one number per
 * referenced SCO. A snapshot whose map a scrub rewrote ({@link VolumeHeader.SnapshotMap}) is read from that one
 * object. Only this volume's own SCOs (clone depth 0) count: an ancestor's SCO is not this volume's to collect.
 *
 * <p>Threads: {@link #of} from the scrubber, {@link #forget} from a snapshot delete; the cache is concurrent.
 */
final class SnapshotReferences {
    /** Addresses replayed per pass over the TLogs: an 8 MiB array. */
    static final int CHUNK = 1 << 20;

    private final String volume;
    private final ObjectStore store;
    private final Map<VolumeHeader.Snapshot, Set<Long>> bySnapshot = new ConcurrentHashMap<>();
    /** Offsets per SCO a snapshot references, for the SCOs a scrub asked about ({@link #offsets}). */
    private final Map<VolumeHeader.Snapshot, Map<Long, BitSet>> offsetsBySnapshot = new ConcurrentHashMap<>();
    private static final BitSet EMPTY = new BitSet();

    SnapshotReferences(String volume, ObjectStore store) {
        this.volume = volume;
        this.store = store;
    }

    /** SCO numbers any snapshot of {@code header} references. */
    Set<Long> of(VolumeHeader header) throws IOException {
        Set<Long> all = new HashSet<>();
        for (VolumeHeader.Snapshot s : header.retention().snapshots()) all.addAll(of(header, s));
        bySnapshot.keySet().retainAll(header.retention().snapshots()); // deleted, rolled away or rewritten
        offsetsBySnapshot.keySet().retainAll(header.retention().snapshots());
        return all;
    }

    /** SCO numbers snapshot {@code s} of {@code header} references (computed once, then kept). */
    Set<Long> of(VolumeHeader header, VolumeHeader.Snapshot s) throws IOException {
        Set<Long> one = bySnapshot.get(s);
        if (one == null) {
            one = compute(header, s);
            bySnapshot.put(s, one);
        }
        return one;
    }

    void forget(VolumeHeader.Snapshot s) {
        bySnapshot.remove(s);
        offsetsBySnapshot.remove(s);
    }

    private Set<Long> compute(VolumeHeader header, VolumeHeader.Snapshot s) throws IOException {
        Set<Long> scos = new HashSet<>();
        replay(header, s, location -> {
            if (ClusterLocation.cloneDepth(location) == 0) scos.add(ClusterLocation.sco(location));
        });
        return scos;
    }

    /**
     * For each of {@code wanted} (SCO numbers of this volume), the offsets in it that snapshot {@code s}'s map
     * points at (only SCOs it references are keys). Kept per snapshot and SCO (a snapshot never changes), pruned to
     * {@code wanted}: memory stays one bit set of {@code sco-size} bits per snapshot and wanted SCO.
     */
    Map<Long, BitSet> offsets(VolumeHeader header, VolumeHeader.Snapshot s, Set<Long> wanted) throws IOException {
        Map<Long, BitSet> known = offsetsBySnapshot.computeIfAbsent(s, k -> new ConcurrentHashMap<>());
        Set<Long> missing = new HashSet<>();
        for (long n : wanted) if (!known.containsKey(n)) missing.add(n);
        if (!missing.isEmpty()) {
            Map<Long, BitSet> found = new HashMap<>();
            replay(header, s, location -> {
                long n = ClusterLocation.sco(location);
                if (missing.contains(n) && ClusterLocation.cloneDepth(location) == 0) {
                    found.computeIfAbsent(n, k -> new BitSet(header.scoClusters())).set(ClusterLocation.offset(location));
                }
            });
            for (long n : missing) known.put(n, found.getOrDefault(n, EMPTY));
        }
        known.keySet().retainAll(wanted);
        Map<Long, BitSet> out = new HashMap<>();
        for (long n : wanted) {
            BitSet b = known.get(n);
            if (b != null && !b.isEmpty()) out.put(n, b);
        }
        return out;
    }

    /** Calls {@code each} with every location (not NONE) of snapshot {@code s}'s map, once per mapped address. */
    private void replay(VolumeHeader header, VolumeHeader.Snapshot s, java.util.function.LongConsumer each)
            throws IOException {
        long clusters = header.sizeBytes() / Volume.CLUSTER; // volumes only grow: covers the size at the snapshot
        if (s.map() != null) { // its own map: the whole map in one object
            MetadataCheckpoint.read(store, s.map().objectName(), s.map().asCheckpoint(s),
                    (address, location, crc) -> {
                        if (location != ClusterLocation.NONE) each.accept(location);
                    });
            return;
        }
        VolumeHeader.Checkpoint base = header.baseOf(s);
        List<VolumeHeader.TLogRecord> tlogs = header.tlogsBetween(base == null ? 0 : base.seq(), s.seq());
        long[] at = new long[(int) Math.max(1, Math.min(CHUNK, clusters))];
        for (long from = 0; from < clusters; from += CHUNK) {
            long start = from;
            int n = (int) Math.min(CHUNK, clusters - from);
            Arrays.fill(at, 0, n, ClusterLocation.NONE);
            if (base != null) {
                MetadataCheckpoint.read(store, ObjectNames.checkpoint(base.epoch(), base.seq()), base,
                        (address, location, crc) -> set(at, start, n, clusters, address, location, each));
            }
            for (VolumeHeader.TLogRecord r : tlogs) {
                String object = ObjectNames.tlog(r.epoch(), r.seq());
                for (TLogEntry e : TLogReader.readCommitted(store.getAll(object), object + " of volume " + volume)) {
                    if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.REMAP) {
                        set(at, start, n, clusters, e.address(), e.value(), each);
                    } else if (e.type() == TLogEntry.DISCARD) {
                        long lo = Math.max(e.address(), start);
                        long hi = Math.min(e.address() + e.value(), start + n);
                        if (lo < hi) Arrays.fill(at, (int) (lo - start), (int) (hi - start), ClusterLocation.NONE);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                if (at[i] != ClusterLocation.NONE) each.accept(at[i]);
            }
        }
    }

    /**
     * Records {@code location} for {@code address} if it is in this chunk; one beyond the volume's size (never
     * written by a correct engine) is kept outright, which can only keep more.
     */
    private static void set(long[] at, long start, int n, long clusters, long address, long location,
                            java.util.function.LongConsumer outside) {
        if (address >= start && address < start + n) {
            at[(int) (address - start)] = location;
        } else if ((address < 0 || address >= clusters) && location != ClusterLocation.NONE) {
            outside.accept(location);
        }
    }
}
