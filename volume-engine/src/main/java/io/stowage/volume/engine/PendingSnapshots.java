package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshots cut but not yet committed to the backend, kept in the cache ({@code snapshots.pending}) so that a crash
 * before their TLog's upload does not lose them: a snapshot is as durable as a flushed write (the cut's TLogs are
 * fsynced before it is recorded here), and like one it is in the backend once its TLog's header commit lands (the
 * snapshot is committed in that same commit). Recovery attaches each to its replayed TLog (see VolumeLoader).
 *
 * <p>Format: {@code stowage-pending-snapshots 1}, then {@code snapshot=<seq>,<createdMillis>,<name>} lines; written
 * to a temporary file, fsynced, renamed over the old one, the directory fsynced. An unknown format is refused.
 *
 * <p>Threads: synchronized; called by snapshot creation and by the uploader after a commit.
 */
final class PendingSnapshots {
    static final String FILE = "snapshots.pending";
    private static final String MAGIC = "stowage-pending-snapshots 1";

    /** A snapshot of the state after TLog {@code seq}, waiting for that TLog's commit. */
    record Pending(String name, long seq, long createdMillis) {
    }

    private final Path cacheDir;
    private final LocalFiles files;
    private final List<Pending> pending = new ArrayList<>();

    PendingSnapshots(Path cacheDir, LocalFiles files, List<Pending> recovered) {
        this.cacheDir = cacheDir;
        this.files = files;
        this.pending.addAll(recovered);
    }

    /** What the cache holds (empty if nothing). */
    static List<Pending> read(Path cacheDir) throws IOException {
        Path f = cacheDir.resolve(FILE);
        List<Pending> out = new ArrayList<>();
        if (!Files.exists(f)) return out;
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            throw new IOException(f + " is not in a format this release knows ('" + (lines.isEmpty() ? "" : lines.get(0))
                    + "'): written by a newer Stowage?");
        }
        for (String l : lines.subList(1, lines.size())) {
            if (!l.startsWith("snapshot=")) continue;
            String[] p = l.substring("snapshot=".length()).split(",", 3);
            out.add(new Pending(p[2], Long.parseLong(p[0]), Long.parseLong(p[1])));
        }
        return out;
    }

    synchronized List<Pending> all() {
        return List.copyOf(pending);
    }

    synchronized boolean contains(String name) {
        for (Pending p : pending) if (p.name().equals(name)) return true;
        return false;
    }

    synchronized void add(Pending p) throws IOException {
        pending.add(p);
        try {
            save();
        } catch (IOException e) {
            pending.remove(p);
            throw e;
        }
    }

    /** The snapshot is committed: it is the header's now. */
    synchronized void committed(String name) throws IOException {
        if (pending.removeIf(p -> p.name().equals(name))) save();
    }

    /** Replaces the list (recovery dropped what cannot be attached). */
    synchronized void replace(List<Pending> now) throws IOException {
        if (now.equals(pending)) return;
        pending.clear();
        pending.addAll(now);
        save();
    }

    private void save() throws IOException {
        Path f = cacheDir.resolve(FILE);
        if (pending.isEmpty()) {
            files.delete(f);
            files.syncDirectory(cacheDir);
            return;
        }
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        for (Pending p : pending) {
            sb.append("snapshot=").append(p.seq()).append(',').append(p.createdMillis()).append(',').append(p.name())
                    .append('\n');
        }
        Path tmp = cacheDir.resolve(FILE + ".tmp");
        try (FileChannel ch = files.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        files.move(tmp, f);
        files.syncDirectory(cacheDir);
    }
}
