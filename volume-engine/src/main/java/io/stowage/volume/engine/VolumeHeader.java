package io.stowage.volume.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A volume's header: its identity and geometry, the owner epoch, the owner epoch of the last TLog commit, and the
 * TLogs committed to the backend in order (each with the epoch its objects were written under and the SCO numbers
 * it covers). Committing a new header is the commit point of an upload: only then do its TLogs and SCOs count.
 * Immutable; text serialization.
 *
 * <p>{@code tlogCommitEpoch} tells a former owner whether someone else committed since it last owned the volume
 * (then its local uncommitted TLogs are stale: see {@link VolumeLoader}). Commits are guarded by the owner epoch,
 * so the value only grows. The record epochs cannot tell: an owner that replays its own older tail commits
 * records of an older epoch.
 */
public record VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch,
                           long tlogCommitEpoch, List<TLogRecord> tlogs) {

    /** A committed TLog: sequence number, epoch of its objects, first and last SCO number it references. */
    public record TLogRecord(long seq, long epoch, long firstSco, long lastSco) {
    }

    public VolumeHeader {
        tlogs = List.copyOf(tlogs);
    }

    /** A new volume's header: nobody has committed a TLog yet. */
    public VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch, List<TLogRecord> tlogs) {
        this(name, uuid, sizeBytes, scoClusters, epoch, maxEpoch(tlogs), tlogs);
    }

    private static long maxEpoch(List<TLogRecord> tlogs) {
        long max = 0;
        for (TLogRecord t : tlogs) max = Math.max(max, t.epoch());
        return max;
    }

    public long lastTlogSeq() {
        return tlogs.isEmpty() ? 0 : tlogs.get(tlogs.size() - 1).seq();
    }

    public long lastSco() {
        long max = 0;
        for (TLogRecord t : tlogs) max = Math.max(max, t.lastSco());
        return max;
    }

    /**
     * Epoch under which SCO {@code number} was written, from the committed TLogs; -1 if none covers it. SCO numbers
     * are not reused within a volume's lineage (a former owner's stale tail is never committed), so one record at
     * most covers a number; the newest is looked at first, as recent SCOs are read most.
     */
    public long scoEpoch(long number) {
        for (int i = tlogs.size() - 1; i >= 0; i--) {
            TLogRecord t = tlogs.get(i);
            if (number >= t.firstSco() && number <= t.lastSco()) return t.epoch();
        }
        return -1;
    }

    /** This header plus one more committed TLog; the commit is this header's owner's ({@code epoch}). */
    public VolumeHeader withTlog(TLogRecord r) {
        List<TLogRecord> l = new ArrayList<>(tlogs);
        l.add(r);
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, epoch, l);
    }

    public VolumeHeader withSize(long bytes) {
        return new VolumeHeader(name, uuid, bytes, scoClusters, epoch, tlogCommitEpoch, tlogs);
    }

    public VolumeHeader withEpoch(long e) {
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, e, tlogCommitEpoch, tlogs);
    }

    public byte[] serialize() {
        StringBuilder sb = new StringBuilder("stowage-volume-header 1\n");
        sb.append("name=").append(name).append('\n');
        sb.append("uuid=").append(uuid).append('\n');
        sb.append("size=").append(sizeBytes).append('\n');
        sb.append("sco-clusters=").append(scoClusters).append('\n');
        sb.append("epoch=").append(epoch).append('\n');
        sb.append("tlog-commit-epoch=").append(tlogCommitEpoch).append('\n');
        for (TLogRecord t : tlogs) {
            sb.append("tlog=").append(t.seq()).append(',').append(t.epoch()).append(',').append(t.firstSco())
                    .append(',').append(t.lastSco()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static VolumeHeader parse(byte[] bytes) {
        String name = null;
        UUID uuid = null;
        long size = 0;
        int sco = 0;
        long epoch = 0;
        long tlogCommitEpoch = -1;
        List<TLogRecord> tlogs = new ArrayList<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || !lines[0].equals("stowage-volume-header 1")) {
            throw new IllegalArgumentException("not a Stowage volume header");
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
                case "tlog" -> {
                    String[] p = v.split(",");
                    tlogs.add(new TLogRecord(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]),
                            Long.parseLong(p[3])));
                }
                default -> { }
            }
        }
        // a header of the previous release has no tlog-commit-epoch: its records' epochs are the best estimate
        return tlogCommitEpoch < 0 ? new VolumeHeader(name, uuid, size, sco, epoch, tlogs)
                : new VolumeHeader(name, uuid, size, sco, epoch, tlogCommitEpoch, tlogs);
    }
}
