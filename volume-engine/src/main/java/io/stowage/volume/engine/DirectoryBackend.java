package io.stowage.volume.engine;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.DirectoryObjectStore;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The embedded default backend: {@code <root>/<volume>/} holds one volume's objects ({@link DirectoryObjectStore}). */
public final class DirectoryBackend implements Backend {
    private final Path root;

    public DirectoryBackend(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    @Override
    public ObjectStore volume(String name) throws IOException {
        return new DirectoryObjectStore(root.resolve(name));
    }

    /**
     * {@code <root>/_node/}, owner-only (0700): the node's objects (the catalogue) hold CHAP secrets, so other users
     * of the host must not read them whatever the umask.
     */
    @Override
    public ObjectStore nodeStore() throws IOException {
        Path dir = root.resolve("_node");
        DirectoryObjectStore store = new DirectoryObjectStore(dir);
        // the file system's views, not Files.getFileStore: that looks the directory up in the mount table, which
        // a chroot or container without /proc lacks ("Mount point not found": the .deb test's daemon exited)
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        return store;
    }

    @Override
    public List<String> volumes() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> Files.exists(p.resolve("header"))).map(p -> p.getFileName().toString()).sorted()
                    .forEach(out::add);
        }
        return out;
    }

    @Override
    public void deleteVolume(String name) throws IOException {
        Path dir = root.resolve(name);
        if (!Files.exists(dir)) return;
        DirectoryObjectStore.forgetOpenReads(dir); // a volume made later under this name reuses object names
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
