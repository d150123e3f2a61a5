package io.stowage.volume.engine;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a volume: claims it (bumps the owner epoch in the header), sets aside what in the cache is not the
 * volume's committed lineage ({@link CacheClaim}: a former owner's stale tail, an earlier volume's cache), then
 * recovers — the append path never does.
 *
 * <ol>
 *   <li><b>Backend catch-up.</b> LMDB is corked at the last TLog it absorbed; if that is before the header's
 *       metadata checkpoint, LMDB is replaced by the checkpoint. Every committed TLog after that is applied (from
 *       the local copy if present, else from the store). With an empty cache this is the backend restart: the
 *       whole volume is rebuilt from the objects as of the last committed header, in time bounded by the
 *       checkpoint's size and the TLogs after it (see Checkpoints), not by the volume's age.</li>
 *   <li><b>Local replay.</b> TLogs written here but never committed are read up to their first torn entry; each
 *       write entry is checked against its SCO's data CRC, and replay stops at the first cluster that did not
 *       survive (a torn SCO write): that entry and everything after it, in this and later TLogs, is dropped.
 *       What survives is rewritten as a closed TLog (sealing its SCOs, trimmed to the clusters in use) and queued
 *       for upload.</li>
 *   <li>SCO files referenced by nothing are deleted; a new SCO and a new TLog start after the highest numbers.</li>
 * </ol>
 *
 * <p>The replay itself (steps 1 and 2 after the checkpoint) is {@link TLogReplayer}'s.
 */
final class VolumeLoader {
    private static final Logger log = LoggerFactory.getLogger(VolumeLoader.class);

    private VolumeLoader() {
    }

    static Volume open(String name, ObjectStore store, Path cacheDir, VolumeConfig config, LocalFiles files)
            throws IOException {
        return open(name, store, cacheDir, config, files, null);
    }

    /** With {@code backend} to reach a clone's ancestors (see {@link NamespaceMap}); null: the volume is no clone. */
    static Volume open(String name, ObjectStore store, Path cacheDir, VolumeConfig config, LocalFiles files,
                       io.stowage.volume.store.Backend backend) throws IOException {
        long t0 = System.nanoTime();
        Optional<CacheState> cacheState = CacheState.read(cacheDir); // an unknown format fails before the claim
        store.fencePreviousOwner();
        ObjectStore.VolumeHeaderBytes raw = store.readHeader()
                .orElseThrow(() -> new IOException("volume " + name + " does not exist"));
        VolumeHeader committed = VolumeHeader.parse(raw, name, store);
        NamespaceMap ancestors = NamespaceMap.open(committed, backend); // before the claim: a missing parent fails here
        long epoch = raw.epoch() + 1;
        VolumeHeader header = committed.withEpoch(epoch);
        store.commitHeader(raw.epoch(), raw.lastTlog(),
                new ObjectStore.VolumeHeaderBytes(epoch, header.lastTlogSeq(), header.serialize()));
        // the claim and recovery must not fail on a disk that data filled: they get the reserve's space, which
        // is taken back after recovery
        SpaceReserve reserve = new SpaceReserve(cacheDir.resolve("reserve"));
        reserve.release();
        // before anything in the cache is read: what another owner's commits made stale is set aside
        CacheClaim.claim(name, cacheDir, header, cacheState, epoch);
        if (config.dtl() || io.stowage.volume.dtl.DtlReplay.any(store)) {
            // the former owner's DTL is fenced; unless this cache is its own (which holds all it flushed and
            // more), what it flushed beyond the committed header is rebuilt here from the DTL
            boolean formerOwnersCache = cacheState.isPresent() && cacheState.get().epoch() == raw.epoch();
            // (a cache this node claimed in an open the power cut short is not the former owner's either: its
            // uncommitted files make way for the rebuild, which holds all they flushed)
            io.stowage.volume.dtl.DtlReplay.recover(name, store, raw.epoch(), epoch, !formerOwnersCache,
                    cacheDir.resolve("tlog"), cacheDir.resolve("sco"), header.lastTlogSeq(), header.lastSco(),
                    () -> CacheClaim.setAsideUncommitted(name, cacheDir, header, epoch));
        }

        long mapBytes = config.metadataMapBytes() == VolumeConfig.METADATA_MAP_FROM_VOLUME_SIZE
                ? ClusterMap.mapSizeFor(header.sizeBytes()) : config.metadataMapBytes(); // it grows when full
        ClusterMap map = new ClusterMap(cacheDir.resolve("metadata"), mapBytes);
        long corked = map.corked();
        if (corked > header.lastTlogSeq()) {
            // LMDB can never run ahead of the backend; if it does, it is not ours to trust: rebuild it
            log.warn("volume {}: metadata is corked at TLog {} beyond the committed {}; rebuilding", name, corked,
                    header.lastTlogSeq());
            map.close();
            deleteTree(cacheDir.resolve("metadata"));
            map = new ClusterMap(cacheDir.resolve("metadata"), mapBytes);
            corked = 0;
        }
        VolumeHeader.Checkpoint checkpoint = header.checkpoint();
        boolean fromCheckpoint = checkpoint != null && corked < checkpoint.seq();
        if (fromCheckpoint) {
            // the TLogs up to the checkpoint may be gone from the backend: the checkpoint replaces them
            MetadataCheckpoint.load(store, ObjectNames.checkpoint(checkpoint.epoch(), checkpoint.seq()), checkpoint,
                    map);
            corked = checkpoint.seq();
        }
        Checkpoints.collectGarbage(name, store, header);
        int backendReplayed = TLogReplayer.replayCommitted(name, store, cacheDir, header, corked, map, files);

        ScoCache scos = new ScoCache(cacheDir.resolve("sco"), files);
        long lastCommittedSco = header.lastSco();
        Map<Long, ScoCache.Sco> local = new HashMap<>();
        for (Path f : scos.existingFiles()) {
            long number = ObjectNames.scoNumber(f.getFileName().toString());
            long e = ObjectNames.scoEpoch(f.getFileName().toString());
            boolean isCommitted = number <= lastCommittedSco && header.scoEpoch(number) == e;
            local.put(number, scos.adopt(f, isCommitted ? ScoCache.State.UPLOADED : ScoCache.State.SEALED));
        }

        List<PendingSnapshots.Pending> pending = PendingSnapshots.read(cacheDir);
        Set<Long> cuts = new HashSet<>();
        for (PendingSnapshots.Pending p : pending) cuts.add(p.seq());
        TLogReplayer.LocalReplay replay = TLogReplayer.replayLocal(cacheDir, header, map, local, files, cuts);
        // each snapshot cut before the crash goes with its replayed TLog; one whose TLog did not survive is lost
        List<PendingSnapshots.Pending> kept = new ArrayList<>();
        List<Uploader.Job> jobs = new ArrayList<>();
        for (Uploader.Job j : replay.jobs()) {
            Uploader.Cut cut = null;
            for (PendingSnapshots.Pending p : pending) {
                if (p.seq() == j.seq() && header.snapshot(p.name()) == null) {
                    cut = new Uploader.Cut(p.name(), p.createdMillis(), new java.util.concurrent.CompletableFuture<>());
                    kept.add(p);
                }
            }
            jobs.add(cut == null ? j : new Uploader.Job(j.seq(), j.tlogEpoch(), j.file(), j.writer(), j.scos(), cut));
        }
        for (PendingSnapshots.Pending p : pending) {
            if (!kept.contains(p) && header.snapshot(p.name()) == null) {
                log.warn("volume {}: snapshot {} (cut at TLog {}) is lost: its TLog did not survive", name, p.name(),
                        p.seq());
            }
        }
        Volume v = new Volume(name, store, config, cacheDir, header, map, scos, epoch, files, reserve, kept,
                ancestors);
        if (!kept.equals(pending)) new PendingSnapshots(cacheDir, files, pending).replace(kept);
        v.recovered(jobs);
        boolean cut = replay.cut();
        int localReplayed = replay.tlogs();
        long localEntries = replay.entries();
        long maxSeq = replay.maxSeq();
        Set<Long> referenced = replay.referencedScos();
        long dirty = replay.dirtyBytes();
        long maxSco = lastCommittedSco;
        for (ScoCache.Sco s : new ArrayList<>(scos.all())) {
            if (s.state != ScoCache.State.UPLOADED && !referenced.contains(s.number)) {
                scos.remove(s); // written but never recorded by a surviving TLog entry
            } else {
                maxSco = Math.max(maxSco, s.number);
            }
        }
        for (Path p : scos.existingFiles()) {
            maxSco = Math.max(maxSco, ObjectNames.scoNumber(p.getFileName().toString()));
        }
        // what recovery renamed and deleted must stay so before new files reuse the numbers: a lost rename
        // would bring back the uncut TLog, a lost delete a TLog after the cut
        files.syncDirectory(cacheDir.resolve("tlog"));
        files.syncDirectory(cacheDir.resolve("sco"));
        v.recoveryCutTail = cut;
        if (!reserve.restore()) {
            log.warn("volume {}: the cache disk is full; opened without its space reserve (written again once "
                    + "uploads free space)", name);
        }
        v.start(maxSeq + 1, maxSco + 1, dirty);
        log.info("volume {} opened (epoch {}): {}{} committed TLog(s) replayed from the backend, {} local TLog(s) "
                        + "with {} entries recovered{}, {} MiB to upload, in {} ms", name, epoch,
                fromCheckpoint ? "metadata checkpoint at TLog " + checkpoint.seq() + " loaded, " : "", backendReplayed,
                localReplayed, localEntries, cut ? " (torn tail cut off)" : "", dirty >> 20,
                (System.nanoTime() - t0) / 1_000_000);
        return v;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
