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

    /**
     * The name of an SCO. Built by hand, as are the others: a read of an evicted cluster run names its SCO object
     * each time, and {@code String.format} was 12 % of the I/O threads' samples under 64 KiB random I/O.
     */
    public static String sco(long epoch, long number, int version) {
        StringBuilder b = new StringBuilder(32).append("sco.");
        padded(b, epoch, 8).append('.');
        padded(b, number, 12).append('.');
        return padded(b, version, 2).toString();
    }

    public static String tlog(long epoch, long seq) {
        return twoNumbers("tlog.", epoch, seq);
    }

    /** The committed map as of TLog {@code seq}, written under {@code epoch} (see MetadataCheckpoint). */
    public static String checkpoint(long epoch, long seq) {
        return twoNumbers("checkpoint.", epoch, seq);
    }

    /** A snapshot's own map (a scrub rewrote it), written under {@code epoch}; see VolumeHeader.SnapshotMap. */
    public static String snapshotMap(long epoch, long generation) {
        return twoNumbers("snapmap.", epoch, generation);
    }

    private static String twoNumbers(String prefix, long epoch, long n) {
        StringBuilder b = new StringBuilder(40).append(prefix);
        padded(b, epoch, 8).append('.');
        return padded(b, n, 12).toString();
    }

    /** {@code v} in decimal, zero-padded to {@code width} digits, as {@code %0<width>d} writes it. */
    private static StringBuilder padded(StringBuilder b, long v, int width) {
        if (v < 0) return b.append(String.format("%0" + width + "d", v)); // never in a name; as format would
        String digits = Long.toString(v);
        for (int i = digits.length(); i < width; i++) b.append('0');
        return b.append(digits);
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
