package io.stowage.volume.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One 32-byte TLog entry.
 *
 * <pre>
 *  0  type        1 WRITE, 2 DISCARD, 3 SCO_SEALED, 4 TLOG_CLOSED, 5 REMAP, 6 RELOCATED
 *  4  crc         WRITE, REMAP, RELOCATED: CRC32C of the cluster's data; SCO_SEALED: CRC32C of the SCO's cluster
 *                 CRCs in order; TLOG_CLOSED: 0
 *  8  address     WRITE, DISCARD, REMAP: cluster address; SCO_SEALED: SCO number; RELOCATED: the ClusterLocation
 *                 the data was copied from
 * 16  value       WRITE, REMAP, RELOCATED: ClusterLocation; DISCARD: number of clusters (any, one entry per
 *                 discarded range); SCO_SEALED: clusters in the SCO
 * 24  reserved
 * 28  entry CRC   CRC32C of bytes 0..27: a torn or partial entry at the tail is detected and cut off
 * </pre>
 *
 * <p>The entry format is unchanged since the first release (discard ranges and metadata-only copies use the
 * existing types: a copy's unmapped run is one DISCARD); type 6 is new with scrub compaction of snapshot-held SCOs.
 * A type outside 1..6 in an intact entry is refused, never taken for a torn tail (so a release before type 6 refuses
 * such a TLog instead of misreading it).
 *
 * <p>REMAP points a cluster at data that already lives in an SCO of the volume (written by an earlier WRITE): the
 * metadata-only copy of EXTENDED COPY. Unlike a WRITE, its location is not in an SCO this TLog appended to.
 *
 * <p>RELOCATED is a cluster the scrubber copied into the open SCO for snapshots only (data a snapshot still
 * references in an SCO being collected, no longer in the current map): it fills an SCO slot like a WRITE, and is
 * checked like one when local TLogs are replayed, but maps no address. The snapshots that reference the old
 * location get their map rewritten to the new one ({@code snapshot-map=} in the header) once it is committed.
 */
public record TLogEntry(int type, int crc, long address, long value) {
    public static final int SIZE = 32;
    public static final int WRITE = 1;
    public static final int DISCARD = 2;
    public static final int SCO_SEALED = 3;
    public static final int TLOG_CLOSED = 4;
    public static final int REMAP = 5;
    public static final int RELOCATED = 6;

    public static TLogEntry write(long address, long location, int crc) {
        return new TLogEntry(WRITE, crc, address, location);
    }

    public static TLogEntry remap(long address, long location, int crc) {
        return new TLogEntry(REMAP, crc, address, location);
    }

    public static TLogEntry relocated(long from, long location, int crc) {
        return new TLogEntry(RELOCATED, crc, from, location);
    }

    public static TLogEntry discard(long address, long count) {
        return new TLogEntry(DISCARD, 0, address, count);
    }

    public static TLogEntry scoSealed(long sco, int clusters, int crc) {
        return new TLogEntry(SCO_SEALED, crc, sco, clusters);
    }

    public static TLogEntry closed() {
        return new TLogEntry(TLOG_CLOSED, 0, 0, 0);
    }

    public void writeTo(ByteBuffer b) {
        int start = b.position();
        b.put((byte) type).put((byte) 0).putShort((short) 0);
        b.putInt(crc).putLong(address).putLong(value).putInt(0);
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(start).limit(start + 28));
        b.putInt((int) c.getValue());
    }

    /** An intact entry of a type this version does not know (written by a later release). */
    public static final class UnknownEntryTypeException extends IllegalStateException {
        public UnknownEntryTypeException(int type, int offset) {
            super("TLog entry type " + type + " at byte " + offset + " is not known to this version of Stowage "
                    + "(written by a later release?); refusing to read it as a torn tail");
        }
    }

    /**
     * The entry at the buffer's position, or null if it is torn (bad entry CRC). An intact entry of an unknown type
     * is not torn: it throws {@link UnknownEntryTypeException}, since cutting the TLog there would silently drop it
     * and everything after it.
     */
    public static TLogEntry readFrom(ByteBuffer b) {
        int start = b.position();
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(start).limit(start + 28));
        int type = b.get(start) & 0xFF;
        int stored = b.getInt(start + 28);
        if ((int) c.getValue() != stored) {
            return null;
        }
        if (type < WRITE || type > RELOCATED) {
            throw new UnknownEntryTypeException(type, start);
        }
        TLogEntry e = new TLogEntry(type, b.getInt(start + 4), b.getLong(start + 8), b.getLong(start + 16));
        b.position(start + SIZE);
        return e;
    }
}
