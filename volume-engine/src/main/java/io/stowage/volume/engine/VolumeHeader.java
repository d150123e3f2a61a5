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
 * <p>Snapshots ({@link Retention}): a snapshot is a named cut in the TLog sequence, the state after TLog
 * {@code seq}; no data is copied. Its map is rebuilt from its <em>base</em> (the newest checkpoint at or before its
 * cut, or nothing) plus the TLogs after the base up to the cut, so a checkpoint that folds TLogs a snapshot needs
 * keeps them (and a superseded checkpoint that is some snapshot's base) in the retention lists; whatever no snapshot
 * needs any more is dropped from the header, and its object becomes garbage ({@link #objectNames} before and after
 * a commit tell which).
 *
 * <p>Format: {@code stowage-volume-header 1} (no checkpoint; what releases before checkpoints wrote and read),
 * {@code 2} (with {@code checkpoint=} and {@code scos=} lines), {@code 3} (with snapshots or retained objects:
 * {@code snapshot=}, {@code retained-checkpoint=}, {@code retained-tlog=}; a release before snapshots would
 * collect a snapshot's TLogs, so it must refuse such a header) or {@code 4} (a clone: {@code ancestor=} lines,
 * the {@linkplain #lineage lineage}; a release before clones would read its parent's clusters from its own
 * namespace) or {@code 5} (a snapshot with its own map, {@code snapshot-map=}: a release before scrub compaction
 * would read the snapshot from TLogs and SCOs that are gone). A header is written in the oldest format that holds
 * it. A header in a format this code does not know is refused, never misread.
 */
public record VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch,
                           List<TLogRecord> tlogs, Checkpoint checkpoint, List<ScoSegment> foldedScos,
                           long tlogCommitEpoch, Retention retention, List<Ancestor> lineage) {
    static final String MAGIC = "stowage-volume-header ";
    static final int NEWEST_FORMAT = 5;

    /**
     * One volume a clone reads untouched clusters from: {@code lineage.get(d - 1)} is the volume at clone depth
     * {@code d} (1 = the parent), named with its UUID (a volume of that name created later is not it) and the
     * snapshot of it the clone (or, for d &gt; 1, the clone's ancestor at depth d - 1) was made from.
     */
    public record Ancestor(String volume, UUID uuid, String snapshot, long seq) {
    }

    /**
     * A snapshot: the state after TLog {@code seq}, made at {@code createdMillis}; {@code writtenBytes} is the
     * volume's {@link Retention#writtenBytes} at the cut (so the bytes written between two snapshots are a
     * difference); {@code clones} counts the clones made of it (each reads clusters of this snapshot in place: see
     * {@link Clones}).
     */
    public record Snapshot(String name, long seq, long createdMillis, long writtenBytes, int clones, SnapshotMap map) {
        public Snapshot(String name, long seq, long createdMillis, long writtenBytes, int clones) {
            this(name, seq, createdMillis, writtenBytes, clones, null);
        }

        Snapshot withMap(SnapshotMap m) {
            return new Snapshot(name, seq, createdMillis, writtenBytes, clones, m);
        }
    }

    /**
     * A snapshot's own map, written by a scrub that moved clusters the snapshot references out of SCOs it
     * collected (see {@link Scrubber}): the snapshot's whole map as a {@link MetadataCheckpoint} of TLog
     * {@code seq} in object {@code snapmap.<epoch>.<generation>}; it replaces the snapshot's base and TLogs, which
     * the snapshot no longer needs. {@code generation} is unique among the header's snapshot maps of one epoch.
     */
    public record SnapshotMap(long epoch, long generation, long entries) {
        String objectName() {
            return io.stowage.volume.log.ObjectNames.snapshotMap(epoch, generation);
        }

        /** The checkpoint record that reads it ({@link MetadataCheckpoint#read} checks the seq and count). */
        Checkpoint asCheckpoint(Snapshot s) {
            return new Checkpoint(s.seq(), epoch, entries);
        }
    }

    /**
     * What snapshots keep: the snapshots in cut order, checkpoints other than the current one that are some
     * snapshot's base, TLog records folded by a checkpoint that a snapshot still needs, and the data bytes
     * committed over the volume's life (SCO bytes of every committed TLog; a header before snapshots starts at 0).
     */
    public record Retention(List<Snapshot> snapshots, List<Checkpoint> checkpoints, List<TLogRecord> tlogs,
                            long writtenBytes) {
        static final Retention NONE = new Retention(List.of(), List.of(), List.of(), 0);

        public Retention {
            snapshots = List.copyOf(snapshots);
            checkpoints = List.copyOf(checkpoints);
            tlogs = List.copyOf(tlogs);
        }

        boolean holdsAnything() {
            return !snapshots.isEmpty() || !checkpoints.isEmpty() || !tlogs.isEmpty();
        }
    }

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
        lineage = List.copyOf(lineage);
    }

    public VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch, List<TLogRecord> tlogs) {
        this(name, uuid, sizeBytes, scoClusters, epoch, tlogs, null, List.of(), newestEpoch(tlogs, List.of()),
                Retention.NONE, List.of());
    }

    public VolumeHeader(String name, UUID uuid, long sizeBytes, int scoClusters, long epoch, List<TLogRecord> tlogs,
                        Checkpoint checkpoint, List<ScoSegment> foldedScos, long tlogCommitEpoch) {
        this(name, uuid, sizeBytes, scoClusters, epoch, tlogs, checkpoint, foldedScos, tlogCommitEpoch,
                Retention.NONE, List.of());
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
        return withTlog(r, 0);
    }

    /** This header plus one more committed TLog, which wrote {@code dataBytes} of SCO data. */
    public VolumeHeader withTlog(TLogRecord r, long dataBytes) {
        List<TLogRecord> l = new ArrayList<>(tlogs);
        l.add(r);
        Retention k = new Retention(retention.snapshots(), retention.checkpoints(), retention.tlogs(),
                retention.writtenBytes() + dataBytes);
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, l, checkpoint, foldedScos, epoch, k, lineage);
    }

    public VolumeHeader withSize(long bytes) {
        return new VolumeHeader(name, uuid, bytes, scoClusters, epoch, tlogs, checkpoint, foldedScos, tlogCommitEpoch,
                retention, lineage);
    }

    public VolumeHeader withEpoch(long e) {
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, e, tlogs, checkpoint, foldedScos, tlogCommitEpoch,
                retention, lineage);
    }

    /** The snapshot named {@code name}, or null. */
    public Snapshot snapshot(String name) {
        for (Snapshot s : retention.snapshots()) if (s.name().equals(name)) return s;
        return null;
    }

    /** This header with snapshot {@code name}'s clone count changed by {@code delta} (at least 0). */
    VolumeHeader withClones(String name, int delta) {
        List<Snapshot> l = new ArrayList<>();
        boolean found = false;
        for (Snapshot s : retention.snapshots()) {
            if (s.name().equals(name)) {
                s = new Snapshot(s.name(), s.seq(), s.createdMillis(), s.writtenBytes(), Math.max(0, s.clones() + delta),
                        s.map());
                found = true;
            }
            l.add(s);
        }
        if (!found) throw new IllegalArgumentException("no snapshot " + name);
        return new VolumeHeader(name(), uuid, sizeBytes, scoClusters, epoch, tlogs, checkpoint, foldedScos,
                tlogCommitEpoch, new Retention(l, retention.checkpoints(), retention.tlogs(),
                retention.writtenBytes()), lineage);
    }

    /**
     * This header with the given snapshots' own maps (by name; a scrub's rewrite): what those snapshots needed
     * before (base checkpoints, TLogs, an earlier own map) is dropped where no other snapshot needs it.
     */
    VolumeHeader withSnapshotMaps(java.util.Map<String, SnapshotMap> maps) {
        List<Snapshot> l = new ArrayList<>();
        for (Snapshot s : retention.snapshots()) {
            SnapshotMap m = maps.get(s.name());
            l.add(m == null ? s : s.withMap(m));
        }
        return withRetention(l, retention.checkpoints(), retention.tlogs(), retention.writtenBytes());
    }

    /** The generation the next snapshot map of {@code epoch} gets: after every one this header names. */
    long nextSnapshotMapGeneration(long epoch) {
        long g = 0;
        for (Snapshot s : retention.snapshots()) {
            if (s.map() != null && s.map().epoch() == epoch) g = Math.max(g, s.map().generation() + 1);
        }
        return g;
    }

    /** Snapshots with clones (a volume with any cannot be deleted, nor rolled back past them). */
    List<Snapshot> clonedSnapshots() {
        return retention.snapshots().stream().filter(s -> s.clones() > 0).toList();
    }

    /** This header with snapshot {@code s} added after the others (its cut is the newest). */
    VolumeHeader withSnapshot(Snapshot s) {
        if (snapshot(s.name()) != null) throw new IllegalArgumentException("snapshot " + s.name() + " exists");
        List<Snapshot> l = new ArrayList<>(retention.snapshots());
        l.add(s);
        return withRetention(l, retention.checkpoints(), retention.tlogs(), retention.writtenBytes());
    }

    /**
     * This header without snapshot {@code name}: the TLogs it needed become the next snapshot's (or the current
     * state's) where those need them; what nothing needs any more is dropped (garbage once this is committed).
     */
    VolumeHeader withoutSnapshot(String name) {
        List<Snapshot> l = new ArrayList<>(retention.snapshots());
        if (!l.removeIf(s -> s.name().equals(name))) throw new IllegalArgumentException("no snapshot " + name);
        return withRetention(l, retention.checkpoints(), retention.tlogs(), retention.writtenBytes());
    }

    /**
     * This header rolled back to snapshot {@code s}: its map is now checkpoint {@code c} (written from the
     * snapshot's map, at a TLog number after every committed one, so the last committed TLog only grows); the
     * TLogs after the cut and the snapshots after it are dropped, the TLogs up to it are folded like a checkpoint's.
     */
    VolumeHeader rolledBackTo(Snapshot s, Checkpoint c) {
        List<Snapshot> kept = new ArrayList<>();
        for (Snapshot x : retention.snapshots()) {
            kept.add(x);
            if (x.name().equals(s.name())) break;
        }
        List<TLogRecord> upToCut = tlogs.stream().filter(t -> t.seq() <= s.seq()).toList();
        VolumeHeader cut = new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, upToCut, checkpoint,
                foldedScos, tlogCommitEpoch, new Retention(kept, retention.checkpoints(), retention.tlogs(),
                s.writtenBytes()), lineage);
        VolumeHeader folded = cut.withCheckpoint(c);
        // the SCOs of the dropped TLogs stay covered (their number and epoch): the scrubber collects only committed
        // SCOs it can tell are this lineage's, and an open after the rollback numbers new SCOs after them
        List<ScoSegment> segments = new ArrayList<>(folded.foldedScos());
        for (TLogRecord t : tlogs) {
            if (t.seq() > s.seq() && t.lastSco() >= t.firstSco()) {
                segments.add(new ScoSegment(t.epoch(), t.firstSco(), t.lastSco()));
            }
        }
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, folded.tlogs(), folded.checkpoint(),
                segments, tlogCommitEpoch, folded.retention(), lineage);
    }

    /**
     * The checkpoint a snapshot's map starts from: the newest one at or before its cut, or null (an empty map). Not
     * for a snapshot with its own map ({@link Snapshot#map}), which needs nothing else.
     */
    Checkpoint baseOf(Snapshot s) {
        return baseAt(s.seq());
    }

    /** The newest checkpoint (current or retained) at or before TLog {@code seq}, or null. */
    Checkpoint baseAt(long seq) {
        Checkpoint best = null;
        List<Checkpoint> all = new ArrayList<>(retention.checkpoints());
        if (checkpoint != null) all.add(checkpoint);
        for (Checkpoint c : all) {
            if (c.seq() <= seq && (best == null || c.seq() > best.seq())) best = c;
        }
        return best;
    }

    /** The committed TLogs (retained and current) after {@code after} up to {@code upTo}, in order. */
    List<TLogRecord> tlogsBetween(long after, long upTo) {
        List<TLogRecord> l = new ArrayList<>();
        for (TLogRecord t : retention.tlogs()) if (t.seq() > after && t.seq() <= upTo) l.add(t);
        for (TLogRecord t : tlogs) if (t.seq() > after && t.seq() <= upTo) l.add(t);
        l.sort(java.util.Comparator.comparingLong(TLogRecord::seq));
        return l;
    }

    /** Names of the TLog and checkpoint objects this header references (current and retained). */
    java.util.Set<String> objectNames() {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (TLogRecord t : tlogs) names.add(io.stowage.volume.log.ObjectNames.tlog(t.epoch(), t.seq()));
        for (TLogRecord t : retention.tlogs()) names.add(io.stowage.volume.log.ObjectNames.tlog(t.epoch(), t.seq()));
        if (checkpoint != null) names.add(io.stowage.volume.log.ObjectNames.checkpoint(checkpoint.epoch(), checkpoint.seq()));
        for (Checkpoint c : retention.checkpoints()) {
            names.add(io.stowage.volume.log.ObjectNames.checkpoint(c.epoch(), c.seq()));
        }
        for (Snapshot s : retention.snapshots()) if (s.map() != null) names.add(s.map().objectName());
        return names;
    }

    /**
     * This header with the given snapshots and candidate retained objects, of which only what a snapshot needs is
     * kept: for each snapshot its base checkpoint (if not the current one) and the folded TLogs after the base up
     * to its cut.
     */
    private VolumeHeader withRetention(List<Snapshot> snaps, List<Checkpoint> candidateCheckpoints,
                                       List<TLogRecord> candidateTlogs, long written) {
        VolumeHeader all = new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, tlogs, checkpoint, foldedScos,
                tlogCommitEpoch, new Retention(snaps, candidateCheckpoints, candidateTlogs, written), lineage);
        java.util.Set<Checkpoint> cps = new java.util.LinkedHashSet<>();
        java.util.Set<TLogRecord> recs = new java.util.LinkedHashSet<>();
        for (Snapshot s : snaps) {
            if (s.map() != null) continue; // its own map holds it all
            Checkpoint base = all.baseOf(s);
            if (base != null && !base.equals(checkpoint)) cps.add(base);
            long after = base == null ? 0 : base.seq();
            for (TLogRecord t : candidateTlogs) if (t.seq() > after && t.seq() <= s.seq()) recs.add(t);
        }
        List<Checkpoint> keptCps = candidateCheckpoints.stream().filter(cps::contains).toList();
        List<TLogRecord> keptRecs = candidateTlogs.stream().filter(recs::contains).toList();
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, tlogs, checkpoint, foldedScos,
                tlogCommitEpoch, new Retention(snaps, keptCps, keptRecs, written), lineage);
    }

    /**
     * This header with {@code c} as its checkpoint: the records up to {@code c.seq()} are folded into SCO segments
     * (and no longer needed to open the volume); later records stay.
     */
    public VolumeHeader withCheckpoint(Checkpoint c) {
        List<ScoSegment> segments = new ArrayList<>(foldedScos);
        List<TLogRecord> later = new ArrayList<>();
        List<Checkpoint> candidateCheckpoints = new ArrayList<>(retention.checkpoints());
        if (checkpoint != null) candidateCheckpoints.add(checkpoint); // superseded: kept if a snapshot's base
        List<TLogRecord> candidateTlogs = new ArrayList<>(retention.tlogs());
        for (TLogRecord t : tlogs) {
            if (t.seq() > c.seq()) {
                later.add(t);
                continue;
            }
            candidateTlogs.add(t); // folded: kept if a snapshot needs it
            if (t.lastSco() < t.firstSco()) continue; // a TLog of no SCO (only discards or remaps)
            ScoSegment last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
            if (last != null && last.epoch() == t.epoch() && t.firstSco() > last.lastSco()) {
                segments.set(segments.size() - 1, new ScoSegment(last.epoch(), last.firstSco(), t.lastSco()));
            } else {
                segments.add(new ScoSegment(t.epoch(), t.firstSco(), t.lastSco()));
            }
        }
        return new VolumeHeader(name, uuid, sizeBytes, scoClusters, epoch, later, c, segments, tlogCommitEpoch,
                retention, lineage).withRetention(retention.snapshots(), candidateCheckpoints, candidateTlogs,
                retention.writtenBytes());
    }

    /** The TLog records a checkpoint at {@code seq} folds (their objects become garbage once it is committed). */
    public List<TLogRecord> tlogsUpTo(long seq) {
        return tlogs.stream().filter(t -> t.seq() <= seq).toList();
    }

    public byte[] serialize() {
        boolean v2 = checkpoint != null || !foldedScos.isEmpty();
        boolean ownMaps = retention.snapshots().stream().anyMatch(x -> x.map() != null);
        int format = ownMaps ? 5 : !lineage.isEmpty() ? 4 : retention.holdsAnything() ? 3 : v2 ? 2 : 1;
        StringBuilder sb = new StringBuilder(MAGIC).append(format).append('\n');
        sb.append("name=").append(name).append('\n');
        sb.append("uuid=").append(uuid).append('\n');
        sb.append("size=").append(sizeBytes).append('\n');
        sb.append("sco-clusters=").append(scoClusters).append('\n');
        sb.append("epoch=").append(epoch).append('\n');
        sb.append("tlog-commit-epoch=").append(tlogCommitEpoch).append('\n'); // older readers skip unknown keys
        for (int d = 1; d <= lineage.size(); d++) {
            Ancestor a = lineage.get(d - 1);
            sb.append("ancestor=").append(d).append(',').append(a.uuid()).append(',').append(a.seq()).append(',')
                    .append(a.volume()).append(',').append(a.snapshot()).append('\n');
        }
        if (retention.writtenBytes() != 0) sb.append("written-bytes=").append(retention.writtenBytes()).append('\n');
        for (Snapshot x : retention.snapshots()) {
            sb.append("snapshot=").append(x.seq()).append(',').append(x.createdMillis()).append(',')
                    .append(x.writtenBytes()).append(',').append(x.clones()).append(',').append(x.name()).append('\n');
        }
        for (Snapshot x : retention.snapshots()) {
            if (x.map() == null) continue;
            sb.append("snapshot-map=").append(x.map().epoch()).append(',').append(x.map().generation()).append(',')
                    .append(x.map().entries()).append(',').append(x.name()).append('\n');
        }
        for (Checkpoint x : retention.checkpoints()) {
            sb.append("retained-checkpoint=").append(x.seq()).append(',').append(x.epoch()).append(',')
                    .append(x.entries()).append('\n');
        }
        for (TLogRecord t : retention.tlogs()) {
            sb.append("retained-tlog=").append(t.seq()).append(',').append(t.epoch()).append(',').append(t.firstSco())
                    .append(',').append(t.lastSco()).append('\n');
        }
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
        long written = 0;
        List<Snapshot> snaps = new ArrayList<>();
        List<Checkpoint> keptCheckpoints = new ArrayList<>();
        List<TLogRecord> keptTlogs = new ArrayList<>();
        List<Ancestor> lineage = new ArrayList<>();
        java.util.Map<String, SnapshotMap> ownMaps = new java.util.HashMap<>();
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
                case "written-bytes" -> written = Long.parseLong(v);
                case "snapshot" -> {
                    String[] p = v.split(",", 5);
                    snaps.add(new Snapshot(p[4], Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]),
                            Integer.parseInt(p[3])));
                }
                case "snapshot-map" -> { // snapshot names hold no ','
                    String[] p = v.split(",", 4);
                    ownMaps.put(p[3], new SnapshotMap(Long.parseLong(p[0]), Long.parseLong(p[1]),
                            Long.parseLong(p[2])));
                }
                case "retained-checkpoint" -> {
                    String[] p = v.split(",");
                    keptCheckpoints.add(new Checkpoint(Long.parseLong(p[0]), Long.parseLong(p[1]),
                            Long.parseLong(p[2])));
                }
                case "retained-tlog" -> {
                    String[] p = v.split(",");
                    keptTlogs.add(new TLogRecord(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]),
                            Long.parseLong(p[3])));
                }
                case "ancestor" -> { // volume and snapshot names hold no ','
                    String[] p = v.split(",", 5);
                    if (Integer.parseInt(p[0]) != lineage.size() + 1) throw new IllegalArgumentException("ancestor "
                            + p[0] + " out of order");
                    lineage.add(new Ancestor(p[3], UUID.fromString(p[1]), p[4], Long.parseLong(p[2])));
                }
                default -> { }
            }
        }
        if (tlogCommitEpoch < 0) tlogCommitEpoch = newestEpoch(tlogs, segments); // a header from before the line
        for (int i = 0; i < snaps.size(); i++) {
            SnapshotMap m = ownMaps.remove(snaps.get(i).name());
            if (m != null) snaps.set(i, snaps.get(i).withMap(m));
        }
        if (!ownMaps.isEmpty()) throw new IllegalArgumentException("snapshot-map of no snapshot: " + ownMaps.keySet());
        return new VolumeHeader(name, uuid, size, sco, epoch, tlogs, checkpoint, segments, tlogCommitEpoch,
                new Retention(snaps, keptCheckpoints, keptTlogs, written), lineage);
    }
}
