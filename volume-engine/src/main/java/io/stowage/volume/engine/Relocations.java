package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where one scrub pass copied the clusters of the SCOs it collects (its victims): old location → new location, with
 * the CRC32C of the copied data. The current map's clusters get theirs as they are rewritten; what only snapshots
 * reference gets theirs from RELOCATED appends; a snapshot's map is then rewritten through {@link #relocate}.
 *
 * <p>Memory: two arrays of {@code sco-size} clusters per victim (12 bytes per cluster: at most 64 victims of 16384
 * clusters, 12 MiB); it lives for one pass. Threads: the scrub pass's only.
 */
final class Relocations implements MetadataCheckpoint.Relocation {
    private final int scoClusters;
    private final Map<Long, long[]> to = new HashMap<>();
    private final Map<Long, int[]> crcs = new HashMap<>();

    Relocations(Set<Long> victims, int scoClusters) {
        this.scoClusters = scoClusters;
        for (long n : victims) {
            long[] l = new long[scoClusters];
            Arrays.fill(l, ClusterLocation.NONE);
            to.put(n, l);
            crcs.put(n, new int[scoClusters]);
        }
    }

    /** Whether {@code location} (clone depth 0) is in a victim. */
    boolean inVictim(long location) {
        return ClusterLocation.cloneDepth(location) == 0 && to.containsKey(ClusterLocation.sco(location));
    }

    /** Whether the cluster at {@code location} (in a victim) has been copied. */
    boolean moved(long location) {
        return to.get(ClusterLocation.sco(location))[ClusterLocation.offset(location)] != ClusterLocation.NONE;
    }

    /** Records that the cluster at {@code from} (in a victim) now also lives at {@code location}, data CRC {@code crc}. */
    void put(long from, long location, int crc) {
        int o = ClusterLocation.offset(from);
        to.get(ClusterLocation.sco(from))[o] = location;
        crcs.get(ClusterLocation.sco(from))[o] = crc;
    }

    /**
     * A mapping's location in a rewritten snapshot map: its copy if it was in a victim (the copy's data must have the
     * CRC the map records), else unchanged. A victim's cluster without a copy fails the rewrite: the snapshot would
     * point into an SCO about to be deleted.
     */
    @Override
    public long apply(long location, int crc) throws IOException {
        if (location == ClusterLocation.NONE || !inVictim(location)) return location;
        int o = ClusterLocation.offset(location);
        long moved = o < scoClusters ? to.get(ClusterLocation.sco(location))[o] : ClusterLocation.NONE;
        if (moved == ClusterLocation.NONE) {
            throw new IOException("cluster " + ClusterLocation.toString(location) + " was not copied by this pass");
        }
        if (crcs.get(ClusterLocation.sco(location))[o] != crc) {
            throw new CorruptClusterException("the copy of cluster " + ClusterLocation.toString(location)
                    + " does not have the CRC the snapshot's map records");
        }
        return moved;
    }
}
