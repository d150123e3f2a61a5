package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * The file operations that change a volume's cache directory (SCO and TLog files): the one seam through which
 * tests inject I/O faults and power cuts. Reading whole files and listing directories go straight to
 * {@code java.nio.file}; what they see is what these operations left. Implementations are thread-safe.
 */
public interface LocalFiles {
    /** The real filesystem. */
    LocalFiles SYSTEM = new SystemFiles();

    FileChannel open(Path file, OpenOption... options) throws IOException;

    /** Atomically replaces {@code to} by {@code from} (both in one directory). */
    void move(Path from, Path to) throws IOException;

    /** Deletes the file if it exists. */
    void delete(Path file) throws IOException;

    /**
     * Makes the directory's entries durable: files created, renamed or deleted in it survive a power cut only
     * after this (fsync of the file covers its data, not its name).
     */
    void syncDirectory(Path dir) throws IOException;
}
