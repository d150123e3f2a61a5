package io.stowage.volume.engine;

import io.stowage.volume.OutOfSpaceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file of {@link #BYTES} written bytes kept in a volume's cache directory, so that the metadata work that must
 * not fail for want of space — recovery's rewritten TLogs at open, an LMDB transaction after a header commit —
 * still has room on a disk that data filled up. Released when they need it, written again when there is room.
 * Not data: a lost or torn reserve is only rewritten. Thread-safe.
 */
final class SpaceReserve {
    static final int BYTES = 1 << 20;
    private final Path file;

    SpaceReserve(Path file) {
        this.file = file;
    }

    /** Gives the space back to the filesystem; true if there was a reserve to give. */
    synchronized boolean release() throws IOException {
        return Files.deleteIfExists(file);
    }

    synchronized boolean isHeld() {
        try {
            return Files.size(file) == BYTES;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes the reserve if it is not there (real blocks, not a sparse file); false if the disk has no room. */
    synchronized boolean restore() throws IOException {
        if (isHeld()) return true;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer zeros = ByteBuffer.allocate(64 << 10);
            for (long pos = 0; pos < BYTES; ) {
                zeros.clear();
                pos += ch.write(zeros, pos);
            }
            return true;
        } catch (IOException e) {
            Files.deleteIfExists(file);
            if (OutOfSpaceException.isOutOfSpace(e)) return false;
            throw e;
        }
    }
}
