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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replay of TLogs onto a {@link ClusterMap}, in one place: the committed TLogs after what LMDB absorbed (backend
 * catch-up), and the local TLogs never committed (up to the first cluster that did not survive, rewritten as closed
 * TLogs and returned as upload jobs). See {@link VolumeLoader} for the order of an open.
 *
 * <p>Threads: called by one thread during an open, before the volume starts; nothing else uses the map, the SCO
 * files or the TLog directory meanwhile, so it takes no lock.
 */
final class TLogReplayer {
    private static final Logger log = LoggerFactory.getLogger(TLogReplayer.class);

    private TLogReplayer() {
    }

    /** What the local replay recovered. */
    record LocalReplay(List<Uploader.Job> jobs, boolean cut, int tlogs, long entries, long maxSeq,
                       Set<Long> referencedScos, long dirtyBytes) {
    }

    /**
     * Applies every committed TLog after {@code corked} to LMDB (the local copy if intact, else the object) and
     * deletes its local copy; returns how many were applied.
     */
    static int replayCommitted(String name, ObjectStore store, Path cacheDir, VolumeHeader header, long corked,
                               ClusterMap map, LocalFiles files) throws IOException {
        int backendReplayed = 0;
        for (VolumeHeader.TLogRecord r : header.tlogs()) {
            if (r.seq() <= corked) continue;
            List<TLogEntry> entries = committedTlog(name, store, cacheDir, r);
            Path local = cacheDir.resolve("tlog").resolve(ObjectNames.tlog(r.epoch(), r.seq()));
            map.apply(r.seq(), entries);
            files.delete(local);
            backendReplayed++;
        }

        return backendReplayed;
    }

    /**
     * Replaces {@code map}'s committed state with the state after TLog {@code upTo} of {@code header}'s lineage: its
     * base (the newest checkpoint, current or retained, at or before {@code upTo}; else an empty map) plus the
     * committed TLogs after the base up to {@code upTo} (a snapshot's, for a rollback; the last, to restore the
     * current state). Each step leaves LMDB corked at a TLog of that lineage, at a state it really had.
     */
    static void rebuildAt(String name, ObjectStore store, Path cacheDir, VolumeHeader header, long upTo,
                          ClusterMap map) throws IOException {
        VolumeHeader.Checkpoint base = header.baseAt(upTo);
        if (base == null) {
            map.replaceCommitted(0, into -> { });
        } else {
            MetadataCheckpoint.load(store, ObjectNames.checkpoint(base.epoch(), base.seq()), base, map);
        }
        for (VolumeHeader.TLogRecord r : header.tlogsBetween(base == null ? 0 : base.seq(), upTo)) {
            map.apply(r.seq(), committedTlog(name, store, cacheDir, r));
        }
    }

    /**
     * Replaces {@code map}'s committed state with snapshot {@code s}'s map: its own map if a scrub rewrote it
     * (corked at the snapshot's TLog), else its base and TLogs ({@link #rebuildAt}).
     */
    static void rebuildAtSnapshot(String name, ObjectStore store, Path cacheDir, VolumeHeader header,
                                  VolumeHeader.Snapshot s, ClusterMap map) throws IOException {
        if (s.map() == null) {
            rebuildAt(name, store, cacheDir, header, s.seq(), map);
        } else {
            MetadataCheckpoint.load(store, s.map().objectName(), s.map().asCheckpoint(s), map);
        }
    }

    /**
     * Replays the local TLogs after the header's last one into the overlay of {@code map}: each is read up to its
     * first torn entry; write entries are checked against their SCO's data, and replay stops at the first cluster
     * that did not survive (that entry and everything after it, in this and later TLogs, is dropped). What survives
     * is rewritten as a closed TLog (sealing its SCOs, trimmed to the clusters in use) and returned for upload.
     */
    static LocalReplay replayLocal(Path cacheDir, VolumeHeader header, ClusterMap map,
                                   Map<Long, ScoCache.Sco> local, LocalFiles files, Set<Long> cuts) throws IOException {
        List<Uploader.Job> jobs = new ArrayList<>();
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
                if (e.type() == TLogEntry.WRITE || e.type() == TLogEntry.RELOCATED) { // RELOCATED: a slot, no mapping
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
                    ScoCache.Sco sco = ClusterLocation.cloneDepth(e.value()) > 0 ? null : local.get(number);
                    boolean ok = ClusterLocation.cloneDepth(e.value()) > 0 // an ancestor's sealed SCO
                            || (sco == null ? header.scoEpoch(number) >= 0
                            : sco.state == ScoCache.State.UPLOADED || intact(sco, e));
                    if (!ok) {
                        cut = true;
                        break;
                    }
                    valid.add(e);
                } else if (e.type() == TLogEntry.DISCARD) {
                    valid.add(e);
                }
            }
            if (valid.isEmpty() && !cuts.contains(seq)) { // an empty TLog a snapshot cut is kept: it carries the cut
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
                } else if (e.type() == TLogEntry.DISCARD) {
                    map.discard(e.address(), e.value(), seq); // one range, whatever its length
                }
            }
            dirty += Volume.metadataBytes(valid); // released when this TLog is committed, like its SCOs
            jobs.add(new Uploader.Job(seq, tlogEpoch, file, null, jobScos));
            maxSeq = Math.max(maxSeq, seq);
            localReplayed++;
            localEntries += valid.size();
        }
        return new LocalReplay(jobs, cut, localReplayed, localEntries, maxSeq, referenced, dirty);
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

    /** The SCO's CRC as the append path computes it: CRC32C of the clusters' CRC32Cs (DataStore.updateScoCrc). */
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
            DataStore.updateScoCrc(crc, (int) cluster.getValue());
        }
        return (int) crc.getValue();
    }

}
