package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.log.TLogReader;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.Arrays;
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
 * referenced SCO.
 *
 * <p>Threads: {@link #of} from the scrubber, {@link #forget} from a snapshot delete; the cache is concurrent.
 */
final class SnapshotReferences {
    /** Addresses replayed per pass over the TLogs: an 8 MiB array. */
    static final int CHUNK = 1 << 20;

    private final String volume;
    private final ObjectStore store;
    private final Map<VolumeHeader.Snapshot, Set<Long>> bySnapshot = new ConcurrentHashMap<>();

    SnapshotReferences(String volume, ObjectStore store) {
        this.volume = volume;
        this.store = store;
    }

    /** SCO numbers any snapshot of {@code header} references. */
    Set<Long> of(VolumeHeader header) throws IOException {
        Set<Long> all = new HashSet<>();
        for (VolumeHeader.Snapshot s : header.retention().snapshots()) all.addAll(of(header, s));
        bySnapshot.keySet().retainAll(header.retention().snapshots()); // deleted or rolled away
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
    }

    private Set<Long> compute(VolumeHeader header, VolumeHeader.Snapshot s) throws IOException {
        Set<Long> scos = new HashSet<>();
        VolumeHeader.Checkpoint base = header.baseOf(s);
        List<VolumeHeader.TLogRecord> tlogs = header.tlogsBetween(base == null ? 0 : base.seq(), s.seq());
        long clusters = header.sizeBytes() / Volume.CLUSTER; // volumes only grow: covers the size at the snapshot
        long[] at = new long[(int) Math.max(1, Math.min(CHUNK, clusters))];
        for (long from = 0; from < clusters; from += CHUNK) {
            long start = from;
            int n = (int) Math.min(CHUNK, clusters - from);
            Arrays.fill(at, 0, n, ClusterLocation.NONE);
            if (base != null) {
                MetadataCheckpoint.read(store, ObjectNames.checkpoint(base.epoch(), base.seq()), base,
                        (address, location, crc) -> set(at, start, n, clusters, address, location, scos));
            }
            for (VolumeHeader.TLogRecord r : tlogs) {
                String object = ObjectNames.tlog(r.epoch(), r.seq());
                for (TLogEntry e : TLogReader.readCommitted(store.getAll(object), object + " of volume " + volume)) {
                    if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.REMAP) {
                        set(at, start, n, clusters, e.address(), e.value(), scos);
                    } else if (e.type() == TLogEntry.DISCARD) {
                        long lo = Math.max(e.address(), start);
                        long hi = Math.min(e.address() + e.value(), start + n);
                        if (lo < hi) Arrays.fill(at, (int) (lo - start), (int) (hi - start), ClusterLocation.NONE);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                if (at[i] != ClusterLocation.NONE) scos.add(ClusterLocation.sco(at[i]));
            }
        }
        return scos;
    }

    /**
     * Records {@code location} for {@code address} if it is in this chunk; one beyond the volume's size (never
     * written by a correct engine) is kept outright, which can only keep more.
     */
    private static void set(long[] at, long start, int n, long clusters, long address, long location,
                            Set<Long> scos) {
        if (address >= start && address < start + n) {
            at[(int) (address - start)] = location;
        } else if ((address < 0 || address >= clusters) && location != ClusterLocation.NONE) {
            scos.add(ClusterLocation.sco(location));
        }
    }
}
