package io.stowage.volume.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A volume's header: its identity and geometry, the owner epoch, and the TLogs committed to the backend in order
 * (each with the epoch its objects were written under and the SCO numbers it covers). Committing a new header is
 * the commit point of an upload: only then do its TLogs and SCOs count. Immutable; text serialization.
 */
public record VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch,
                           List<TLogRecord> tlogs) {

    /** A committed TLog: sequence number, epoch of its objects, first and last SCO number it references. */
    public record TLogRecord(long seq, long epoch, long firstSco, long lastSco) {
    }

    public VolumeHeader {
        tlogs = List.copyOf(tlogs);
    }

    public long lastTlogSeq() {
        return tlogs.isEmpty() ? 0 : tlogs.get(tlogs.size() - 1).seq();
    }

    public long lastSco() {
        long max = 0;
        for (TLogRecord t : tlogs) max = Math.max(max, t.lastSco());
        return max;
    }

    /** Epoch under which SCO {@code number} was written, from the committed TLogs; -1 if none covers it. */
    public long scoEpoch(long number) {
        for (TLogRecord t : tlogs) {
            if (number >= t.firstSco() && number <= t.lastSco()) return t.epoch();
        }
        return -1;
    }

    public VolumeHeader withTlog(TLogRecord r) {
        List<TLogRecord> l = new ArrayList<>(tlogs);
        l.add(r);
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, l);
    }

    public VolumeHeader withSize(long bytes) {
        return new VolumeHeader(name, uuid, bytes, scoClusters, epoch, tlogs);
    }

    public VolumeHeader withEpoch(long e) {
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, e, tlogs);
    }

    public byte[] serialize() {
        StringBuilder sb = new StringBuilder("stowage-volume-header 1\n");
        sb.append("name=").append(name).append('\n');
        sb.append("uuid=").append(uuid).append('\n');
        sb.append("size=").append(sizeBytes).append('\n');
        sb.append("sco-clusters=").append(scoClusters).append('\n');
        sb.append("epoch=").append(epoch).append('\n');
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
                case "tlog" -> {
                    String[] p = v.split(",");
                    tlogs.add(new TLogRecord(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]),
                            Long.parseLong(p[3])));
                }
                default -> { }
            }
        }
        return new VolumeHeader(name, uuid, size, sco, epoch, tlogs);
    }
}
