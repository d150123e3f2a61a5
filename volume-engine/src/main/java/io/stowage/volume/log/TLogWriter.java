package io.stowage.volume.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends entries to one local TLog file. Entries are written to the file (page cache) at once and made durable
 * by {@link #sync}. Not thread-safe: the volume calls it under its append lock (sync may run outside it).
 */
public final class TLogWriter implements AutoCloseable {
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(TLogEntry.SIZE * 64);
    private long size;
    private boolean damaged;
    private boolean closed; // guarded by this: true only once close() has fsynced and closed the file

    public TLogWriter(Path file) throws IOException {
        this(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE));
    }

    /** Appends to {@code channel} (opened for writing) from its current end. */
    public TLogWriter(FileChannel channel) throws IOException {
        this.channel = channel;
        size = channel.size();
    }

    public void append(TLogEntry e) throws IOException {
        buffer.clear();
        e.writeTo(buffer);
        buffer.flip();
        append(buffer);
    }

    /**
     * Appends already encoded entries (a multiple of {@link TLogEntry#SIZE} bytes) in one write, all or nothing:
     * after a failure (a short write, then an error) the file is truncated back to where this append started, so
     * no partial entry is left to hide the entries after it. If even that fails the writer refuses every later
     * append ({@link #damaged}).
     */
    public void append(ByteBuffer entries) throws IOException {
        if (damaged) throw new IOException("TLog has a partial entry at its end (an earlier append failed)");
        long start = size;
        try {
            while (entries.hasRemaining()) {
                size += channel.write(entries, size);
            }
        } catch (IOException e) {
            try {
                channel.truncate(start);
                size = start;
            } catch (IOException t) {
                damaged = true;
                e.addSuppressed(t);
            }
            throw e;
        }
    }

    /** True once an append failed and could not be undone: the file ends in a partial entry. */
    public boolean damaged() {
        return damaged;
    }

    public long entries() {
        return size / TLogEntry.SIZE;
    }

    /**
     * Fsyncs what was appended. After {@link #close} there is nothing left to do; a channel closed any other way
     * (an interrupt closes it without an fsync) throws ClosedChannelException: that is a lost fsync, not a done one.
     */
    public synchronized void sync() throws IOException {
        if (closed) return;
        channel.force(false);
    }

    /** Syncs and closes; closing twice is harmless. A failed fsync leaves it open, and the failure is the caller's. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        channel.force(false);
        channel.close();
        closed = true;
    }
}
