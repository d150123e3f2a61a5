package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.log.TLogReader;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SCOs the snapshots reference, for the scrubber: an SCO one of them references is never a victim. A snapshot's
 * references are those of its base checkpoint plus every WRITE and REMAP of its TLogs after the base (a superset
 * of its map's: a cluster overwritten within those TLogs still counts, which only keeps more). A snapshot never
 * changes, so its set is computed once (reading its checkpoint and TLogs from the store) and kept until it is
 * deleted; memory is one number per referenced SCO.
 *
 * <p>Threads: {@link #of} from the scrubber, {@link #forget} from a snapshot delete; the cache is concurrent.
 */
final class SnapshotReferences {
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
        for (VolumeHeader.Snapshot s : header.retention().snapshots()) {
            Set<Long> one = bySnapshot.get(s);
            if (one == null) {
                one = compute(header, s);
                bySnapshot.put(s, one);
            }
            all.addAll(one);
        }
        bySnapshot.keySet().retainAll(header.retention().snapshots()); // deleted or rolled away
        return all;
    }

    void forget(VolumeHeader.Snapshot s) {
        bySnapshot.remove(s);
    }

    private Set<Long> compute(VolumeHeader header, VolumeHeader.Snapshot s) throws IOException {
        Set<Long> scos = new HashSet<>();
        VolumeHeader.Checkpoint base = header.baseOf(s);
        if (base != null) {
            MetadataCheckpoint.read(store, ObjectNames.checkpoint(base.epoch(), base.seq()), base,
                    (address, location, crc) -> scos.add(ClusterLocation.sco(location)));
        }
        for (VolumeHeader.TLogRecord r : header.tlogsBetween(base == null ? 0 : base.seq(), s.seq())) {
            String object = ObjectNames.tlog(r.epoch(), r.seq());
            for (TLogEntry e : TLogReader.readCommitted(store.getAll(object), object + " of volume " + volume)) {
                if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.REMAP) scos.add(ClusterLocation.sco(e.value()));
            }
        }
        return scos;
    }
}
