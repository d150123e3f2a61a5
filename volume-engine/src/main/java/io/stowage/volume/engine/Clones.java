package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.Backend;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thin clones (after volumedriver's {@code cloneFromParentSnapshot}): a clone of {@code parent@snapshot} is a new
 * volume whose map is the snapshot's map with every location one clone depth deeper, so its untouched clusters are
 * read from its ancestors' SCOs in place ({@link NamespaceMap}); its own writes go to its own namespace (depth 0).
 * No data is copied: creating one replays the snapshot's base checkpoint and TLogs ({@link TLogReplayer}, as a
 * rollback does) into a scratch map, writes it as the clone's first metadata checkpoint and commits the clone's
 * header, which names the parent, the snapshot and the parent's own lineage.
 *
 * <p>Order, so that a crash leaves no half clone: (1) the snapshot's clone count goes up in the parent's header,
 * so from then on the snapshot cannot be deleted, rolled away, nor its map rewritten by a scrub's compaction;
 * (2) the seed checkpoint, from the snapshot as the header names it after (1), is put in the clone's namespace
 * (no header names it: it is not a volume yet, and a later create removes it); (3) the clone's header is
 * committed: the commit point. A failure the engine sees undoes (1); a crash between (1) and (3) leaves the
 * snapshot counted one clone too many (deletion refused: the safe side) until {@link #recount}.
 *
 * <p>The parent's header is changed through its own header writer if the parent is open in this engine, else by a
 * compare-and-swap on the stored header (owner epoch and last TLog unchanged). A parent open on another node must
 * be cloned through that node: its header writer would not see the count.
 *
 * <p>Threads: any; operations on one parent are serialised by the parent's snapshot lock (open) or the header's
 * compare-and-swap (closed, retried).
 */
final class Clones {
    private static final Logger log = LoggerFactory.getLogger(Clones.class);
    /** A location holds the clone depth in 8 bits. */
    static final int MAX_DEPTH = 0xFF;

    /** The open volumes of this engine, by name (null if not open here). */
    interface OpenVolumes {
        Volume open(String name);
    }

    private final Backend backend;
    private final Path cacheRoot;
    private final OpenVolumes opened;

    Clones(Backend backend, Path cacheRoot, OpenVolumes opened) {
        this.backend = backend;
        this.cacheRoot = cacheRoot;
        this.opened = opened;
    }

    /** Creates volume {@code clone} from {@code parent@snapshot}; see the class comment. */
    void create(String parent, String snapshot, String clone) throws IOException {
        long t0 = System.nanoTime();
        Snapshots.validate(snapshot);
        ObjectStore cloneStore = backend.volume(clone);
        if (cloneStore.readHeader().isPresent()) throw new IllegalStateException("volume '" + clone + "' already exists");
        ObjectStore parentStore = backend.volume(parent);
        VolumeHeader p = parentHeader(parent, parentStore);
        VolumeHeader.Snapshot s = p.snapshot(snapshot);
        Volume open = opened.open(parent);
        if (s == null && open != null) { // cut but not committed yet: committed by the count below
            p = open.snapshots().countClone(snapshot, 0);
            s = p.snapshot(snapshot);
        }
        if (s == null) {
            throw new Snapshots.SnapshotRefusedException(Snapshots.Refusal.NOT_FOUND, "volume " + parent
                    + " has no snapshot '" + snapshot + "'");
        }
        if (p.lineage().size() + 1 > MAX_DEPTH) {
            throw new IllegalStateException("volume " + parent + " is a clone " + p.lineage().size()
                    + " deep: a clone of it would be deeper than " + MAX_DEPTH);
        }
        // counted first: from here the snapshot cannot be deleted, rolled away, nor its map rewritten by a scrub
        // (all under the parent's snapshot lock), so the map seeded below is the one that stays valid
        count(parent, snapshot, p.uuid(), 1);
        VolumeHeader.Checkpoint seed = null;
        VolumeHeader.Snapshot counted = s;
        try {
            Path scratch = cacheRoot.resolve(clone + ".seed");
            for (int attempt = 0; ; attempt++) {
                VolumeHeader now = open != null ? open.header() : parentHeader(parent, parentStore);
                counted = now.snapshot(snapshot);
                if (counted == null || !now.uuid().equals(p.uuid())) {
                    throw new Snapshots.SnapshotRefusedException(Snapshots.Refusal.NOT_FOUND, "volume " + parent
                            + " has no snapshot '" + snapshot + "' any more");
                }
                p = now;
                VolumeLoader.deleteTree(scratch);
                Files.createDirectories(scratch);
                try {
                    seed = writeSeed(parent, parentStore, p, counted, Math.max(1, counted.seq()), scratch, cloneStore);
                    break;
                } catch (IOException e) {
                    // an open parent committing meanwhile (a checkpoint replacing the snapshot's base) collects
                    // objects the header read before names: read the snapshot again from the new header
                    VolumeHeader after = open != null ? open.header() : parentHeader(parent, parentStore);
                    if (attempt >= 4 || after.equals(p)) throw e;
                    log.info("volume {}: its header changed while clone {} was seeded ({}); seeding again", parent,
                            clone, e.toString());
                } finally {
                    VolumeLoader.deleteTree(scratch);
                }
            }
            List<VolumeHeader.Ancestor> lineage = new ArrayList<>();
            lineage.add(new VolumeHeader.Ancestor(parent, p.uuid(), snapshot, counted.seq()));
            lineage.addAll(p.lineage());
            VolumeHeader h = new VolumeHeader(clone, UUID.randomUUID(), p.sizeBytes(), p.scoClusters(), 0, List.of(),
                    seed, List.of(), 0, VolumeHeader.Retention.NONE, lineage);
            cloneStore.commitHeader(-1, -1, new ObjectStore.VolumeHeaderBytes(0, h.lastTlogSeq(), h.serialize()));
        } catch (IOException | RuntimeException e) {
            try {
                count(parent, snapshot, p.uuid(), -1);
                if (seed != null) cloneStore.delete(ObjectNames.checkpoint(seed.epoch(), seed.seq()));
            } catch (IOException | RuntimeException undo) {
                e.addSuppressed(undo);
                log.warn("volume {}: creating clone {} failed and undoing its count of snapshot {} failed too ({}): "
                        + "the snapshot counts one clone too many until recounted", parent, clone, snapshot,
                        undo.toString());
            }
            throw e;
        }
        VolumeLoader.deleteTree(cacheRoot.resolve(clone)); // a stale cache of an earlier volume of this name
        log.info("volume {} created as a clone of {}@{} (depth {}, {} mappings seeded) in {} ms", clone, parent,
                snapshot, p.lineage().size() + 1, seed.entries(), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * The snapshot's map, one clone depth deeper, as checkpoint {@code seq} of epoch 0 in the clone's namespace
     * (the clone's first open claims epoch 1, so its own objects never share a name with it).
     */
    private static VolumeHeader.Checkpoint writeSeed(String parent, ObjectStore parentStore, VolumeHeader p,
                                                     VolumeHeader.Snapshot s, long seq, Path scratch,
                                                     ObjectStore cloneStore) throws IOException {
        ClusterMap map = new ClusterMap(scratch.resolve("metadata"), ClusterMap.mapSizeFor(p.sizeBytes()));
        try {
            TLogReplayer.rebuildAtSnapshot(parent, parentStore, scratch, p, s, map);
            if (map.corked() != seq) map.apply(seq, List.of());
            Path file = scratch.resolve("checkpoint");
            MetadataCheckpoint.Written w = MetadataCheckpoint.write(map, file, () -> false,
                    (loc, crc) -> loc == ClusterLocation.NONE ? loc : deeper(loc)); // the parent's d is the clone's d + 1
            String object = ObjectNames.checkpoint(0, w.seq());
            if (cloneStore.exists(object)) cloneStore.delete(object); // left by a creation that did not finish
            cloneStore.putExclusive(object, file);
            return new VolumeHeader.Checkpoint(w.seq(), 0, w.entries());
        } finally {
            map.close();
        }
    }

    private static VolumeHeader parentHeader(String parent, ObjectStore store) throws IOException {
        ObjectStore.VolumeHeaderBytes raw = store.readHeader()
                .orElseThrow(() -> new IllegalStateException("volume '" + parent + "' does not exist"));
        return VolumeHeader.parse(raw, parent, store);
    }

    /**
     * Changes the clone count of {@code parent@snapshot} by {@code delta}, if {@code parent} is still the volume of
     * UUID {@code uuid}: through its header writer if it is open here, else by compare-and-swap.
     */
    void count(String parent, String snapshot, UUID uuid, int delta) throws IOException {
        Volume open = opened.open(parent);
        if (open != null) {
            if (!open.header().uuid().equals(uuid)) return;
            open.snapshots().countClone(snapshot, delta);
            return;
        }
        changeClosed(parent, h -> h.uuid().equals(uuid) ? h.withClones(snapshot, delta) : h);
    }

    /** Commits {@code change} to the header of a volume not open here; retried while another commit races it. */
    private void changeClosed(String volume, Function<VolumeHeader, VolumeHeader> change) throws IOException {
        ObjectStore store = backend.volume(volume);
        for (int attempt = 0; ; attempt++) {
            ObjectStore.VolumeHeaderBytes raw = store.readHeader()
                    .orElseThrow(() -> new IllegalStateException("volume '" + volume + "' does not exist"));
            VolumeHeader h = VolumeHeader.parse(raw, volume, store);
            VolumeHeader next = change.apply(h);
            if (next.equals(h)) return;
            try {
                store.commitHeader(raw.epoch(), raw.lastTlog(),
                        new ObjectStore.VolumeHeaderBytes(raw.epoch(), raw.lastTlog(), next.serialize()));
                return;
            } catch (ObjectStore.FencedException e) {
                if (attempt >= 5) throw e; // someone keeps committing: it is open elsewhere
            }
        }
    }

    /**
     * Sets each snapshot's clone count of {@code parent} to the clones that exist (volumes whose lineage names it
     * as their parent): repairs the count a crash during a clone's creation or deletion left too high. Returns the
     * counts, by snapshot.
     */
    Map<String, Integer> recount(String parent) throws IOException {
        ObjectStore store = backend.volume(parent);
        VolumeHeader p = parentHeader(parent, store);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (VolumeHeader.Snapshot s : p.retention().snapshots()) counts.put(s.name(), 0);
        for (String v : backend.volumes()) {
            if (v.equals(parent)) continue;
            ObjectStore.VolumeHeaderBytes raw = backend.volume(v).readHeader().orElse(null);
            if (raw == null) continue;
            VolumeHeader h = VolumeHeader.parse(raw, v, backend.volume(v));
            if (h.lineage().isEmpty()) continue;
            VolumeHeader.Ancestor a = h.lineage().get(0);
            if (a.volume().equals(parent) && a.uuid().equals(p.uuid())) counts.merge(a.snapshot(), 1, Integer::sum);
        }
        for (VolumeHeader.Snapshot s : p.retention().snapshots()) {
            int delta = counts.get(s.name()) - s.clones();
            if (delta != 0) {
                log.info("volume {}: snapshot {} has {} clone(s), counted {}: corrected", parent, s.name(),
                        counts.get(s.name()), s.clones());
                count(parent, s.name(), p.uuid(), delta);
            }
        }
        return counts;
    }

    /** Refuses deleting {@code h}'s volume while a clone reads one of its snapshots. */
    static void checkDeletable(VolumeHeader h) {
        List<VolumeHeader.Snapshot> cloned = h.clonedSnapshots();
        if (!cloned.isEmpty()) {
            throw new Snapshots.SnapshotRefusedException(Snapshots.Refusal.HAS_CLONES, "volume " + h.name()
                    + " has clones of snapshot(s) " + cloned.stream().map(s -> "'" + s.name() + "'").toList()
                    + ": delete them first");
        }
    }

    /** {@code location} as a clone of its volume sees it: one clone depth deeper. */
    static long deeper(long location) {
        return ClusterLocation.of(ClusterLocation.cloneDepth(location) + 1, ClusterLocation.sco(location),
                ClusterLocation.offset(location));
    }
}
