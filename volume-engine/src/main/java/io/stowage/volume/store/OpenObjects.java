package io.stowage.volume.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Read channels of directory-store objects read lately, shared by every {@link DirectoryObjectStore} of the process
 * (a volume, its clones and the scrub each have an instance on the same directories). Opening the file for each
 * ranged read of an evicted SCO cost an open and a close per run of clusters, and a fragmented 1 MiB read is up to
 * 256 runs. Only objects that never change once created are kept (SCOs: exclusive create, immutable), and a delete
 * through any store closes its channel first, so a read never sees a name's earlier file after it was deleted here.
 *
 * <p>Bounded: at most {@link #CAPACITY} open files, least recently used closed first. A channel closed by that (or
 * by a delete) under a concurrent read makes the read open the file afresh ({@link #reopen}). Thread-safe.
 */
final class OpenObjects {
    static final int CAPACITY = 128;
    static final OpenObjects SHARED = new OpenObjects(CAPACITY);

    private final int capacity;
    private final Map<Path, FileChannel> open;

    OpenObjects(int capacity) {
        this.capacity = capacity;
        this.open = new LinkedHashMap<>(capacity * 2, 0.75f, true);
    }

    /** Whether objects of this name are kept open: only those immutable once created. */
    static boolean cacheable(String name) {
        return name.startsWith("sco.");
    }

    /** The open channel of {@code file}, opened now if none is. */
    FileChannel channel(Path name) throws IOException {
        Path file = key(name);
        FileChannel evicted = null;
        FileChannel ch;
        synchronized (this) {
            ch = open.get(file);
            if (ch != null && ch.isOpen()) return ch;
        }
        ch = FileChannel.open(file, StandardOpenOption.READ); // outside the lock: a missing file throws here
        synchronized (this) {
            FileChannel raced = open.putIfAbsent(file, ch);
            if (raced != null && raced.isOpen()) {
                evicted = ch; // another reader opened it meanwhile: keep one
                ch = raced;
            } else {
                if (raced != null) open.put(file, ch);
                if (open.size() > capacity) {
                    var eldest = open.entrySet().iterator();
                    Map.Entry<Path, FileChannel> e = eldest.next();
                    eldest.remove();
                    evicted = e.getValue();
                }
            }
        }
        if (evicted != null) evicted.close();
        return ch;
    }

    /** A read found {@code stale} closed: drop it and open the file again (uncached if it raced once more). */
    FileChannel reopen(Path file, FileChannel stale) throws IOException {
        synchronized (this) {
            open.remove(key(file), stale);
        }
        return channel(file);
    }

    /** The object is being deleted or replaced: close its channel, if open. */
    void forget(Path file) throws IOException {
        FileChannel ch;
        synchronized (this) {
            ch = open.remove(key(file));
        }
        if (ch != null) ch.close();
    }

    /** Every object under {@code dir} is being deleted (a volume's directory): close their channels. */
    void forgetUnder(Path dir) throws IOException {
        Path d = key(dir);
        java.util.List<FileChannel> closing = new java.util.ArrayList<>();
        synchronized (this) {
            for (var it = open.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Path, FileChannel> e = it.next();
                if (e.getKey().startsWith(d)) {
                    closing.add(e.getValue());
                    it.remove();
                }
            }
        }
        for (FileChannel ch : closing) ch.close();
    }

    /** One key per file, however the store's directory was named. */
    static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    synchronized int size() {
        return open.size();
    }
}
