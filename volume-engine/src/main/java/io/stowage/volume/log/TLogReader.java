package io.stowage.volume.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a TLog's entries. Two readings, because a torn tail means different things:
 * <ul>
 *   <li>{@link #read}: a local TLog that was being appended to at a crash; its entries count up to the first torn
 *       one (what follows was never flushed, or recovery cuts it).</li>
 *   <li>{@link #readCommitted}: a TLog the header references (closed, fsynced, uploaded). It was complete when it
 *       was committed, so anything short of every entry intact and TLOG_CLOSED last is damage: applying the part
 *       before it would silently revert later clusters to older data, so it is an error.</li>
 * </ul>
 */
public final class TLogReader {
    private TLogReader() {
    }

    public static List<TLogEntry> read(byte[] bytes) {
        List<TLogEntry> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.remaining() >= TLogEntry.SIZE) {
            TLogEntry e = TLogEntry.readFrom(b);
            if (e == null) break;
            out.add(e);
        }
        return out;
    }

    public static List<TLogEntry> read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    /**
     * Every entry of the committed TLog {@code name}; throws {@link CorruptTLogException} naming it unless all of
     * them are intact and the last one, only the last, is TLOG_CLOSED.
     */
    public static List<TLogEntry> readCommitted(byte[] bytes, String name) throws CorruptTLogException {
        if (bytes.length % TLogEntry.SIZE != 0) {
            throw new CorruptTLogException(name, "its size " + bytes.length + " is not a whole number of entries");
        }
        List<TLogEntry> out = new ArrayList<>(bytes.length / TLogEntry.SIZE);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            int at = b.position() / TLogEntry.SIZE;
            if (!out.isEmpty() && out.get(out.size() - 1).type() == TLogEntry.TLOG_CLOSED) {
                throw new CorruptTLogException(name, "entry " + at + " follows TLOG_CLOSED");
            }
            TLogEntry e;
            try {
                e = TLogEntry.readFrom(b);
            } catch (TLogEntry.UnknownEntryTypeException unknown) {
                throw new CorruptTLogException(name, "entry " + at + " has type " + (bytes[at * TLogEntry.SIZE] & 0xFF)
                        + ", which this release does not know (written by a newer Stowage?)");
            }
            if (e == null) {
                int start = at * TLogEntry.SIZE;
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(bytes, start, 28);
                if ((int) crc.getValue() == b.getInt(start + 28)) { // intact, but not a type this release knows
                    throw new CorruptTLogException(name, "entry " + at + " has type " + (bytes[start] & 0xFF)
                            + ", which this release does not know (written by a newer Stowage?)");
                }
                throw new CorruptTLogException(name, "entry " + at + " fails its CRC check");
            }
            out.add(e);
        }
        if (out.isEmpty() || out.get(out.size() - 1).type() != TLogEntry.TLOG_CLOSED) {
            throw new CorruptTLogException(name, "it does not end in TLOG_CLOSED (truncated after "
                    + out.size() + " entries)");
        }
        return out;
    }

    public static List<TLogEntry> readCommitted(Path file, String name) throws IOException {
        return readCommitted(Files.readAllBytes(file), name);
    }

    /** A committed TLog is damaged: the volume cannot be opened (or absorb it) without losing committed writes. */
    public static final class CorruptTLogException extends IOException {
        public CorruptTLogException(String name, String why) {
            super("committed TLog " + name + " cannot be applied: " + why);
        }
    }
}
