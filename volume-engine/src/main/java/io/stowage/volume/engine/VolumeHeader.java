package io.stowage.volume.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A volume's header: its identity and geometry, the owner epoch, the last metadata checkpoint, the TLogs
 * committed to the backend after it, in order (each with the epoch its objects were written under and the SCO
 * numbers it covers), and the owner epoch of the last TLog commit. Committing a new header is the commit point of
 * an upload: only then do its TLogs and SCOs count. Immutable; text serialization.
 *
 * <p>{@code tlogCommitEpoch} tells a former owner whether someone else committed since it last owned the volume
 * (then its local uncommitted TLogs are stale: see {@link CacheClaim}). Commits are guarded by the owner epoch, so
 * the value only grows. The record epochs cannot tell: an owner that replays its own older tail commits records of
 * an older epoch. A header without the line (written before it existed) counts its newest record or segment epoch.
 *
 * <p>The header stays small whatever the volume's age: a {@linkplain Checkpoint checkpoint} (the committed map as of
 * one TLog, an object of its own) replaces every TLog record up to it; of those records only which epoch wrote which
 * SCO numbers is kept, as {@link ScoSegment}s (one per run of consecutive records of the same epoch: epochs change
 * only at a takeover). Committed SCO numbers only grow in commit order (a new owner starts after the highest
 * committed one), so segments and records never overlap.
 *
 * <p>Format: {@code stowage-volume-header 1} (no checkpoint; what releases before checkpoints wrote and read) or
 * {@code 2} (with {@code checkpoint=} and {@code scos=} lines). A header in a format this code does not know is
 * refused, never misread.
 */
public record VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch,
                           List<TLogRecord> tlogs, Checkpoint checkpoint, List<ScoSegment> foldedScos,
                           long tlogCommitEpoch) {
    static final String MAGIC = "stowage-volume-header ";
    static final int NEWEST_FORMAT = 2;

    /** A committed TLog: sequence number, epoch of its objects, first and last SCO number it references. */
    public record TLogRecord(long seq, long epoch, long firstSco, long lastSco) {
    }

    /**
     * The committed map as of TLog {@code seq}: {@code entries} mappings in the object
     * {@code checkpoint.<epoch>.<seq>} (see {@link MetadataCheckpoint}).
     */
    public record Checkpoint(long seq, long epoch, long entries) {
    }

    /** SCOs {@code firstSco..lastSco} of TLogs folded into a checkpoint were written under {@code epoch}. */
    public record ScoSegment(long epoch, long firstSco, long lastSco) {
    }

    public VolumeHeader {
        tlogs = List.copyOf(tlogs);
        foldedScos = List.copyOf(foldedScos);
    }

    public VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch, List<TLogRecord> tlogs) {
        this(name, uuid, sizeBytes, scoClusters, epoch, tlogs, null, List.of(), newestEpoch(tlogs, List.of()));
    }

    /** What a header without a tlog-commit-epoch implies: no commit is newer than its newest record or segment. */
    private static long newestEpoch(List<TLogRecord> tlogs, List<ScoSegment> segments) {
        long max = 0;
        for (TLogRecord t : tlogs) max = Math.max(max, t.epoch());
        for (ScoSegment s : segments) max = Math.max(max, s.epoch());
        return max;
    }

    /** The last committed TLog: the last record, else the checkpoint's, else 0. */
    public long lastTlogSeq() {
        if (!tlogs.isEmpty()) return tlogs.get(tlogs.size() - 1).seq();
        return checkpoint == null ? 0 : checkpoint.seq();
    }

    public long lastSco() {
        long max = 0;
        for (ScoSegment s : foldedScos) max = Math.max(max, s.lastSco());
        for (TLogRecord t : tlogs) max = Math.max(max, t.lastSco());
        return max;
    }

    /**
     * Epoch under which SCO {@code number} was written, from the committed TLogs; -1 if none covers it. SCO numbers
     * are not reused within a volume's lineage (a former owner's stale tail is never committed), so one record or
     * segment at most covers a number; the newest are looked at first, as recent SCOs are read most.
     */
    public long scoEpoch(long number) {
        for (int i = tlogs.size() - 1; i >= 0; i--) {
            TLogRecord t = tlogs.get(i);
            if (number >= t.firstSco() && number <= t.lastSco()) return t.epoch();
        }
        for (int i = foldedScos.size() - 1; i >= 0; i--) {
            ScoSegment s = foldedScos.get(i);
            if (number >= s.firstSco() && number <= s.lastSco()) return s.epoch();
        }
        return -1;
    }

    /** This header plus one more committed TLog; the commit is this header's owner's ({@code epoch}). */
    public VolumeHeader withTlog(TLogRecord r) {
        List<TLogRecord> l = new ArrayList<>(tlogs);
        l.add(r);
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, l, checkpoint, foldedScos, epoch);
    }

    public VolumeHeader withSize(long bytes) {
        return new VolumeHeader(name, uuid, bytes, scoClusters, epoch, tlogs, checkpoint, foldedScos, tlogCommitEpoch);
    }

    public VolumeHeader withEpoch(long e) {
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, e, tlogs, checkpoint, foldedScos, tlogCommitEpoch);
    }

    /**
     * This header with {@code c} as its checkpoint: the records up to {@code c.seq()} are folded into SCO segments
     * (and no longer needed to open the volume); later records stay.
     */
    public VolumeHeader withCheckpoint(Checkpoint c) {
        List<ScoSegment> segments = new ArrayList<>(foldedScos);
        List<TLogRecord> later = new ArrayList<>();
        for (TLogRecord t : tlogs) {
            if (t.seq() > c.seq()) {
                later.add(t);
                continue;
            }
            if (t.lastSco() < t.firstSco()) continue; // a TLog of no SCO (only discards or remaps)
            ScoSegment last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
            if (last != null && last.epoch() == t.epoch() && t.firstSco() > last.lastSco()) {
                segments.set(segments.size() - 1, new ScoSegment(last.epoch(), last.firstSco(), t.lastSco()));
            } else {
                segments.add(new ScoSegment(t.epoch(), t.firstSco(), t.lastSco()));
            }
        }
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, later, c, segments, tlogCommitEpoch);
    }

    /** The TLog records a checkpoint at {@code seq} folds (their objects become garbage once it is committed). */
    public List<TLogRecord> tlogsUpTo(long seq) {
        return tlogs.stream().filter(t -> t.seq() <= seq).toList();
    }

    public byte[] serialize() {
        boolean v2 = checkpoint != null || !foldedScos.isEmpty();
        StringBuilder sb = new StringBuilder(MAGIC).append(v2 ? 2 : 1).append('\n');
        sb.append("name=").append(name).append('\n');
        sb.append("uuid=").append(uuid).append('\n');
        sb.append("size=").append(sizeBytes).append('\n');
        sb.append("sco-clusters=").append(scoClusters).append('\n');
        sb.append("epoch=").append(epoch).append('\n');
        sb.append("tlog-commit-epoch=").append(tlogCommitEpoch).append('\n'); // older readers skip unknown keys
        if (checkpoint != null) {
            sb.append("checkpoint=").append(checkpoint.seq()).append(',').append(checkpoint.epoch()).append(',')
                    .append(checkpoint.entries()).append('\n');
        }
        for (ScoSegment s : foldedScos) {
            sb.append("scos=").append(s.epoch()).append(',').append(s.firstSco()).append(',').append(s.lastSco())
                    .append('\n');
        }
        for (TLogRecord t : tlogs) {
            sb.append("tlog=").append(t.seq()).append(',').append(t.epoch()).append(',').append(t.firstSco())
                    .append(',').append(t.lastSco()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The header of {@code volume} as read from {@code store}; a body this release cannot read (an unknown format,
     * damage) is an IOException naming the volume and the object, never a misread header.
     */
    static VolumeHeader parse(io.stowage.volume.store.ObjectStore.VolumeHeaderBytes raw, String volume,
                              io.stowage.volume.store.ObjectStore store) throws java.io.IOException {
        try {
            return parse(raw.body());
        } catch (IllegalArgumentException e) { // NumberFormatException too
            throw new java.io.IOException("volume " + volume + ": its header (object 'header' in " + store
                    + ") cannot be read: " + e.getMessage());
        }
    }

    public static VolumeHeader parse(byte[] bytes) {
        String name = null;
        UUID uuid = null;
        long size = 0;
        int sco = 0;
        long epoch = 0;
        long tlogCommitEpoch = -1;
        Checkpoint checkpoint = null;
        List<ScoSegment> segments = new ArrayList<>();
        List<TLogRecord> tlogs = new ArrayList<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || !lines[0].startsWith(MAGIC)) {
            throw new IllegalArgumentException("not a Stowage volume header");
        }
        int format;
        try {
            format = Integer.parseInt(lines[0].substring(MAGIC.length()).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a Stowage volume header: '" + lines[0] + "'");
        }
        if (format < 1 || format > NEWEST_FORMAT) {
            throw new IllegalArgumentException("volume header format " + format + " is not known to this release "
                    + "(it reads formats 1 to " + NEWEST_FORMAT + "): written by a newer Stowage?");
        }
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            int eq = l.indexOf('=');
            if (eq < 0) continue;
            String k = l.substring(0, eq);
            String v = l.substring(eq + 1);
            switch (k) {
                case "name" -> name = v;
                case "uuid" -> uuid = UUID.fromString(v);
                case "size" -> size = Long.parseLong(v);
                case "sco-clusters" -> sco = Integer.parseInt(v);
                case "epoch" -> epoch = Long.parseLong(v);
                case "tlog-commit-epoch" -> tlogCommitEpoch = Long.parseLong(v);
                case "checkpoint" -> {
                    String[] p = v.split(",");
                    checkpoint = new Checkpoint(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]));
                }
                case "scos" -> {
                    String[] p = v.split(",");
                    segments.add(new ScoSegment(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2])));
                }
                case "tlog" -> {
                    String[] p = v.split(",");
                    tlogs.add(new TLogRecord(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]),
                            Long.parseLong(p[3])));
                }
                default -> { }
            }
        }
        if (tlogCommitEpoch < 0) tlogCommitEpoch = newestEpoch(tlogs, segments); // a header from before the line
        return new VolumeHeader(name, uuid, size, sco, epoch, tlogs, checkpoint, segments, tlogCommitEpoch);
    }
}
