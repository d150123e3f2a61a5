package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The real filesystem with faults armed by a test: the next fsync of a matching file fails, or its next write
 * stores only a few bytes and then fails (a short write, as on EIO or ENOSPC). Records every file opened.
 */
final class FaultyFiles implements LocalFiles {
    final List<Path> opened = new CopyOnWriteArrayList<>();
    private volatile Predicate<Path> forceFails = p -> false;
    private final AtomicInteger forceFailures = new AtomicInteger();
    private volatile Predicate<Path> writeFails = p -> false;
    private volatile int shortWriteBytes;
    private volatile String writeError = "Input/output error";
    private final AtomicInteger writeFailures = new AtomicInteger();

    private volatile Predicate<Path> openFails = p -> false;
    private volatile String openError = "Too many open files";

    /** The next opens of files matching {@code which} fail with {@code error}, until {@link #heal}. */
    void failOpen(Predicate<Path> which, String error) {
        openError = error;
        openFails = which;
    }

    /** Disarms every fault. */
    void heal() {
        openFails = p -> false;
        forceFails = p -> false;
        writeFails = p -> false;
    }

    /** The next {@code times} fsyncs of files matching {@code which} throw (EIO). */
    void failForce(Predicate<Path> which, int times) {
        forceFailures.set(times);
        forceFails = which;
    }

    /** The next write to a matching file stores only {@code bytes} bytes (a short write); the write after it throws
     * an IOException with {@code error}. */
    void failWrite(Predicate<Path> which, int bytes, String error) {
        shortWriteBytes = bytes;
        writeError = error;
        writeFailures.set(1);
        writeFails = which;
    }

    static Predicate<Path> named(String prefix) {
        return p -> p.getFileName().toString().startsWith(prefix);
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
        if (openFails.test(file)) throw new java.nio.file.FileSystemException(file.toString(), null, openError);
        opened.add(file);
        return new ForwardingChannel(LocalFiles.SYSTEM.open(file, options)) {
            @Override
            public void force(boolean metaData) throws IOException {
                if (forceFails.test(file) && forceFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new IOException("Input/output error (injected fsync failure)");
                }
                super.force(metaData);
            }

            private boolean failNext; // a short write was returned: the call after it fails, as the OS would

            @Override
            public synchronized int write(ByteBuffer src, long position) throws IOException {
                if (failNext) {
                    failNext = false;
                    throw new IOException(writeError + " (injected)");
                }
                if (writeFails.test(file) && writeFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    int n = Math.min(shortWriteBytes, src.remaining());
                    ByteBuffer part = src.slice(src.position(), n);
                    while (part.hasRemaining()) real.write(part, position + part.position());
                    src.position(src.position() + n);
                    failNext = true;
                    return n;
                }
                return super.write(src, position);
            }
        };
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        LocalFiles.SYSTEM.move(from, to);
    }

    @Override
    public void delete(Path file) throws IOException {
        LocalFiles.SYSTEM.delete(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        LocalFiles.SYSTEM.syncDirectory(dir);
    }

    @Override
    public void reserve(Path file, long offset, long length) {
        LocalFiles.SYSTEM.reserve(file, offset, length);
    }

    @Override
    public void startWriteback(Path file) {
        LocalFiles.SYSTEM.startWriteback(file);
    }

    @Override
    public void releaseReserved(Path file, long size) {
        LocalFiles.SYSTEM.releaseReserved(file, size);
    }
}
