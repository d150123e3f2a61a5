package io.stowage.volume;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Creates, lists and opens file-backed volumes under one directory.
 *
 * <p>Layout: {@code <root>/<name>/volume.properties} holds {@code uuid} and {@code size} (bytes) and is written
 * once, atomically (temp file + rename); {@code <root>/<name>/data} is the sparse data file. Not thread-safe for
 * concurrent creation of the same name; the daemon creates volumes at start-up from one thread.
 */
public final class FileVolumeStore {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private final Path root;
    private final Executor io;

    public FileVolumeStore(Path root, Executor io) throws IOException {
        this.root = Files.createDirectories(root);
        this.io = io;
    }

    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    public List<VolumeInfo> list() throws IOException {
        List<VolumeInfo> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : (Iterable<Path>) dirs.sorted()::iterator) {
                Optional<VolumeInfo> info = readInfo(dir.getFileName().toString());
                info.ifPresent(out::add);
            }
        }
        return out;
    }

    /** Opens the named volume, creating it thin with {@code sizeBytes} if it does not exist yet. */
    public FileBlockDevice openOrCreate(String name, long sizeBytes) throws IOException {
        VolumeInfo info = readInfo(name).orElse(null);
        if (info == null) {
            info = create(name, sizeBytes);
        }
        return new FileBlockDevice(info, root.resolve(name).resolve("data"), io);
    }

    public VolumeInfo create(String name, long sizeBytes) throws IOException {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("invalid volume name '" + name + "'");
        }
        if (readInfo(name).isPresent()) {
            throw new IllegalStateException("volume '" + name + "' already exists");
        }
        VolumeInfo info = new VolumeInfo(name, UUID.randomUUID(), sizeBytes);
        Path dir = Files.createDirectories(root.resolve(name));
        Properties p = new Properties();
        p.setProperty("uuid", info.uuid().toString());
        p.setProperty("size", Long.toString(sizeBytes));
        Path tmp = dir.resolve("volume.properties.tmp");
        try (Writer w = Files.newBufferedWriter(tmp)) {
            p.store(w, "Stowage volume " + name + " (written once; the uuid is the volume's identity)");
        }
        try {
            Files.move(tmp, dir.resolve("volume.properties"), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve("volume.properties"), StandardCopyOption.REPLACE_EXISTING);
        }
        return info;
    }

    public Optional<VolumeInfo> readInfo(String name) throws IOException {
        Path file = root.resolve(name).resolve("volume.properties");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        try {
            return Optional.of(new VolumeInfo(name, UUID.fromString(p.getProperty("uuid")),
                    Long.parseLong(p.getProperty("size"))));
        } catch (RuntimeException e) {
            throw new IOException("corrupt volume descriptor " + file + ": " + e.getMessage(), e);
        }
    }
}
