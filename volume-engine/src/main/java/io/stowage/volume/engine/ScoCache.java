package io.stowage.volume.engine;

import io.stowage.volume.log.ObjectNames;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The local SCO files of one volume (the cache directory). An SCO is OPEN while clusters are appended, SEALED
 * when full (immutable, waiting for upload: dirty, never evicted), UPLOADED once its TLog and the header are
 * committed (clean: evictable, least recently used first).
 *
 * <pre>
 *  OPEN ──seal──► SEALED ──header commit──► UPLOADED ──evict──► (file deleted; reads go to the backend)
 * </pre>
 *
 * Thread-safe.
 */
final class ScoCache {
    enum State { OPEN, SEALED, UPLOADED }

    static final class Sco {
        final long number;
        final long epoch;
        final Path file;
        final FileChannel channel;
        /** Reads of the sealed SCO copy from this map ({@link ScoMapping}); closed with the channel. */
        final ScoMapping mapping = new ScoMapping();
        volatile State state;
        volatile long bytes;
        volatile long lastUse = System.nanoTime();

        Sco(long number, long epoch, Path file, FileChannel channel, State state, long bytes) {
            this.number = number;
            this.epoch = epoch;
            this.file = file;
            this.channel = channel;
            this.state = state;
            this.bytes = bytes;
        }

        String objectName() {
            return ObjectNames.sco(epoch, number, 0);
        }
    }

    private final Path dir;
    private final LocalFiles files;
    private final DirectorySync entries;
    private final ConcurrentHashMap<Long, Sco> scos = new ConcurrentHashMap<>();

    ScoCache(Path dir, LocalFiles files) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.files = files;
        this.entries = new DirectorySync(this.dir, files);
    }

    /** Makes the SCO files created or deleted since the last call durable by name (a flush calls it). */
    void syncDirectory() throws IOException {
        entries.sync();
    }

    /** SCO files found in the directory at start-up (state decided by recovery). */
    List<Path> existingFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("sco.")).sorted().toList();
        }
    }

    Sco create(long epoch, long number) throws IOException {
        return create(epoch, number, 0);
    }

    /**
     * Creates an empty SCO file with {@code reserveBytes} of disk blocks reserved for it (its full size): a flush's
     * fdatasync of the open SCO then writes into existing blocks (see {@link NativeFiles}). A seal short of full
     * gives the rest back ({@link #releaseReserved}).
     */
    Sco create(long epoch, long number, long reserveBytes) throws IOException {
        Path f = dir.resolve(ObjectNames.sco(epoch, number, 0));
        FileChannel ch = files.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        files.reserve(f, 0, reserveBytes);
        entries.changed();
        Sco s = new Sco(number, epoch, f, ch, State.OPEN, 0);
        scos.put(number, s);
        return s;
    }

    /**
     * Registers an SCO file that survived a restart. Lookups are by number (a location names no epoch), so two files
     * of one number (another epoch's left behind) would shadow each other: refused.
     */
    Sco adopt(Path file, State state) throws IOException {
        String n = file.getFileName().toString();
        long number = ObjectNames.scoNumber(n);
        Sco other = scos.get(number);
        if (other != null) {
            throw new IOException("SCO files " + other.file + " and " + file + " have the same number");
        }
        FileChannel ch = files.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = ch.size();
        files.releaseReserved(file, size); // an SCO that was open at a stop or crash never grows again
        Sco s = new Sco(number, ObjectNames.scoEpoch(n), file, ch, state, size);
        scos.put(s.number, s);
        return s;
    }

    /** The SCO stopped growing before it was full: the blocks reserved past its end go back to the disk. */
    void releaseReserved(Sco s) {
        files.releaseReserved(s.file, s.bytes);
    }

    Sco get(long number) {
        Sco s = scos.get(number);
        if (s != null) s.lastUse = System.nanoTime();
        return s;
    }

    Collection<Sco> all() {
        return scos.values();
    }

    /** The SCO is committed: evictable from now on. Only that very file, never another of its number. */
    void markUploaded(Sco s) {
        if (scos.get(s.number) == s) s.state = State.UPLOADED;
    }

    long dirtyBytes() {
        long n = 0;
        for (Sco s : scos.values()) if (s.state != State.UPLOADED) n += s.bytes;
        return n;
    }

    long totalBytes() {
        long n = 0;
        for (Sco s : scos.values()) n += s.bytes;
        return n;
    }

    /** Deletes uploaded SCOs, least recently used first, until the cache holds at most {@code limit} bytes. */
    int evict(long limit) throws IOException {
        long total = totalBytes();
        if (total <= limit) return 0;
        // lastUse changes under concurrent reads: sort a snapshot of it, never the live field
        record Candidate(Sco sco, long lastUse) {
        }
        List<Candidate> clean = new ArrayList<>();
        for (Sco s : scos.values()) if (s.state == State.UPLOADED) clean.add(new Candidate(s, s.lastUse));
        clean.sort(Comparator.comparingLong(Candidate::lastUse));
        int evicted = 0;
        for (Candidate c : clean) {
            Sco s = c.sco();
            if (total <= limit) break;
            remove(s);
            total -= s.bytes;
            evicted++;
        }
        return evicted;
    }

    void remove(Sco s) throws IOException {
        scos.remove(s.number, s);
        s.mapping.close();
        s.channel.close();
        files.delete(s.file);
        entries.changed();
    }

    void closeAll() {
        for (Sco s : scos.values()) {
            s.mapping.close();
            try {
                s.channel.close();
            } catch (IOException ignored) {
                // closing for shutdown; the file stays
            }
        }
        scos.clear();
    }
}
