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

    /**
     * Asks for {@code length} bytes of disk blocks for {@code file} from {@code offset}, keeping its size: later
     * writes there then only mark blocks written, which makes their fdatasync cheaper (see {@link NativeFiles}). A
     * hint: it may do nothing, and reports nothing.
     */
    default void reserve(Path file, long offset, long length) {
    }

    /**
     * Gives back the blocks reserved past the end of {@code file}, {@code size} bytes long: called when a file stops
     * growing short of what was reserved for it (its size and data are not changed). A hint, as {@link #reserve}.
     */
    default void releaseReserved(Path file, long size) {
    }

    /**
     * Starts writing {@code file}'s dirty pages to disk without waiting: a flush calls it on every file before it
     * fsyncs them, so one journal commit covers them all (see {@link NativeFiles}). A hint: it makes nothing durable,
     * may do nothing, and reports nothing.
     */
    default void startWriteback(Path file) {
    }
}
