package io.stowage.volume;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A volume stored as one sparse file, written in place with positional I/O. It is the walking skeleton's
 * backing store; the log-structured engine replaces it as the default.
 *
 * <p>Thread-safety: all methods are safe to call concurrently. Positional reads and writes on a {@link FileChannel}
 * do not share a file pointer. Flushes are group-committed: a flush waits only for a sync that started after it
 * was requested, so N concurrent flushes cost one {@code fdatasync} when they overlap.
 */
public final class FileBlockDevice implements BlockDevice {
    private final VolumeInfo info;
    private final FileChannel channel;
    private final Executor io;
    /** Count of writes completed; a flush that starts after seeing value n makes writes 1..n durable. */
    private final AtomicLong writesDone = new AtomicLong();
    private final Object syncLock = new Object();
    private long durableUpTo; // guarded by syncLock

    public FileBlockDevice(VolumeInfo info, Path file, Executor io) throws IOException {
        this.info = info;
        this.io = io;
        this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE);
        if (channel.size() < info.sizeBytes()) {
            // Grow sparsely: the file system allocates on first write, so an 8 GiB volume costs nothing up front.
            channel.write(ByteBuffer.wrap(new byte[1]), info.sizeBytes() - 1);
        }
    }

    @Override
    public VolumeInfo info() {
        return info;
    }

    @Override
    public CompletionStage<Void> read(long offset, ByteBuffer dst) {
        checkRange(offset, dst.remaining());
        return CompletableFuture.runAsync(() -> {
            try {
                long pos = offset;
                while (dst.hasRemaining()) {
                    int n = channel.read(dst, pos);
                    if (n < 0) { // beyond a short file: unwritten space reads as zeros
                        while (dst.hasRemaining()) dst.put((byte) 0);
                        break;
                    }
                    pos += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
        checkRange(offset, src.remaining());
        return CompletableFuture.runAsync(() -> {
            try {
                long pos = offset;
                while (src.hasRemaining()) {
                    pos += channel.write(src, pos);
                }
                writesDone.incrementAndGet();
                if (fua) {
                    syncUpTo(writesDone.get());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    @Override
    public CompletionStage<Void> flush() {
        long target = writesDone.get();
        return CompletableFuture.runAsync(() -> {
            try {
                syncUpTo(target);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    private void syncUpTo(long target) throws IOException {
        synchronized (syncLock) {
            if (durableUpTo >= target) {
                return; // a sync that started after our writes already covered them
            }
            long covered = writesDone.get();
            channel.force(false);
            durableUpTo = covered;
        }
    }

    private void checkRange(long offset, int length) {
        if (offset < 0 || length < 0 || offset + length > info.sizeBytes()) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside volume of "
                    + info.sizeBytes() + " bytes");
        }
    }

    @Override
    public void close() {
        try {
            channel.force(false);
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
