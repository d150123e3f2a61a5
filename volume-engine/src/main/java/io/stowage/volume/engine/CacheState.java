package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;

/**
 * What a volume's cache directory belongs to: the volume's UUID and the last owner epoch this cache claimed. Every
 * file in the cache was written under that epoch or an earlier one. At the next open {@link VolumeLoader} compares
 * it with the header: another UUID means the volume was re-created under the same name (nothing of this cache is
 * the new volume's), and a TLog commit by a later epoch means another owner went on from the header, so this
 * cache's uncommitted TLogs are stale and must never be replayed.
 *
 * <p>{@code flushesInDtl}: this cache's owner ran with the DTL on, so its flushes were made durable in the DTL only
 * (the local files are fsynced before their upload, not at each flush): after a power cut the cache may lack
 * flushed writes, and the next open rebuilds them from the DTL even though the cache is its own.
 *
 * <p>File {@code cache-state}, text, written durably (temporary file, fsync, rename, directory fsync):
 * <pre>
 *  stowage-cache-state 1            (2 with flushes=dtl: a release that knows only 1 refuses it)
 *  uuid=&lt;volume UUID&gt;
 *  epoch=&lt;owner epoch&gt;
 *  flushes=dtl                      (format 2 only)
 * </pre>
 * A format version this release does not know is refused, never guessed at. Immutable.
 */
record CacheState(UUID uuid, long epoch, boolean flushesInDtl) {
    static final String FILE = "cache-state";
    static final int VERSION = 2;

    CacheState(UUID uuid, long epoch) {
        this(uuid, epoch, false);
    }
    private static final String MAGIC = "stowage-cache-state ";

    /** The cache's state, or empty for a new cache or one written by a release before cache states. */
    static Optional<CacheState> read(Path cacheDir) throws IOException {
        Path f = cacheDir.resolve(FILE);
        if (!Files.exists(f)) return Optional.empty();
        String[] lines = Files.readString(f, StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || !lines[0].startsWith(MAGIC)) {
            throw new IOException(f + " is not a Stowage cache state");
        }
        String version = lines[0].substring(MAGIC.length()).trim();
        if (!version.equals("1") && !version.equals(Integer.toString(VERSION))) {
            throw new IOException(f + " has format version " + version + ", which this release does not know"
                    + " (it knows " + VERSION + "): refusing to guess; a newer release wrote it");
        }
        UUID uuid = null;
        long epoch = -1;
        boolean dtl = false;
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            int eq = l.indexOf('=');
            if (eq < 0) continue;
            String v = l.substring(eq + 1);
            try {
                switch (l.substring(0, eq)) {
                    case "uuid" -> uuid = UUID.fromString(v);
                    case "epoch" -> epoch = Long.parseLong(v);
                    case "flushes" -> dtl = v.equals("dtl");
                    default -> { }
                }
            } catch (IllegalArgumentException e) {
                throw new IOException(f + ": bad line '" + l + "'");
            }
        }
        if (uuid == null || epoch < 0) throw new IOException(f + " lacks its uuid or epoch");
        return Optional.of(new CacheState(uuid, epoch, dtl));
    }

    void write(Path cacheDir) throws IOException {
        Path tmp = cacheDir.resolve(FILE + ".tmp");
        byte[] body = (MAGIC + (flushesInDtl ? VERSION : 1) + "\nuuid=" + uuid + "\nepoch=" + epoch + "\n"
                + (flushesInDtl ? "flushes=dtl\n" : "")).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(body);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        Files.move(tmp, cacheDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(cacheDir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a power cut
        }
    }
}
