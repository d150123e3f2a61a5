package io.stowage.volume.dtl;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's side of the DTL: {@link #ship} writes one DTL object holding what the given extents added since the
 * last ship (one backend write per group-commit round, however many flushes share it), {@link #trim} deletes the
 * objects whose TLogs are committed. Objects are named with this owner's epoch and created exclusively: once a new
 * owner has fenced this epoch ({@link DtlReplay}) the next ship meets its fence and is refused
 * ({@link ObjectStore.FencedException}), so a former owner can never acknowledge a flush the new owner does not see.
 *
 * <p>A ship that fails keeps what it did not ship: the next one carries it (the caller's flush failed, so nothing was
 * acknowledged). A write whose outcome is unknown (a timeout) is retried under the same name; finding it already
 * there with the same bytes is success.
 *
 * <p>Threads: {@link #ship} is called by one group-commit round at a time (the caller's lock) and {@link #trim} by the
 * uploader; both take this object's lock only for bookkeeping, never across a backend call of the other.
 */
public final class DtlWriter {
    private static final Logger log = LoggerFactory.getLogger(DtlWriter.class);
    private final String volume;
    private final ObjectStore store;
    private final long epoch;
    /** Files with bytes not yet shipped, or not yet complete (guarded by this). */
    private final Map<Extent.Key, Extent> open = new LinkedHashMap<>();
    /** How far each open file was shipped (guarded by this). */
    private final Map<Extent.Key, Long> shipped = new HashMap<>();
    /** Objects written: index and the highest TLog they carry, oldest first (guarded by this). */
    private final Deque<long[]> written = new ArrayDeque<>();
    private long nextIndex;
    /** Reused for every object (direct: RADOS takes it without a copy). */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_OBJECT);

    public DtlWriter(String volume, ObjectStore store, long epoch) {
        this.volume = volume;
        this.store = store;
        this.epoch = epoch;
    }

    /** Ships on another thread, so that the caller's local fsyncs and the backend write overlap. */
    public java.util.concurrent.CompletableFuture<Void> shipAsync(Collection<Extent> extents) {
        return java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                ship(extents);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, SHIPPERS);
    }

    /** Waits for {@link #shipAsync}; rethrows its failure as it was. */
    public static void await(java.util.concurrent.CompletableFuture<Void> f) throws IOException {
        try {
            f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof java.io.UncheckedIOException u) throw u.getCause();
            throw e;
        }
    }

    /** Threads for {@link #shipAsync}, shared by the volumes of the process; idle ones go after a minute. */
    private static final java.util.concurrent.ExecutorService SHIPPERS =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "stowage-dtl");
                t.setDaemon(true);
                return t;
            });

    /**
     * Makes what {@code extents} cover durable in the backend (with anything an earlier failed ship left). Returns
     * when the DTL object is written; throws {@link ObjectStore.FencedException} if another owner fenced this one.
     * Called by one thread at a time.
     */
    public void ship(Collection<Extent> extents) throws IOException {
        List<Extent> batch;
        long[] from;
        synchronized (this) {
            for (Extent e : extents) open.merge(e.key(), e, (old, e2) -> e2.end() >= old.end() ? e2 : old);
            batch = new ArrayList<>(open.values());
            from = new long[batch.size()];
            for (int i = 0; i < batch.size(); i++) from[i] = shipped.getOrDefault(batch.get(i).key(), 0L);
        }
        long maxTlog = -1;
        for (Extent e : batch) if (e.kind() == Extent.Kind.TLOG) maxTlog = Math.max(maxTlog, e.number());
        // records in objects of at most MAX_OBJECT bytes (RADOS wants small objects; one 4 MiB buffer per volume)
        ByteBuffer b = begin();
        boolean any = false;
        for (int i = 0; i < batch.size(); i++) {
            Extent e = batch.get(i);
            long pos = from[i];
            while (pos < e.end() && !e.committed().getAsBoolean()) {
                if (b.remaining() < RECORD_MIN) {
                    write(b, maxTlog);
                    b = begin();
                    any = false;
                }
                int n = (int) Math.min(e.end() - pos, b.remaining() - DtlObjects.RECORD_HEADER - 4);
                int start = b.position();
                b.put((byte) e.kind().ordinal()).putLong(e.number()).putLong(pos).putInt(n);
                if (!read(e, pos, n, b)) {
                    b.position(start); // committed meanwhile: its file may be gone, and it needs no DTL
                    break;
                }
                CRC32C crc = new CRC32C();
                crc.update(b.duplicate().flip().position(start));
                b.putInt((int) crc.getValue());
                any = true;
                pos += n;
            }
        }
        if (any) write(b, maxTlog);
        synchronized (this) {
            for (Extent e : batch) {
                if (e.complete() || e.committed().getAsBoolean()) {
                    open.remove(e.key());
                    shipped.remove(e.key());
                } else {
                    shipped.put(e.key(), e.end());
                }
            }
        }
    }

    /** The largest DTL object: RADOS objects should stay small (osd_max_object_size is 128 MiB). */
    static final int MAX_OBJECT = 4 << 20;
    private static final int RECORD_MIN = DtlObjects.RECORD_HEADER + 4 + 4096;

    private ByteBuffer begin() {
        return buffer.clear().putInt(DtlObjects.MAGIC);
    }

    /** Writes {@code b} (filled from 0 to its position) as the next DTL object. */
    private void write(ByteBuffer b, long maxTlog) throws IOException {
        put(DtlObjects.name(epoch, nextIndex), b.flip());
        synchronized (this) {
            written.addLast(new long[] {nextIndex++, maxTlog});
        }
    }

    /** Reads {@code n} bytes at {@code from} of the file into {@code b}; false if it was committed and is gone. */
    private static boolean read(Extent e, long from, int n, ByteBuffer b) throws IOException {
        int limit = b.limit();
        b.limit(b.position() + n);
        try {
            if (e.channel() != null) {
                readFully(e.channel(), from, b, e);
            } else {
                try (FileChannel ch = FileChannel.open(e.file(), StandardOpenOption.READ)) {
                    readFully(ch, from, b, e);
                }
            }
            return true;
        } catch (ClosedChannelException | NoSuchFileException ex) {
            if (e.committed().getAsBoolean()) return false;
            throw ex;
        } finally {
            b.limit(limit);
        }
    }

    private static void readFully(FileChannel ch, long pos, ByteBuffer b, Extent e) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new IOException(e.file() + " is shorter than the " + e.end() + " bytes written");
            pos += n;
        }
    }

    /** Set by {@link #stop}: a put in progress stops retrying, later ones fail at once. */
    private volatile boolean stopped;

    /**
     * The volume is going away without a flush (a crash stand-in, or a halt): a ship retrying a failed write ends
     * now instead of after its minute of retries (its flush fails; nothing it carried was acknowledged).
     */
    public void stop() {
        stopped = true;
    }

    private void put(String name, ByteBuffer b) throws IOException {
        long backoff = 50;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            if (stopped) throw new java.io.InterruptedIOException("volume " + volume + " closed: DTL write " + name
                    + " not retried");
            try {
                store.putExclusive(name, b.duplicate());
                return;
            } catch (FileAlreadyExistsException e) {
                byte[] there = store.getAll(name);
                byte[] ours = new byte[b.remaining()];
                b.duplicate().get(ours);
                if (Arrays.equals(there, ours)) return; // an earlier attempt of ours landed
                throw new ObjectStore.FencedException("DTL object " + name + " of volume " + volume
                        + " exists: another node took the volume over (epoch " + epoch + " is fenced)");
            } catch (ObjectStore.FencedException e) {
                throw e;
            } catch (IOException e) {
                if (System.nanoTime() > deadline || stopped) throw e;
                log.warn("volume {}: DTL write {} failed ({}); retrying", volume, name, e.getMessage());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted writing " + name);
                }
                backoff = Math.min(1000, backoff * 2);
            }
        }
    }

    /**
     * Deletes the DTL objects whose TLogs are all committed ({@code committedTlog} and before), except the newest:
     * it stays as the mark a new owner's fence goes after. A failed delete is tried again next time.
     */
    public void trim(long committedTlog) {
        List<Long> drop = new ArrayList<>();
        synchronized (this) {
            while (written.size() > 1 && written.peekFirst()[1] <= committedTlog) drop.add(written.pollFirst()[0]);
        }
        for (int i = 0; i < drop.size(); i++) {
            try {
                store.delete(DtlObjects.name(epoch, drop.get(i)));
            } catch (IOException e) {
                log.warn("volume {}: DTL trim failed ({}); retried later", volume, e.getMessage());
                synchronized (this) {
                    for (int j = drop.size() - 1; j >= i; j--) written.addFirst(new long[] {drop.get(j), -1});
                }
                return;
            }
        }
    }
}
