package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.TLogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The open SCO and appends (after volumedriver's DataStoreNG): whole clusters go into the open SCO, their TLog
 * entries into the open TLog, their new locations into the map's overlay; a full SCO is sealed (SCO_SEALED entry)
 * and, once the TLog has its SCOs, the TLog rolls.
 *
 * <p>An append is all or nothing: the TLog append (which the writer truncates back on failure) comes before the
 * SCO's slots and CRC advance and before the overlay shows anything, so after a failure the slots just written are
 * free and the next write reuses them.
 *
 * <p>Threads: every method is called with the volume's append lock held.
 */
final class DataStore {
    private static final int CLUSTER = Volume.CLUSTER;

    /** Closes the open TLog (sealing a non-empty open SCO first) and queues it for upload. */
    interface Roller {
        void roll() throws IOException;
    }

    private final ScoCache scos;
    private final ClusterMap map;
    private final TLogSequence tlogs;
    private final DirtyBudget dirty;
    private final long epoch;
    private final int scoClusters;
    private final int scosPerTlog;
    private ScoCache.Sco openSco;
    private int openScoClusters;
    private CRC32C openScoCrc;
    private long nextSco;
    /** Sealed SCOs the next flush fsyncs. */
    private final List<ScoCache.Sco> unsynced = new ArrayList<>();

    DataStore(ScoCache scos, ClusterMap map, TLogSequence tlogs, DirtyBudget dirty, long epoch, int scoClusters,
              int scosPerTlog) {
        this.scos = scos;
        this.map = map;
        this.tlogs = tlogs;
        this.dirty = dirty;
        this.epoch = epoch;
        this.scoClusters = scoClusters;
        this.scosPerTlog = scosPerTlog;
    }

    /** The number the next SCO gets (called once, by the volume's start). */
    void start(long firstSco) {
        this.nextSco = firstSco;
    }

    /**
     * Appends {@code n} whole clusters of {@code data} (from {@code base}, with their CRC32Cs) at address
     * {@code first}; {@code roller} closes the TLog when it has its SCOs.
     */
    void append(long first, ByteBuffer data, int n, int base, int[] crcs, Roller roller) throws IOException {
        int done = 0;
        while (done < n) {
            if (openSco != null && openScoClusters == scoClusters) {
                sealAndMaybeRoll(roller); // an earlier seal or roll failed and was undone: it comes first
            }
            openIfNone();
            int k = Math.min(scoClusters - openScoClusters, n - done);
            ByteBuffer w = data.slice(base + done * CLUSTER, k * CLUSTER);
            long pos = (long) openScoClusters * CLUSTER;
            while (w.hasRemaining()) pos += openSco.channel.write(w, pos);
            ByteBuffer entries = ByteBuffer.allocate(k * TLogEntry.SIZE);
            ClusterMap.Mapping[] mappings = new ClusterMap.Mapping[k];
            for (int i = 0; i < k; i++) {
                int crc = crcs[done + i];
                long loc = ClusterLocation.of(0, openSco.number, openScoClusters + i);
                mappings[i] = map.written(loc, crc);
                TLogEntry.write(first + done + i, loc, mappings[i].crc()).writeTo(entries);
            }
            // all or nothing (TLogWriter undoes a partial append); until it succeeds nothing else has changed,
            // so the SCO slots just written stay free and the next write reuses them
            tlogs.append(entries.flip());
            for (int i = 0; i < k; i++) updateScoCrc(openScoCrc, crcs[done + i]);
            for (int i = 0; i < k; i++) map.put(first + done + i, mappings[i]);
            openScoClusters += k;
            openSco.bytes = (long) openScoClusters * CLUSTER;
            dirty.add((long) k * CLUSTER);
            tlogs.counted(k);
            done += k;
            if (openScoClusters == scoClusters) sealAndMaybeRoll(roller);
        }
    }

    /**
     * Appends one cluster for snapshots only (a scrub moving what a snapshot still references out of an SCO it
     * collects): into the open SCO, with a RELOCATED entry naming where it came from, and no change to the map.
     * Returns its new location.
     */
    long relocate(long from, ByteBuffer cluster, int crc, Roller roller) throws IOException {
        if (openSco != null && openScoClusters == scoClusters) sealAndMaybeRoll(roller);
        openIfNone();
        long pos = (long) openScoClusters * CLUSTER;
        ByteBuffer w = cluster.duplicate();
        while (w.hasRemaining()) pos += openSco.channel.write(w, pos);
        long loc = ClusterLocation.of(0, openSco.number, openScoClusters);
        ByteBuffer entry = ByteBuffer.allocate(TLogEntry.SIZE);
        TLogEntry.relocated(from, loc, crc).writeTo(entry);
        tlogs.append(entry.flip()); // all or nothing, as in append: until it succeeds the slot stays free
        updateScoCrc(openScoCrc, crc);
        openScoClusters++;
        openSco.bytes = (long) openScoClusters * CLUSTER;
        dirty.add(CLUSTER);
        tlogs.counted(1);
        if (openScoClusters == scoClusters) sealAndMaybeRoll(roller);
        return loc;
    }

    private void openIfNone() throws IOException {
        if (openSco == null) {
            openSco = scos.create(epoch, nextSco, (long) scoClusters * CLUSTER);
            nextSco++;
            openScoClusters = 0;
            openScoCrc = new CRC32C();
        }
    }

    private void sealAndMaybeRoll(Roller roller) throws IOException {
        seal();
        if (tlogs.scoCount() >= scosPerTlog) roller.roll();
    }

    /** Seals the open SCO if it holds clusters (a roll seals a partly filled SCO). */
    void sealIfNotEmpty() throws IOException {
        if (openSco != null && openScoClusters > 0) seal();
    }

    private void seal() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(TLogEntry.SIZE);
        TLogEntry.scoSealed(openSco.number, openScoClusters, (int) openScoCrc.getValue()).writeTo(b);
        tlogs.append(b.flip());
        openSco.state = ScoCache.State.SEALED;
        if (openScoClusters < scoClusters) scos.releaseReserved(openSco);
        tlogs.sealed(openSco);
        unsynced.add(openSco);
        openSco = null;
    }

    /** After a failed append on a full disk: the open SCO is cut back to the clusters in use. */
    void truncateToUsed() throws IOException {
        if (openSco != null) openSco.channel.truncate((long) openScoClusters * CLUSTER);
    }

    /** Adds the SCOs a flush must fsync (sealed since the last flush, and the open one) to {@code out}. */
    void takeUnsynced(List<ScoCache.Sco> out) {
        out.addAll(unsynced);
        unsynced.clear();
        if (openSco != null) out.add(openSco);
    }

    /** Adds what {@link #takeUnsynced} is about to take, as DTL extents, to {@code out}; call it first. */
    void dtlExtents(List<io.stowage.volume.dtl.Extent> out) {
        for (ScoCache.Sco s : unsynced) out.add(scoExtent(s, true));
        if (openSco != null) out.add(scoExtent(openSco, false));
    }

    static io.stowage.volume.dtl.Extent scoExtent(ScoCache.Sco s, boolean complete) {
        return new io.stowage.volume.dtl.Extent(io.stowage.volume.dtl.Extent.Kind.SCO, s.number, s.file, s.channel,
                s.bytes, complete, () -> s.state == ScoCache.State.UPLOADED);
    }

    /** An SCO's CRC (in its SCO_SEALED entry) is the CRC32C of its clusters' CRC32Cs, in order: one pass of data. */
    static void updateScoCrc(CRC32C scoCrc, int clusterCrc) {
        scoCrc.update(clusterCrc >>> 24);
        scoCrc.update(clusterCrc >>> 16);
        scoCrc.update(clusterCrc >>> 8);
        scoCrc.update(clusterCrc);
    }
}
