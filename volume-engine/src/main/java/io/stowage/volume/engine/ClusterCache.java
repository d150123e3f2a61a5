package io.stowage.volume.engine;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local read cache of one volume (the VolumeDriver's cluster cache): clusters read from the backend after their
 * SCO was evicted are kept in one file of fixed-size slots in the cache directory, so a working set larger than
 * {@code engine.cache-limit} does not go to the object store on every read. Bounded on disk: at most
 * {@code limitBytes / 4 KiB} slots, the file never grows beyond them; a full cache replaces slots in CLOCK order
 * (a slot read since the hand last passed gets a second chance).
 *
 * <p>A slot holds a committed cluster, keyed by its SCO epoch and location: committed SCOs never change, so an entry
 * cannot go stale. Still every hit is checked against the cluster's CRC32C from the map before it counts: a slot
 * reused by a concurrent {@link #put} while it was read (or damaged on disk) is a miss, and the caller reads the
 * backend. The index is memory only; the file is emptied when the volume opens. Nothing here is durable state, so a
 * failed write to the file is logged and the cache simply holds less.
 *
 * <p>Thread-safe: lookups and slot reads without a lock; claiming and publishing slots under this object's lock,
 * the slot writes between the two outside it.
 */
final class ClusterCache implements Closeable {
    static final String FILE = "read-cache";
    private static final int CLUSTER = Volume.CLUSTER;
    private static final Logger log = LoggerFactory.getLogger(ClusterCache.class);

    private record Key(long scoEpoch, long location) {
    }

    /** A claimed slot being written: not a victim for another put meanwhile. */
    private static final Key WRITING = new Key(-1, -1);

    private final Path path;
    private final FileChannel file;
    private final ConcurrentHashMap<Key, Integer> index = new ConcurrentHashMap<>();
    /** The key each slot holds (null = free, WRITING = being written); guarded by this. */
    private final Key[] slots;
    /** CLOCK reference bits: set by hits (racy by design), cleared by the hand. */
    private final boolean[] referenced;
    private int hand;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private volatile boolean failed;

    private ClusterCache(Path path, FileChannel file, int slots) {
        this.path = path;
        this.file = file;
        this.slots = new Key[slots];
        this.referenced = new boolean[slots];
    }

    /**
     * Opens (and empties) the cache file; null (no read cache) if {@code limitBytes} is below one cluster or the
     * file cannot be opened: the volume works without it, reading the backend.
     */
    static ClusterCache open(Path path, long limitBytes, LocalFiles files) {
        int slots = (int) Math.min(Integer.MAX_VALUE, limitBytes / CLUSTER);
        try {
            if (slots <= 0) {
                files.delete(path); // turned off: a file left by an earlier configuration is only wasted space
                return null;
            }
            FileChannel ch = files.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            return new ClusterCache(path, ch, slots);
        } catch (IOException e) {
            log.warn("read cache {} unavailable ({}); reads of evicted data go to the backend", path, e.toString());
            return null;
        }
    }

    /**
     * Fills {@code dst} (one cluster, from its position) with the cluster at {@code location} of the SCO of
     * {@code scoEpoch} if the cache holds it and it matches {@code crc}; false otherwise ({@code dst} then holds
     * anything).
     */
    boolean read(long scoEpoch, long location, int crc, ByteBuffer dst) {
        Integer slot = index.get(new Key(scoEpoch, location));
        if (slot == null) {
            misses.incrementAndGet();
            return false;
        }
        try {
            ByteBuffer d = dst.duplicate().limit(dst.position() + CLUSTER);
            long p = (long) slot * CLUSTER;
            while (d.hasRemaining()) {
                if (file.read(d, p + d.position() - dst.position()) < 0) break;
            }
            if (d.hasRemaining()) {
                misses.incrementAndGet();
                return false;
            }
        } catch (IOException e) {
            misses.incrementAndGet();
            return false; // the backend has it
        }
        CRC32C c = new CRC32C();
        c.update(dst.duplicate().limit(dst.position() + CLUSTER));
        if ((int) c.getValue() != crc) {
            misses.incrementAndGet();
            return false; // the slot was reused meanwhile (or damaged): not this cluster
        }
        referenced[slot] = true;
        hits.incrementAndGet();
        return true;
    }

    /** Keeps the cluster at {@code location} of the SCO of {@code scoEpoch}, {@code src} from {@code at}. */
    void put(long scoEpoch, long location, ByteBuffer src, int at) {
        if (failed) return;
        Key key = new Key(scoEpoch, location);
        int slot;
        synchronized (this) {
            if (index.containsKey(key)) return;
            slot = claim();
            if (slot < 0) return; // every slot is being written: skip this one
        }
        boolean written = false;
        try {
            ByteBuffer s = src.slice(at, CLUSTER);
            long p = (long) slot * CLUSTER;
            while (s.hasRemaining()) file.write(s, p + s.position());
            written = true;
        } catch (IOException e) {
            failed = true; // e.g. the disk is full: the cache holds what it has, reads go to the backend
            log.warn("read cache {}: writing failed ({}); it takes no new clusters until the volume reopens", path,
                    e.toString());
        } finally {
            synchronized (this) {
                if (written && !index.containsKey(key)) {
                    slots[slot] = key;
                    index.put(key, slot);
                } else {
                    slots[slot] = null;
                }
            }
        }
    }

    /** A free or replaceable slot, marked WRITING and out of the index; -1 if none. Under this. */
    private int claim() {
        for (int step = 0; step < 2 * slots.length + 1; step++) {
            int s = hand;
            hand = (hand + 1) % slots.length;
            Key k = slots[s];
            if (k == WRITING) continue;
            if (k != null && referenced[s]) {
                referenced[s] = false; // second chance
                continue;
            }
            if (k != null) index.remove(k, s);
            slots[s] = WRITING;
            referenced[s] = false;
            return s;
        }
        return -1;
    }

    long hits() {
        return hits.get();
    }

    long misses() {
        return misses.get();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
