package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * EXTENDED COPY between two volumes of one backend, metadata-only where they share clusters: a clone and its
 * parent, two clones of one snapshot, a clone and its clone. A source cluster at clone depth {@code ds} lives in the
 * SCO of the volume its lineage names at that depth, reached through a snapshot; if the destination is that volume
 * (its own SCO, depth 0) or reaches it through the same snapshot (depth {@code dd}), the destination is remapped to
 * it (a REMAP entry, as a copy within a volume). That snapshot keeps the SCO from the scrubber while either volume
 * needs it through the snapshot, and once the destination's map references it at depth 0 its own scrubber counts it
 * live. The source's own clusters (depth 0) are shared only with its descendants, and only where they lie in an SCO
 * the snapshot the descendant comes from references: the source's scrubber never collects those while the snapshot
 * exists, and the snapshot exists while a clone of it does. Every other source cluster (the source's own data, which
 * only the source's scrubber knows) is copied as data; unmapped source clusters become discards.
 *
 * <p>Threads: as {@link Volume#copyClusters}; not atomic against writes to the source during the copy (which
 * EXTENDED COPY does not promise either).
 */
final class CrossVolumeCopy {
    private static final int BATCH = 256;

    private CrossVolumeCopy() {
    }

    /**
     * Copies {@code count} clusters of {@code from} at {@code src} to {@code to} at {@code dst}; returns false, having
     * done nothing, if the two volumes share no namespace (the caller copies the data).
     */
    static boolean copy(Volume from, Volume to, long src, long dst, long count) throws IOException {
        int[] depths = depthMap(from.header(), to.header());
        // to descends from `from`: its lineage reaches it at this depth, through one of its snapshots
        int descendant = descendantDepth(from.header(), to.header());
        java.util.Set<Long> held = descendant > 0
                ? from.snapshotReferences(to.header().lineage().get(descendant - 1)) : java.util.Set.of();
        boolean shares = !held.isEmpty();
        for (int d : depths) shares |= d >= 0;
        if (!shares) return false;
        if (src < 0 || count < 0 || (src + count) * Volume.CLUSTER > from.info().sizeBytes()) {
            throw new IllegalArgumentException("range " + src + "+" + count + " clusters outside volume " + from.name);
        }
        ClusterMap.Mapping[] got = new ClusterMap.Mapping[BATCH];
        ByteBuffer data = ByteBuffer.allocate(BATCH * Volume.CLUSTER);
        for (long off = 0; off < count; off += BATCH) {
            int n = (int) Math.min(BATCH, count - off);
            ClusterMap.Mapping[] batch = n == BATCH ? got : new ClusterMap.Mapping[n];
            from.map.lookup(src + off, batch);
            boolean copies = false;
            for (int i = 0; i < n; i++) {
                if (batch[i] == null) continue;
                long at = batch[i].location();
                int ds = ClusterLocation.cloneDepth(at);
                int dd = ds > 0 ? depths[ds] : held.contains(ClusterLocation.sco(at)) ? descendant : -1;
                if (dd < 0) {
                    batch[i] = Volume.KEEP; // copied as data below
                    copies = true;
                } else {
                    long loc = batch[i].location();
                    batch[i] = new ClusterMap.Mapping(ClusterLocation.of(dd, ClusterLocation.sco(loc),
                            ClusterLocation.offset(loc)), batch[i].crc());
                }
            }
            to.copyClusters((first, out) -> System.arraycopy(batch, 0, out, 0, out.length), false, src + off,
                    dst + off, n);
            for (int i = 0; copies && i < n; ) {
                if (batch[i] != Volume.KEEP) {
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n && batch[j] == Volume.KEEP) j++;
                ByteBuffer run = data.clear().limit((j - i) * Volume.CLUSTER).slice();
                from.read((src + off + i) * Volume.CLUSTER, run.duplicate());
                to.write((dst + off + i) * Volume.CLUSTER, run, false);
                i = j;
            }
        }
        return true;
    }

    /** The depth at which {@code to}'s lineage names {@code from} (1 = its parent), or 0 if it does not. */
    static int descendantDepth(VolumeHeader from, VolumeHeader to) {
        List<VolumeHeader.Ancestor> tl = to.lineage();
        for (int d = 1; d <= tl.size(); d++) {
            if (tl.get(d - 1).uuid().equals(from.uuid())) return d;
        }
        return 0;
    }

    /**
     * For each clone depth of {@code from} (0 = itself), the depth at which {@code to} reads the same SCOs, or -1:
     * the volume at that depth is {@code to} itself (0), or {@code to} reaches it through the same snapshot.
     * {@code from}'s own SCOs (depth 0) are never shared: only {@code from}'s scrubber knows what it references.
     */
    static int[] depthMap(VolumeHeader from, VolumeHeader to) {
        List<VolumeHeader.Ancestor> fl = from.lineage();
        List<VolumeHeader.Ancestor> tl = to.lineage();
        int[] m = new int[fl.size() + 1];
        m[0] = -1;
        for (int ds = 1; ds <= fl.size(); ds++) {
            VolumeHeader.Ancestor a = fl.get(ds - 1);
            m[ds] = -1;
            if (a.uuid().equals(to.uuid())) {
                m[ds] = 0;
                continue;
            }
            for (int dd = 1; dd <= tl.size(); dd++) {
                VolumeHeader.Ancestor b = tl.get(dd - 1);
                if (a.uuid().equals(b.uuid()) && a.snapshot().equals(b.snapshot()) && a.seq() == b.seq()) {
                    m[ds] = dd;
                    break;
                }
            }
        }
        return m;
    }
}
