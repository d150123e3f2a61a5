package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read path: looks clusters up in the {@link ClusterMap}, reads each run within one SCO with one read from the
 * cache or, once evicted, from the local read cache ({@link ClusterCache}) if it holds the whole run, else with one
 * ranged read of the committed SCO object (whose clusters then go into the read cache once checked), and checks
 * every cluster's CRC32C. Unmapped clusters read as zeros. A location of clone depth d &gt; 0 is read from the d-th
 * ancestor's SCO in place (ranged, never through the SCO cache, which holds this volume's own SCOs by number, nor
 * the read cache). A read that races a scrub deleting the SCO it looked up retries with a fresh lookup.
 *
 * <p>Threads and locks: any number of threads at once; it takes no lock of its own (the map's lookup is lock-free,
 * the cache channels allow concurrent positional reads). Callers that need a stable view (read-modify-write, scrub
 * moves) hold the stripe locks of the clusters. A fenced backend read halts the volume.
 */
final class ClusterReader {
    private static final int CLUSTER = Volume.CLUSTER;
    private static final byte[] ZEROS = new byte[CLUSTER];
    private static final Logger log = LoggerFactory.getLogger(ClusterReader.class);

    private final String name;
    private final ClusterMap map;
    private final ScoCache scos;
    /** Clusters of evicted SCOs read before; null = none configured. */
    private final ClusterCache readCache;
    private final ObjectStore store;
    private final Supplier<VolumeHeader> header;
    private final Consumer<Throwable> halt;
    /** Where locations of clone depth 1 and more are read (a clone's ancestors); the cache holds depth 0 only. */
    private final NamespaceMap ancestors;
    /** SCOs deleted by scrubbing so far; a read that fails while it moves retries (see read). */
    private final AtomicLong scrubDeletions = new AtomicLong();
    /** Clusters read from the local cache and from the backend (metrics: the cache hit ratio). */
    private final java.util.concurrent.atomic.LongAdder cacheHits = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder cacheMisses = new java.util.concurrent.atomic.LongAdder();

    ClusterReader(String name, ClusterMap map, ScoCache scos, ClusterCache readCache, ObjectStore store,
                  Supplier<VolumeHeader> header, Consumer<Throwable> halt) {
        this(name, map, scos, readCache, store, header, halt, NamespaceMap.NONE);
    }

    ClusterReader(String name, ClusterMap map, ScoCache scos, ClusterCache readCache, ObjectStore store,
                  Supplier<VolumeHeader> header, Consumer<Throwable> halt, NamespaceMap ancestors) {
        this.ancestors = ancestors;
        this.name = name;
        this.map = map;
        this.scos = scos;
        this.readCache = readCache;
        this.store = store;
        this.header = header;
        this.halt = halt;
    }

    /** Called by a scrub before it deletes a moved SCO: a read failing from then on knows to look up again. */
    void scoDeletedByScrub() {
        scrubDeletions.incrementAndGet();
    }

    /** SCOs deleted by scrubbing so far (metrics). */
    long scrubDeletions() {
        return scrubDeletions.get();
    }

    long cacheHitClusters() {
        return cacheHits.sum();
    }

    long cacheMissClusters() {
        return cacheMisses.sum();
    }

    /** Fills {@code dst} (position to limit) with the bytes at {@code offset}; the caller checked the range. */
    void read(long offset, ByteBuffer dst) throws IOException {
        int len = dst.remaining();
        long first = offset / CLUSTER;
        long end = (offset + len + CLUSTER - 1) / CLUSTER;
        if (offset % CLUSTER == 0 && len % CLUSTER == 0) {
            readClustersRetryingScrub(first, (int) (end - first), dst.duplicate());
        } else {
            ByteBuffer tmp = ByteBuffer.allocate((int) (end - first) * CLUSTER);
            readClustersRetryingScrub(first, (int) (end - first), tmp.duplicate());
            dst.duplicate().put(tmp.slice((int) (offset - first * CLUSTER), len));
        }
        dst.position(dst.limit());
    }

    /**
     * Like {@link #read}, but only if every cluster is local: mapped into an SCO the SCO cache holds, or unmapped.
     * Returns false, having read nothing usable, when some cluster would need the read cache, the backend or an
     * ancestor, or when the read is not cluster-aligned: the caller then reads on its I/O executor. What it does
     * is non-blocking in practice (page-cache reads of local files, no lock), so a receive thread may call it.
     */
    boolean readIfLocal(long offset, ByteBuffer dst) throws IOException {
        int len = dst.remaining();
        if (offset % CLUSTER != 0 || len % CLUSTER != 0) return false;
        long deletions = scrubDeletions.get();
        try {
            if (!readClusters(offset / CLUSTER, len / CLUSTER, dst.duplicate(), true)) return false;
        } catch (IOException e) {
            if (scrubDeletions.get() != deletions) return false; // moved by a scrub: the full read retries
            throw e;
        }
        dst.position(dst.limit());
        return true;
    }

    /**
     * A read that looked its clusters up just before a scrub deleted the SCO they were in fails to read it; the
     * data was moved before the deletion, so a fresh lookup finds it.
     */
    private void readClustersRetryingScrub(long first, int n, ByteBuffer out) throws IOException {
        for (int attempt = 0; ; attempt++) {
            long deletions = scrubDeletions.get();
            try {
                readClusters(first, n, out.duplicate());
                return;
            } catch (IOException e) {
                if (attempt >= 3 || scrubDeletions.get() == deletions) throw e;
            }
        }
    }

    /** Reads {@code n} whole clusters into {@code out} from its position; runs within one SCO are one read. */
    void readClusters(long first, int n, ByteBuffer out) throws IOException {
        readClusters(first, n, out, false);
    }

    /** As above; with {@code localOnly}, returns false at the first run that is not in the SCO cache. */
    private boolean readClusters(long first, int n, ByteBuffer out, boolean localOnly) throws IOException {
        ClusterMap.Mapping[] m = new ClusterMap.Mapping[n];
        map.lookup(first, m);
        int base = out.position();
        // one checksum and one view for the whole call: a run of 256 clusters (1 MiB) made 512 objects before
        CRC32C crc = new CRC32C();
        ByteBuffer view = out.duplicate();
        int i = 0;
        while (i < n) {
            if (m[i] == null) {
                out.put(base + i * CLUSTER, ZEROS); // one bulk copy: a byte-at-a-time loop cost 4096 bounds checks
                i++;
                continue;
            }
            long loc = m[i].location();
            int j = i + 1;
            while (j < n && m[j] != null && ClusterLocation.sco(m[j].location()) == ClusterLocation.sco(loc)
                    && ClusterLocation.offset(m[j].location()) == ClusterLocation.offset(loc) + (j - i)
                    && ClusterLocation.cloneDepth(m[j].location()) == ClusterLocation.cloneDepth(loc)) {
                j++;
            }
            ByteBuffer run = out.slice(base + i * CLUSTER, (j - i) * CLUSTER);
            long fromBackend = readRun(m, i, j - i, run, localOnly);
            if (fromBackend == NOT_LOCAL) return false;
            for (int k = i; k < j; k++) {
                crc.reset();
                crc.update(view.position(0).limit(base + (k + 1) * CLUSTER).position(base + k * CLUSTER));
                if ((int) crc.getValue() != m[k].crc()) {
                    log.error("volume {}: cluster {} at {} fails its CRC32C check (stored {}, read {})", name,
                            first + k, ClusterLocation.toString(m[k].location()), Integer.toHexString(m[k].crc()),
                            Integer.toHexString((int) crc.getValue()));
                    throw new CorruptClusterException("cluster " + (first + k) + " of volume " + name
                            + " fails its CRC check");
                }
            }
            if (fromBackend >= 0 && readCache != null) {
                for (int k = i; k < j; k++) readCache.put(fromBackend, m[k].location(), run, (k - i) * CLUSTER);
            }
            i = j;
        }
        return true;
    }

    /** readRun with localOnly: the run is not in the SCO cache (nothing was read). */
    private static final long NOT_LOCAL = -2;

    /**
     * Reads the run {@code m[from..from+clusters)} (adjacent clusters of one SCO) into {@code dst}; returns the SCO's
     * epoch if the bytes came from the backend (for the read cache, once checked), else -1.
     */
    private long readRun(ClusterMap.Mapping[] m, int from, int clusters, ByteBuffer dst, boolean localOnly)
            throws IOException {
        long loc = m[from].location();
        long number = ClusterLocation.sco(loc);
        long pos = (long) ClusterLocation.offset(loc) * CLUSTER;
        int depth = ClusterLocation.cloneDepth(loc);
        if (localOnly && depth > 0) return NOT_LOCAL;
        if (depth > 0) { // an ancestor's sealed SCO, read in place; the SCO cache is keyed by this volume's numbers
            NamespaceMap.Namespace ns = ancestors.at(depth);
            long e = ns.scoEpoch(number);
            if (e < 0) {
                throw new IOException("SCO " + number + " of volume " + ns.ancestor.volume() + " (clone depth "
                        + depth + " of volume " + name + ") is not committed");
            }
            ns.store.get(ObjectNames.sco(e, number, 0), pos, clusters * CLUSTER, dst.duplicate());
            return -1; // not put in the read cache: it holds this volume's own SCOs' clusters
        }
        if (readFromScoCache(number, pos, dst.duplicate())) {
            cacheHits.add(clusters);
            return -1;
        }
        if (localOnly) return NOT_LOCAL;
        long scoEpoch = header.get().scoEpoch(number);
        if (scoEpoch < 0) {
            throw new IOException("SCO " + number + " of volume " + name + " is neither cached nor committed");
        }
        if (readCache != null && readCached(scoEpoch, m, from, clusters, dst)) {
            return -1;
        }
        readCommitted(scoEpoch, number, pos, clusters * CLUSTER, dst.duplicate());
        cacheMisses.add(clusters);
        return scoEpoch;
    }

    /** Fills {@code dst} from this volume's SCO {@code number} at {@code pos} if the SCO cache holds it. */
    private boolean readFromScoCache(long number, long pos, ByteBuffer dst) throws IOException {
        ScoCache.Sco sco = scos.get(number);
        if (sco == null) return false;
        // a sealed SCO's runs are copied from its map: one copy, no system call (ScoMapping says why)
        if (sco.state != ScoCache.State.OPEN && sco.mapping.read(sco.channel, sco.bytes, pos, dst)) return true;
        try {
            for (long p = pos; dst.hasRemaining(); ) {
                int r = sco.channel.read(dst, p);
                if (r < 0) throw new IOException("SCO " + number + " of volume " + name + " is truncated");
                p += r;
            }
            return true;
        } catch (ClosedChannelException e) {
            return false; // evicted meanwhile: it is in the backend
        }
    }

    /** A ranged read of this volume's committed SCO object; a fenced backend halts the volume. */
    private void readCommitted(long scoEpoch, long number, long pos, int bytes, ByteBuffer dst) throws IOException {
        try {
            store.get(ObjectNames.sco(scoEpoch, number, 0), pos, bytes, dst);
        } catch (ObjectStore.FencedException e) {
            halt.accept(e);
            throw e;
        }
    }

    /**
     * Reads {@code clusters} adjacent clusters of this volume's own SCOs from {@code location} on into {@code dst}
     * (the SCO cache, else the committed object), unchecked: a scrub copying what only snapshots reference checks
     * each cluster against the CRC the snapshot's map records before the copy is used.
     */
    void readOwn(long location, int clusters, ByteBuffer dst) throws IOException {
        long number = ClusterLocation.sco(location);
        long pos = (long) ClusterLocation.offset(location) * CLUSTER;
        ByteBuffer d = dst.duplicate().limit(dst.position() + clusters * CLUSTER);
        if (readFromScoCache(number, pos, d.duplicate())) return;
        long scoEpoch = header.get().scoEpoch(number);
        if (scoEpoch < 0) throw new IOException("SCO " + number + " of volume " + name + " is not committed");
        readCommitted(scoEpoch, number, pos, clusters * CLUSTER, d);
    }

    /** The whole run from the read cache, or false (then the backend is read for all of it: one ranged read). */
    private boolean readCached(long scoEpoch, ClusterMap.Mapping[] m, int from, int clusters, ByteBuffer dst) {
        for (int k = 0; k < clusters; k++) {
            ClusterMap.Mapping c = m[from + k];
            if (!readCache.read(scoEpoch, c.location(), c.crc(), dst.slice(k * CLUSTER, CLUSTER))) return false;
        }
        return true;
    }

    /** Read-cache hits and misses so far (metrics); zeros without a read cache. */
    long readCacheHits() {
        return readCache == null ? 0 : readCache.hits();
    }

    long readCacheMisses() {
        return readCache == null ? 0 : readCache.misses();
    }

    void close() {
        if (readCache == null) return;
        try {
            readCache.close();
        } catch (IOException e) {
            log.debug("volume {}: closing the read cache: {}", name, e.toString()); // nothing in it is state
        }
    }
}
