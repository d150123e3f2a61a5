package io.stowage.volume.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * An object store in a local directory: one file per object. Puts write a temporary file, fsync it, then link it
 * into place (hard link: fails if the name exists, so creation is exclusive and atomic) and fsync the directory.
 * The header is {@code header}, replaced by rename under a process-wide lock after checking its guards:
 * <pre>
 *  0  magic      "StowHdr2" (the previous release wrote no magic: 8-byte epoch, then the body)
 *  8  epoch      owner epoch
 * 16  last TLog  the last-TLog mark
 * 24  body
 * </pre>
 * Named state is {@code state.<key>}, replaced (or deleted) under the same lock after checking the header's epoch.
 * A versioned object is {@code versioned.<name>} (8-byte version, then the data), replaced under the same lock after
 * comparing its version.
 * Thread-safe within one process; two processes must not share a directory.
 */
public final class DirectoryObjectStore implements ObjectStore {
    private static final String HEADER = "header";
    private static final long MAGIC = 0x53746f7748647232L; // "StowHdr2"
    private static final AtomicLong TEMP = new AtomicLong();
    private final Path dir;

    public DirectoryObjectStore(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /**
     * Every object under {@code dir} is about to be deleted without this class (a volume's directory removed
     * whole): closes the read channels kept open for them, so a later object of the same name is read afresh.
     */
    public static void forgetOpenReads(Path dir) throws IOException {
        OpenObjects.SHARED.forgetUnder(dir);
    }

    public Path directory() {
        return dir;
    }

    @Override
    public String toString() {
        return dir.toString();
    }

    /**
     * The caller's file must not change afterwards (SCOs and TLogs are immutable once sealed): on the same file
     * system it is hard-linked into the store instead of copied, so an upload costs no data I/O.
     */
    @Override
    public void putExclusive(String name, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.createLink(dir.resolve(name), file);
            syncDirectory();
            return;
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException("object " + name + " already exists");
        } catch (UnsupportedOperationException | IOException e) {
            // another file system: copy
        }
        Path tmp = temp(name);
        try {
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            link(tmp, name);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void putExclusive(String name, ByteBuffer data) throws IOException {
        Path tmp = writeTemp(name, data);
        try {
            link(tmp, name);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public byte[] getState(String key) throws IOException {
        Path f = dir.resolve("state." + key);
        try {
            return Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void putState(long ownerEpoch, String key, byte[] state) throws IOException {
        String name = "state." + key;
        synchronized (DirectoryObjectStore.class) {
            long epoch = readHeader().map(VolumeHeaderBytes::epoch).orElse(-1L);
            if (epoch != ownerEpoch) {
                throw new FencedException("state " + key + " guarded by epoch " + ownerEpoch + " refused: the header "
                        + "epoch is " + epoch + " (another node owns the volume)");
            }
            if (state == null) {
                Files.deleteIfExists(dir.resolve(name));
                syncDirectory();
                return;
            }
            Path tmp = writeTemp(name, ByteBuffer.wrap(state));
            try {
                replace(tmp, name);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** {@code versioned.<name>}: the 8-byte version, then the data. */
    @Override
    public Optional<Versioned> getVersioned(String name) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(dir.resolve("versioned." + name));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        long version = b.getLong();
        byte[] data = new byte[b.remaining()];
        b.get(data);
        return Optional.of(new Versioned(version, data));
    }

    /** The first 8 bytes of the file (replaced whole by rename, so never torn). */
    @Override
    public long versionOf(String name) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("versioned." + name), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read on
            }
            return b.flip().remaining() == 8 ? b.getLong() : 0;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /** Checked and replaced (by rename) under the process-wide lock, as the header. */
    @Override
    public long putVersioned(String name, long expectedVersion, byte[] data) throws IOException {
        String file = "versioned." + name;
        synchronized (DirectoryObjectStore.class) {
            long current = getVersioned(name).map(Versioned::version).orElse(0L);
            if (current != expectedVersion) {
                throw new VersionConflictException(name + " is at version " + current + ", expected "
                        + expectedVersion + " (another writer changed it)");
            }
            ByteBuffer b = ByteBuffer.allocate(8 + data.length).putLong(expectedVersion + 1).put(data).flip();
            Path tmp = writeTemp(file, b);
            try {
                replace(tmp, file);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return expectedVersion + 1;
        }
    }

    /** A new temporary file holding {@code data}, synced. */
    private Path writeTemp(String name, ByteBuffer data) throws IOException {
        Path tmp = temp(name);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer d = data.duplicate();
            while (d.hasRemaining()) ch.write(d);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    /** Atomically puts {@code tmp} in place of {@code name}, then syncs the directory. */
    private void replace(Path tmp, String name) throws IOException {
        try {
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory();
    }

    @Override
    public long size(String name) throws IOException {
        try {
            return Files.size(dir.resolve(name));
        } catch (java.nio.file.NoSuchFileException e) {
            return 0;
        }
    }

    private Path temp(String name) {
        return dir.resolve(".tmp." + name + "." + ProcessHandle.current().pid() + "." + TEMP.incrementAndGet());
    }

    /** Links a synced file in as {@code name}: fails if the name exists (exclusive create), then syncs the directory. */
    private void link(Path synced, String name) throws IOException {
        try {
            Files.createLink(dir.resolve(name), synced);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException("object " + name + " already exists");
        }
        syncDirectory();
    }

    private void syncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public void get(String name, long offset, int length, ByteBuffer dst) throws IOException {
        Path file = dir.resolve(name);
        if (!OpenObjects.cacheable(name)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                read(ch, name, offset, length, dst);
            }
            return;
        }
        FileChannel ch = OpenObjects.SHARED.channel(file);
        try {
            read(ch, name, offset, length, dst);
        } catch (java.nio.channels.ClosedChannelException e) { // closed for a newer one or a delete: open it again
            read(OpenObjects.SHARED.reopen(file, ch), name, offset, length, dst);
        }
    }

    private static void read(FileChannel ch, String name, long offset, int length, ByteBuffer dst)
            throws IOException {
        ByteBuffer d = dst.duplicate();
        d.limit(d.position() + length);
        long pos = offset;
        while (d.hasRemaining()) {
            int n = ch.read(d, pos);
            if (n < 0) throw new IOException("object " + name + " is shorter than " + (offset + length));
            pos += n;
        }
    }

    @Override
    public byte[] getAll(String name) throws IOException {
        try {
            return Files.readAllBytes(dir.resolve(name));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException("object " + name + " does not exist");
        }
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(dir.resolve(name));
    }

    @Override
    public void delete(String name) throws IOException {
        OpenObjects.SHARED.forget(dir.resolve(name));
        Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix) && !n.startsWith(".tmp."))
                    .sorted().forEach(out::add);
        }
        return out;
    }

    @Override
    public Optional<VolumeHeaderBytes> readHeader() throws IOException {
        Path h = dir.resolve(HEADER);
        if (!Files.exists(h)) return Optional.empty();
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(h));
        long first = b.getLong();
        long epoch = first;
        long lastTlog = -1;
        if (first == MAGIC) {
            epoch = b.getLong();
            lastTlog = b.getLong();
        }
        byte[] body = new byte[b.remaining()];
        b.get(body);
        return Optional.of(new VolumeHeaderBytes(epoch, lastTlog, body));
    }

    @Override
    public void commitHeader(long expectedEpoch, long expectedLastTlog, VolumeHeaderBytes header) throws IOException {
        synchronized (DirectoryObjectStore.class) {
            Optional<VolumeHeaderBytes> current = readHeader();
            long epoch = current.map(VolumeHeaderBytes::epoch).orElse(-1L);
            if (epoch != expectedEpoch) {
                throw new FencedException("header epoch is " + epoch + ", expected " + expectedEpoch);
            }
            long lastTlog = current.map(VolumeHeaderBytes::lastTlog).orElse(-1L);
            if (expectedLastTlog >= 0 && lastTlog != expectedLastTlog) {
                throw new FencedException("header's last TLog is " + lastTlog + ", expected " + expectedLastTlog
                        + " (a delayed duplicate commit)");
            }
            ByteBuffer b = ByteBuffer.allocate(24 + header.body().length);
            b.putLong(MAGIC).putLong(header.epoch()).putLong(header.lastTlog()).put(header.body()).flip();
            Path tmp = writeTemp(HEADER, b);
            try {
                replace(tmp, HEADER);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
