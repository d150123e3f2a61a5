package io.stowage.volume.engine;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.log.TLogEntry;
import io.stowage.volume.log.TLogReader;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
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
 */
final class VolumeLoader {
    private static final Logger log = LoggerFactory.getLogger(VolumeLoader.class);

    private VolumeLoader() {
    }

    static Volume open(String name, ObjectStore store, Path cacheDir, VolumeConfig config, LocalFiles files)
            throws IOException {
        long t0 = System.nanoTime();
        Optional<CacheState> cacheState = CacheState.read(cacheDir); // an unknown format fails before the claim
        store.fencePreviousOwner();
        ObjectStore.VolumeHeaderBytes raw = store.readHeader()
                .orElseThrow(() -> new IOException("volume " + name + " does not exist"));
        VolumeHeader committed = VolumeHeader.parse(raw, name, store);
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
        int backendReplayed = 0;
        for (VolumeHeader.TLogRecord r : header.tlogs()) {
            if (r.seq() <= corked) continue;
            List<TLogEntry> entries = committedTlog(name, store, cacheDir, r);
            Path local = cacheDir.resolve("tlog").resolve(ObjectNames.tlog(r.epoch(), r.seq()));
            map.apply(r.seq(), entries);
            files.delete(local);
            backendReplayed++;
        }

        ScoCache scos = new ScoCache(cacheDir.resolve("sco"), files);
        long lastCommittedSco = header.lastSco();
        Map<Long, ScoCache.Sco> local = new HashMap<>();
        for (Path f : scos.existingFiles()) {
            long number = ObjectNames.scoNumber(f.getFileName().toString());
            long e = ObjectNames.scoEpoch(f.getFileName().toString());
            boolean isCommitted = number <= lastCommittedSco && header.scoEpoch(number) == e;
            local.put(number, scos.adopt(f, isCommitted ? ScoCache.State.UPLOADED : ScoCache.State.SEALED));
        }

        Volume v = new Volume(name, store, config, cacheDir, header, map, scos, epoch, files, reserve);
        List<Path> localTlogs = new ArrayList<>();
        dropRecoveryLeftovers(cacheDir.resolve("tlog"), files);
        try (Stream<Path> s = Files.list(cacheDir.resolve("tlog"))) {
            s.filter(p -> ObjectNames.isTlog(p.getFileName().toString())
                            && ObjectNames.tlogSeq(p.getFileName().toString()) > header.lastTlogSeq())
                    .sorted(Comparator.comparingLong(p -> ObjectNames.tlogSeq(p.getFileName().toString())))
                    .forEach(localTlogs::add);
        }
        boolean cut = false;
        int localReplayed = 0;
        long localEntries = 0;
        long maxSeq = header.lastTlogSeq();
        Set<Long> referenced = new HashSet<>();
        long dirty = 0;
        for (Path file : localTlogs) {
            long seq = ObjectNames.tlogSeq(file.getFileName().toString());
            long tlogEpoch = ObjectNames.tlogEpoch(file.getFileName().toString());
            if (cut) {
                files.delete(file);
                continue;
            }
            List<TLogEntry> valid = new ArrayList<>();
            LinkedHashMap<Long, Integer> scoUse = new LinkedHashMap<>(); // SCO → clusters in use
            for (TLogEntry e : TLogReader.read(file)) {
                if (e.type() == TLogEntry.WRITE) {
                    ScoCache.Sco sco = local.get(ClusterLocation.sco(e.value()));
                    if (sco == null || sco.state == ScoCache.State.UPLOADED || !intact(sco, e)) {
                        cut = true;
                        break;
                    }
                    valid.add(e);
                    scoUse.merge(sco.number, ClusterLocation.offset(e.value()) + 1, Math::max);
                } else if (e.type() == TLogEntry.REMAP) {
                    // the data lives in an SCO written earlier: committed, or local and surviving this replay
                    long number = ClusterLocation.sco(e.value());
                    ScoCache.Sco sco = local.get(number);
                    boolean ok = sco == null ? header.scoEpoch(number) >= 0
                            : sco.state == ScoCache.State.UPLOADED || intact(sco, e);
                    if (!ok) {
                        cut = true;
                        break;
                    }
                    valid.add(e);
                } else if (e.type() == TLogEntry.DISCARD) {
                    valid.add(e);
                }
            }
            if (valid.isEmpty()) {
                files.delete(file);
                continue;
            }
            List<ScoCache.Sco> jobScos = new ArrayList<>();
            ByteBuffer out = ByteBuffer.allocate((valid.size() + scoUse.size() + 1) * TLogEntry.SIZE);
            for (TLogEntry e : valid) e.writeTo(out);
            for (Map.Entry<Long, Integer> u : scoUse.entrySet()) {
                ScoCache.Sco sco = local.get(u.getKey());
                long bytes = (long) u.getValue() * Volume.CLUSTER;
                sco.channel.truncate(bytes);
                sco.channel.force(false);
                sco.bytes = bytes;
                sco.state = ScoCache.State.SEALED;
                TLogEntry.scoSealed(sco.number, u.getValue(), scoCrc(sco, bytes)).writeTo(out);
                jobScos.add(sco);
                referenced.add(sco.number);
                dirty += bytes;
            }
            TLogEntry.closed().writeTo(out);
            Path tmp = file.resolveSibling(file.getFileName() + ".recovered");
            try (FileChannel ch = files.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                out.flip();
                while (out.hasRemaining()) ch.write(out);
                ch.force(false);
            }
            files.move(tmp, file);
            for (TLogEntry e : valid) {
                if (e.type() == TLogEntry.WRITE) {
                    map.put(e.address(), map.written(e.value(), e.crc()));
                } else if (e.type() == TLogEntry.REMAP) {
                    map.put(e.address(), map.remapped(e.value(), e.crc(), seq));
                } else {
                    map.discard(e.address(), e.value(), seq); // one range, whatever its length
                }
            }
            dirty += Volume.metadataBytes(valid); // released when this TLog is committed, like its SCOs
            v.uploads.add(new Volume.UploadJob(seq, tlogEpoch, file, null, jobScos));
            maxSeq = Math.max(maxSeq, seq);
            localReplayed++;
            localEntries += valid.size();
        }
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

    /**
     * A committed TLog in full: the local copy if it is intact (it was fsynced before its upload), else the object.
     * A damaged object fails the open naming it: applying only its intact part would silently serve older data.
     */
    private static List<TLogEntry> committedTlog(String volume, ObjectStore store, Path cacheDir,
                                                 VolumeHeader.TLogRecord r) throws IOException {
        String object = ObjectNames.tlog(r.epoch(), r.seq());
        Path local = cacheDir.resolve("tlog").resolve(object);
        if (Files.exists(local)) {
            try {
                return TLogReader.readCommitted(local, local.toString());
            } catch (TLogReader.CorruptTLogException e) {
                log.warn("volume {}: {}; reading the object instead", volume, e.getMessage());
            }
        }
        try {
            return TLogReader.readCommitted(store.getAll(object), object + " of volume " + volume);
        } catch (TLogReader.CorruptTLogException e) {
            log.error("volume {} cannot be opened: {}", volume, e.getMessage());
            throw e;
        }
    }

    /**
     * A crash between writing a TLog's recovered copy and renaming it over the original leaves the copy behind,
     * possibly incomplete; the original is still in place and is recovered again, so the copy is only garbage.
     */
    private static void dropRecoveryLeftovers(Path tlogDir, LocalFiles files) throws IOException {
        try (Stream<Path> s = Files.list(tlogDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".recovered")).toList()) {
                log.info("removing {}, left by a recovery interrupted before its rename", p);
                files.delete(p);
            }
        }
    }

    private static boolean intact(ScoCache.Sco sco, TLogEntry e) throws IOException {
        long pos = (long) ClusterLocation.offset(e.value()) * Volume.CLUSTER;
        if (sco.channel.size() < pos + Volume.CLUSTER) return false;
        ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
        while (b.hasRemaining()) {
            if (sco.channel.read(b, pos + b.position()) < 0) return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(b.flip());
        return (int) crc.getValue() == e.crc();
    }

    /** The SCO's CRC as the append path computes it: CRC32C of the clusters' CRC32Cs (Volume.updateScoCrc). */
    private static int scoCrc(ScoCache.Sco sco, long bytes) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(Volume.CLUSTER);
        for (long pos = 0; pos < bytes; pos += Volume.CLUSTER) {
            b.clear();
            while (b.hasRemaining()) {
                if (sco.channel.read(b, pos + b.position()) < 0) break;
            }
            CRC32C cluster = new CRC32C();
            cluster.update(b.flip());
            Volume.updateScoCrc(crc, (int) cluster.getValue());
        }
        return (int) crc.getValue();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
