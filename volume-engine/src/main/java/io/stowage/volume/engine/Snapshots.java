package io.stowage.volume.engine;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A volume's snapshots (after volumedriver's SnapshotManagement): create, list, delete, rollback. A snapshot is a
 * named cut in the TLog sequence, recorded in the header with the TLog it follows; no data is copied, so creating
 * one costs a TLog roll and one header commit whatever the volume's size. See {@link VolumeHeader} for what a
 * snapshot keeps (its base checkpoint and the TLogs from there to its cut) and docs/volume-engine.md.
 *
 * <p>Threads and locks: every operation may be called from any thread (an admin API); they are serialised by this
 * object's lock. Lock order: the scrubber's pass lock, then this lock, then the volume's I/O gate, then the
 * checkpoint lock, then the append lock; the header lock is taken inside all of them.
 */
public final class Snapshots {
    private static final Logger log = LoggerFactory.getLogger(Snapshots.class);
    /** Names as they may appear in the header and in a URL: letters, digits, {@code . _ - :}; 1 to 64 of them. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

    /**
     * What the list says about one snapshot. {@code onBackend}: committed in the backend's header (until then it is
     * as durable as a flushed write: in the cache, and {@code bytesSincePrevious} is not known yet, -1).
     */
    public record SnapshotInfo(String name, Instant created, long bytesSincePrevious, int clones, long tlogSeq,
                               boolean onBackend) {
        /** A clone depends on it: it cannot be deleted. */
        public boolean hasClones() {
            return clones > 0;
        }
    }

    /** Why an operation was refused (the admin API maps these to its answers). */
    public enum Refusal { INVALID_NAME, EXISTS, NOT_FOUND, HAS_CLONES }

    /** A refused operation: nothing changed. */
    public static final class SnapshotRefusedException extends IllegalArgumentException {
        private final Refusal reason;

        SnapshotRefusedException(Refusal reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Refusal reason() {
            return reason;
        }
    }

    private final Volume volume;
    private final Object lock = new Object();
    /** Cut, not yet committed (the cache's record of them). */
    private final PendingSnapshots pending;
    /** How long create and rollback wait for the uploads before them (a backend outage). */
    volatile long uploadWaitMillis = 60_000;

    Snapshots(Volume volume, PendingSnapshots pending) {
        this.volume = volume;
        this.pending = pending;
    }

    /** The uploader committed snapshot {@code name} with its TLog. */
    void committed(String name) {
        try {
            pending.committed(name);
        } catch (IOException e) {
            // harmless: at the next open a pending entry already in the header is dropped
            log.warn("volume {}: updating {} failed: {}", volume.name, PendingSnapshots.FILE, e.toString());
        }
    }

    static void validate(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new SnapshotRefusedException(Refusal.INVALID_NAME, "invalid snapshot name '" + name
                    + "': 1 to 64 letters, digits, '.', '_', '-' or ':', starting with a letter or digit");
        }
    }

    /**
     * Creates snapshot {@code name} of everything written before this call: closes the open TLog (even an empty one),
     * flushes, and records the snapshot in the cache; it is committed to the backend's header with that TLog, by the
     * uploader (after the uploads queued before it). So it costs a roll and a flush, whatever the volume's size and
     * however far uploads are behind; like a flushed write it survives a crash, and is in the backend (safe from the
     * loss of the node) once {@link SnapshotInfo#onBackend}.
     */
    public SnapshotInfo create(String name) throws IOException {
        validate(name);
        synchronized (lock) {
            if (volume.header().snapshot(name) != null || pending.contains(name)) {
                throw new SnapshotRefusedException(Refusal.EXISTS, "volume " + volume.name + " already has a snapshot '"
                        + name + "'");
            }
            long t0 = System.nanoTime();
            long created = System.currentTimeMillis();
            long seq = volume.cut(new Uploader.Cut(name, created, new CompletableFuture<>()));
            volume.flush(); // the cut's TLogs and SCOs are durable before the snapshot is recorded
            pending.add(new PendingSnapshots.Pending(name, seq, created));
            // the uploader may have committed it already (its callback found nothing pending yet)
            if (volume.header().snapshot(name) != null) pending.committed(name);
            log.info("volume {}: snapshot {} created at TLog {} in {} ms", volume.name, name, seq,
                    (System.nanoTime() - t0) / 1_000_000);
            return find(name);
        }
    }

    /** The snapshots, oldest cut first (those not yet committed last). */
    public List<SnapshotInfo> list() {
        List<SnapshotInfo> out = new ArrayList<>();
        long previous = 0;
        // pending first, then the header: the uploader commits a snapshot before it drops it from pending, so one
        // committed in between is in this header (read later), never missing from both
        List<PendingSnapshots.Pending> cut = pending.all();
        VolumeHeader h = volume.header();
        for (VolumeHeader.Snapshot s : h.retention().snapshots()) {
            out.add(new SnapshotInfo(s.name(), Instant.ofEpochMilli(s.createdMillis()), s.writtenBytes() - previous,
                    s.clones(), s.seq(), true));
            previous = s.writtenBytes();
        }
        for (PendingSnapshots.Pending p : cut) {
            if (h.snapshot(p.name()) == null) {
                out.add(new SnapshotInfo(p.name(), Instant.ofEpochMilli(p.createdMillis()), -1, 0, p.seq(), false));
            }
        }
        return out;
    }

    private SnapshotInfo find(String name) {
        for (SnapshotInfo i : list()) if (i.name().equals(name)) return i;
        throw new SnapshotRefusedException(Refusal.NOT_FOUND, "volume " + volume.name + " has no snapshot '" + name + "'");
    }

    private VolumeHeader.Snapshot existing(VolumeHeader h, String name) {
        validate(name);
        VolumeHeader.Snapshot s = h.snapshot(name);
        if (s == null) {
            throw new SnapshotRefusedException(Refusal.NOT_FOUND, "volume " + volume.name + " has no snapshot '"
                    + name + "'");
        }
        return s;
    }

    /**
     * Deletes snapshot {@code name}: one header commit; the TLogs it needed become the next snapshot's where that one
     * needs them, the rest (and a base checkpoint no snapshot uses any more) are deleted, and the data only it kept
     * becomes collectable by the scrubber. Refused while a clone depends on it.
     */
    public void delete(String name) throws IOException {
        synchronized (lock) {
            validate(name);
            if (volume.header().snapshot(name) == null && pending.contains(name)) {
                volume.syncToBackend(uploadWaitMillis); // it is deleted from the header: it must be there first
            }
            VolumeHeader.Snapshot s = existing(volume.header(), name);
            if (s.clones() > 0) {
                throw new SnapshotRefusedException(Refusal.HAS_CLONES, "snapshot '" + name + "' of volume "
                        + volume.name + " has " + s.clones() + " clone(s): delete them first");
            }
            VolumeHeader before = volume.headers.commit(h -> h.withoutSnapshot(name));
            int deleted = Checkpoints.deleteDropped(volume.store, before, before.withoutSnapshot(name));
            volume.retainedScos.forget(s);
            log.info("volume {}: snapshot {} deleted ({} object(s) no snapshot needs collected)", volume.name, name,
                    deleted);
        }
    }

    /**
     * Counts a clone made of snapshot {@code name} ({@code delta} 1) or deleted (-1), committed in the header under
     * this lock, so a delete or rollback never misses it; the snapshot is committed to the backend first (a clone
     * reads its objects there). Returns the header it committed.
     */
    VolumeHeader countClone(String name, int delta) throws IOException {
        synchronized (lock) {
            validate(name);
            if (volume.header().snapshot(name) == null && pending.contains(name)) {
                volume.syncToBackend(uploadWaitMillis);
            }
            existing(volume.header(), name);
            if (delta != 0) volume.headers.commit(h -> h.withClones(existing(h, name).name(), delta));
            return volume.header();
        }
    }

    /**
     * A scrub pass copied the clusters of the SCOs it collects that snapshots {@code names} reference
     * ({@code moved}; the copies are committed): writes each of those snapshots' maps anew, pointing at the copies,
     * and commits them all in one header commit; the snapshots then need nothing of their former base checkpoints
     * and TLogs, which are deleted where no other snapshot needs them. A snapshot deleted meanwhile, or one that has
     * a clone now (the clone was seeded from the map as it was), is left as it is. Returns the names rewritten.
     * Before the commit nothing changed (a crash leaves unnamed {@code snapmap.} objects, collected at the next
     * open); after it the new maps are in force.
     */
    Set<String> rewriteMoved(Set<String> names, Relocations moved) throws IOException {
        synchronized (lock) { // a clone's count is taken under this lock: none can start from a map being replaced
            VolumeHeader h = volume.header();
            long generation = h.nextSnapshotMapGeneration(volume.epoch);
            Map<String, VolumeHeader.SnapshotMap> maps = new LinkedHashMap<>();
            try {
                for (VolumeHeader.Snapshot s : h.retention().snapshots()) {
                    if (names.contains(s.name()) && s.clones() == 0) {
                        maps.put(s.name(), writeMap(h, s, generation++, moved));
                    }
                }
            } catch (IOException | RuntimeException e) {
                for (VolumeHeader.SnapshotMap m : maps.values()) {
                    try {
                        volume.store.delete(m.objectName()); // no header names it
                    } catch (IOException | RuntimeException d) {
                        e.addSuppressed(d); // collected at the next open
                    }
                }
                throw e;
            }
            if (maps.isEmpty()) return Set.of();
            VolumeHeader before = volume.headers.commit(x -> x.withSnapshotMaps(maps)); // the commit point
            int deleted = Checkpoints.deleteDropped(volume.store, before, before.withSnapshotMaps(maps));
            log.info("volume {}: snapshot map(s) of {} rewritten around the clusters a scrub moved ({} object(s) they "
                    + "no longer need collected)", volume.name, maps.keySet(), deleted);
            return maps.keySet();
        }
    }

    /** Snapshot {@code s}'s map with {@code moved} applied, as object {@code snapmap.<epoch>.<generation>}. */
    private VolumeHeader.SnapshotMap writeMap(VolumeHeader h, VolumeHeader.Snapshot s, long generation,
                                              Relocations moved) throws IOException {
        Path scratch = volume.cacheDir.resolve("snapmap.scratch");
        VolumeLoader.deleteTree(scratch);
        Files.createDirectories(scratch);
        ClusterMap map = new ClusterMap(scratch.resolve("metadata"), ClusterMap.mapSizeFor(h.sizeBytes()));
        try {
            TLogReplayer.rebuildAtSnapshot(volume.name, volume.store, volume.cacheDir, h, s, map);
            if (map.corked() != s.seq()) map.apply(s.seq(), List.of());
            Path file = scratch.resolve("map");
            MetadataCheckpoint.Written w = MetadataCheckpoint.write(map, file, () -> false, moved);
            VolumeHeader.SnapshotMap m = new VolumeHeader.SnapshotMap(volume.epoch, generation, w.entries());
            if (volume.store.exists(m.objectName())) volume.store.delete(m.objectName()); // a leftover no header names
            volume.store.putExclusive(m.objectName(), file);
            return m;
        } finally {
            map.close();
            VolumeLoader.deleteTree(scratch);
        }
    }

    /**
     * Rolls the volume back to snapshot {@code name}, while it stays exported: I/O is quiesced (in-flight commands
     * finish, new ones wait), everything written is committed, the map is rebuilt as of the snapshot (its base
     * checkpoint plus its TLogs) and written as a new checkpoint, and one header commit makes it the volume's state
     * (the TLogs after the cut and later snapshots are dropped; their objects and SCOs become garbage). A crash at
     * any point leaves the old volume (before the commit) or the rolled-back one (after it). Then the listeners are
     * told (every I_T nexus gets a unit attention) and I/O resumes.
     */
    public void rollback(String name) throws IOException {
        validate(name);
        if (volume.header().snapshot(name) == null && !pending.contains(name)) existing(volume.header(), name);
        try {
            volume.exclusiveOfScrub(() -> {
                synchronized (lock) {
                    volume.quiesced(() -> rollbackQuiesced(name), uploadWaitMillis);
                }
                return null;
            });
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** Caller holds the pass lock, this lock and the I/O gate. */
    private void rollbackQuiesced(String name) throws Exception {
        long t0 = System.nanoTime();
        volume.syncToBackend(uploadWaitMillis); // every acknowledged write committed and absorbed: nothing in flight
        volume.checkpoints.exclusive(() -> {
            VolumeHeader h = volume.header();
            VolumeHeader.Snapshot s = existing(h, name);
            for (VolumeHeader.Snapshot later : h.retention().snapshots()) {
                if (later.seq() > s.seq() && later.clones() > 0) { // it would be dropped: a clone reads it
                    throw new SnapshotRefusedException(Refusal.HAS_CLONES, "volume " + volume.name + " cannot roll "
                            + "back to '" + name + "': the later snapshot '" + later.name() + "' has "
                            + later.clones() + " clone(s)");
                }
            }
            long n = volume.emptyOpenTlog(); // the rolled-back map is checkpoint n: after every committed TLog
            ClusterMap map = volume.map;
            Path file = volume.cacheDir.resolve("checkpoint.tmp");
            VolumeHeader before;
            VolumeHeader.Checkpoint c;
            try {
                // each step leaves LMDB at a state of the committed lineage (cork at or below the header's TLog) or
                // beyond the header (cork n): a crash before the commit reopens as the old volume
                map.clearOverlay();
                TLogReplayer.rebuildAtSnapshot(volume.name, volume.store, volume.cacheDir, h, s, map);
                map.apply(n, List.of());
                MetadataCheckpoint.Written w = MetadataCheckpoint.write(map, file, () -> false);
                String object = ObjectNames.checkpoint(volume.epoch, n);
                if (volume.store.exists(object)) volume.store.delete(object); // a leftover no header names
                volume.store.putExclusive(object, file);
                c = new VolumeHeader.Checkpoint(n, volume.epoch, w.entries());
                before = volume.headers.commit(x -> x.rolledBackTo(existing(x, name), c)); // the commit point
            } catch (IOException | RuntimeException e) {
                restore(h, e);
                throw e;
            } finally {
                Files.deleteIfExists(file);
            }
            volume.rolledBack(n);
            int deleted = Checkpoints.deleteDropped(volume.store, before, before.rolledBackTo(s, c));
            log.info("volume {}: rolled back to snapshot {} (TLog {}, {} mappings) in {} ms; {} object(s) collected, "
                            + "the SCOs written after it are left to the scrubber", volume.name, name, s.seq(),
                    c.entries(), (System.nanoTime() - t0) / 1_000_000, deleted);
            return null;
        });
        volume.dataChanged();
    }

    /** A rollback failed before its commit: LMDB goes back to the committed state, or the volume halts. */
    private void restore(VolumeHeader h, Exception cause) {
        try {
            volume.map.clearOverlay();
            TLogReplayer.rebuildAt(volume.name, volume.store, volume.cacheDir, h, h.lastTlogSeq(), volume.map);
            log.warn("volume {}: rollback failed ({}); the volume is unchanged", volume.name, cause.toString());
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            volume.haltFor(new IOException("rollback failed and the map could not be restored: " + e, e));
        }
    }

    /** The store the snapshots' objects are in (tests). */
    ObjectStore store() {
        return volume.store;
    }
}
