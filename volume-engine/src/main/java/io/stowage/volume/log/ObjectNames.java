package io.stowage.volume.log;

/**
 * Names of a volume's objects in its store and files in its cache directory. Numbers are zero-padded so that
 * names sort in creation order: {@code sco.<epoch>.<number>.<version>}, {@code tlog.<epoch>.<seq>},
 * {@code checkpoint.<epoch>.<seq>}.
 * The epoch is the owner epoch under which the object was written (fencing: a stale owner's objects can never
 * collide with the new owner's).
 */
public final class ObjectNames {
    private ObjectNames() {
    }

    public static String sco(long epoch, long number, int version) {
        return String.format("sco.%08d.%012d.%02d", epoch, number, version);
    }

    public static String tlog(long epoch, long seq) {
        return String.format("tlog.%08d.%012d", epoch, seq);
    }

    /** The committed map as of TLog {@code seq}, written under {@code epoch} (see MetadataCheckpoint). */
    public static String checkpoint(long epoch, long seq) {
        return String.format("checkpoint.%08d.%012d", epoch, seq);
    }

    /** A snapshot's own map (a scrub rewrote it), written under {@code epoch}; see VolumeHeader.SnapshotMap. */
    public static String snapshotMap(long epoch, long generation) {
        return String.format("snapmap.%08d.%012d", epoch, generation);
    }

    private static final java.util.regex.Pattern TLOG = java.util.regex.Pattern.compile("tlog\\.\\d+\\.\\d+");

    /** True for a TLog's own name; false for anything else in a TLog directory (a recovery's temporary copy). */
    public static boolean isTlog(String name) {
        return TLOG.matcher(name).matches();
    }

    public static long tlogSeq(String name) {
        return Long.parseLong(name.substring(name.lastIndexOf('.') + 1));
    }

    public static long tlogEpoch(String name) {
        return Long.parseLong(name.split("\\.")[1]);
    }

    public static long scoNumber(String name) {
        return Long.parseLong(name.split("\\.")[2]);
    }

    public static long scoEpoch(String name) {
        return Long.parseLong(name.split("\\.")[1]);
    }
}
