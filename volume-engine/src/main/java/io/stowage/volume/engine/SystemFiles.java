package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** {@link LocalFiles} on the real filesystem. */
final class SystemFiles implements LocalFiles {
    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
        return FileChannel.open(file, options);
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public void reserve(Path file, long offset, long length) {
        NativeFiles.reserve(file, offset, length);
    }

    @Override
    public void startWriteback(Path file) {
        NativeFiles.startWriteback(file);
    }

    @Override
    public void releaseReserved(Path file, long size) {
        NativeFiles.release(file, size);
    }
}
