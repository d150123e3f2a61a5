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
        while (buffer.hasRemaining()) {
            size += channel.write(buffer, size);
        }
    }

    /** Appends already encoded entries (a multiple of {@link TLogEntry#SIZE} bytes) in one write. */
    public void append(ByteBuffer entries) throws IOException {
        while (entries.hasRemaining()) {
            size += channel.write(entries, size);
        }
    }

    public long entries() {
        return size / TLogEntry.SIZE;
    }

    public void sync() throws IOException {
        channel.force(false);
    }

    /** Syncs and closes; closing twice is harmless. */
    @Override
    public synchronized void close() throws IOException {
        if (!channel.isOpen()) return;
        channel.force(false);
        channel.close();
    }
}
