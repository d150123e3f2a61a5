package io.stowage.volume.engine;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * A metadata checkpoint: the committed cluster map as of one TLog, as one immutable object, so that opening a volume
 * from the backend alone reads this plus the TLogs after it instead of every TLog the volume ever committed.
 *
 * <pre>
 *  0   magic "STOWCKPT"
 *  8   format (int, 1)
 * 12   seq: the last TLog the map includes (long)
 * 20   entries, address order: address (long), ClusterLocation (long), CRC32C of the cluster (int) — 20 bytes each
 * end  count of entries (long), CRC32C of every byte before it (int)
 * </pre>
 *
 * Big-endian. Reading is streaming in fixed chunks (memory does not grow with the volume); the map is replaced only
 * once the trailer's count and CRC check out, so a damaged checkpoint fails the open and changes nothing.
 */
final class MetadataCheckpoint {
    static final byte[] MAGIC = "STOWCKPT".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT = 1;
    static final int HEAD = 20;
    static final int ENTRY = 20;
    static final int TRAILER = 12;
    private static final int CHUNK = 1 << 20;

    /** What {@link #write} wrote: the state after TLog {@code seq}, {@code entries} mappings. */
    record Written(long seq, long entries) {
    }

    private MetadataCheckpoint() {
    }

    static long objectSize(long entries) {
        return HEAD + entries * ENTRY + TRAILER;
    }

    /**
     * Writes the committed map to {@code file} (fsynced). {@code cancelled} is polled as it goes: a closing volume
     * does not wait for a large checkpoint.
     */
    static Written write(ClusterMap map, Path file, BooleanSupplier cancelled) throws IOException {
        return write(map, file, cancelled, (location, crc) -> location);
    }

    /** A mapping's location as it goes into a checkpoint; a failure (an IOException) fails the write. */
    interface Relocation {
        long apply(long location, int crc) throws IOException;
    }

    /**
     * As {@link #write}, each location passed through {@code relocate} (a clone's seed: one clone depth deeper; a
     * snapshot's map rewritten by a scrub: moved clusters at their new place).
     */
    static Written write(ClusterMap map, Path file, BooleanSupplier cancelled, Relocation relocate)
            throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            CRC32C crc = new CRC32C();
            long[] count = {0};
            long seq = map.scanCommitted(s -> buf.put(MAGIC).putInt(FORMAT).putLong(s), (address, location, c) -> {
                if (buf.remaining() < ENTRY) {
                    if (cancelled.getAsBoolean()) throw new IOException("checkpoint cancelled: volume closing");
                    drain(ch, buf, crc);
                }
                buf.putLong(address).putLong(relocate.apply(location, c)).putInt(c);
                count[0]++;
            });
            drain(ch, buf, crc);
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER).putLong(count[0]).putInt((int) crc.getValue()).flip();
            long at = ch.size();
            while (trailer.hasRemaining()) at += ch.write(trailer, at);
            ch.force(true);
            return new Written(seq, count[0]);
        }
    }

    private static void drain(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
        buf.flip();
        crc.update(buf.duplicate());
        long at = ch.size();
        while (buf.hasRemaining()) at += ch.write(buf, at);
        buf.clear();
    }

    /**
     * Replaces {@code map}'s committed state with the checkpoint {@code objectName} of {@code c.entries()} entries;
     * fails, naming the object, if it is not exactly what the header says (size, format, seq, order, count, CRC).
     */
    static void load(ObjectStore store, String objectName, VolumeHeader.Checkpoint c, ClusterMap map)
            throws IOException {
        map.replaceCommitted(c.seq(), into -> read(store, objectName, c, into));
    }

    /**
     * Streams the checkpoint's mappings in address order into {@code into}; fails, naming the object, if it is not
     * exactly what the header says (checked as it goes, and the count and CRC at the end: a caller that must not
     * act on a damaged checkpoint acts only once this returns).
     */
    static void read(ObjectStore store, String objectName, VolumeHeader.Checkpoint c,
                     ClusterMap.CommittedVisitor into) throws IOException {
        {
            CRC32C crc = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocate(CHUNK - CHUNK % ENTRY + HEAD);
            long pos = 0;
            long entries = 0;
            long previous = -1;
            boolean head = true;
            long bodyEnd = HEAD + c.entries() * ENTRY;
            while (pos < bodyEnd) {
                int n = (int) Math.min(head ? HEAD + (long) (CHUNK / ENTRY) * ENTRY : (CHUNK / ENTRY) * ENTRY,
                        bodyEnd - pos);
                buf.clear().limit(n);
                read(store, objectName, pos, buf);
                crc.update(buf.duplicate());
                if (head) {
                    byte[] magic = new byte[MAGIC.length];
                    buf.get(magic);
                    int format = buf.getInt();
                    long seq = buf.getLong();
                    if (!java.util.Arrays.equals(magic, MAGIC)) throw damaged(objectName, "not a checkpoint");
                    if (format != FORMAT) {
                        throw damaged(objectName, "format " + format + " is not known to this release (it reads "
                                + FORMAT + ")");
                    }
                    if (seq != c.seq()) throw damaged(objectName, "it is of TLog " + seq + ", the header says " + c.seq());
                    head = false;
                }
                while (buf.remaining() >= ENTRY) {
                    long address = buf.getLong();
                    long location = buf.getLong();
                    int clusterCrc = buf.getInt();
                    if (address <= previous) throw damaged(objectName, "addresses out of order");
                    previous = address;
                    into.visit(address, location, clusterCrc);
                    entries++;
                }
                pos += n;
            }
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER);
            read(store, objectName, bodyEnd, trailer);
            long count = trailer.getLong(0);
            int stored = trailer.getInt(8);
            if (count != entries || count != c.entries()) {
                throw damaged(objectName, count + " entries recorded, " + c.entries() + " expected");
            }
            if (stored != (int) crc.getValue()) throw damaged(objectName, "CRC mismatch");
        }
    }

    private static void read(ObjectStore store, String name, long pos, ByteBuffer dst) throws IOException {
        try {
            store.get(name, pos, dst.remaining(), dst);
        } catch (ObjectStore.FencedException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("metadata checkpoint " + name + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static IOException damaged(String name, String why) {
        return new IOException("metadata checkpoint " + name + " is damaged (" + why + "); the volume is not opened");
    }
}
