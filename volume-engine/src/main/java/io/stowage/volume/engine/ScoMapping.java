package io.stowage.volume.engine;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only memory map of one sealed SCO file, made on its first read, so that a read of a run of its clusters
 * is one memory copy instead of a {@code pread}. Why: after random writes the clusters of a large read lie in many
 * runs (a 1 MiB read of a LUN rewritten by 4 KiB random writes measured 262 preads per MiB, 360,000 a second), and
 * each pread is a system call; through the map a page already in the page cache costs one minor fault the first
 * time and nothing after.
 *
 * <p>Only a sealed SCO is mapped: its size never changes again. (An open SCO still grows, and mapping past the end
 * of a file opened for writing would make the JDK extend it.) The map is unmapped as soon as the SCO is closed
 * (evicted, deleted by a scrub, the volume closed) and no read is inside it: readers take a lease, the close waits
 * for none, never for the garbage collector, so a deleted SCO's disk space comes back at once. Unmapping while a
 * read copied from the map would crash the JVM; the lease count is what rules that out.
 *
 * <p>Bound: at most {@link #MAX_MAPPED} SCOs are mapped at once in the process (the kernel's default
 * {@code vm.max_map_count} is 65,530 areas); SCOs past it are read with pread as before. Mapped pages are the page
 * cache's own (shared, clean, reclaimable): they add no heap or direct memory.
 *
 * <p>Thread-safe; {@link #read} never blocks on a lock another read holds except while the map is being made.
 */
final class ScoMapping {
    static final int MAX_MAPPED = 16_384;
    private static final Logger log = LoggerFactory.getLogger(ScoMapping.class);
    /** Added to the lease count at close (the count at or above it means closed); no new lease is granted then. */
    private static final int CLOSED = 1 << 20;
    /** Added once more by the one thread that unmaps: the count never equals CLOSED again. */
    private static final int UNMAPPED = 1 << 24;
    private static final AtomicInteger mappedInProcess = new AtomicInteger();
    private static final Unmapper UNMAPPER = Unmapper.find();

    private final AtomicInteger leases = new AtomicInteger();
    private volatile MappedByteBuffer buffer;
    /** Mapping failed or the process limit was reached: this SCO is read with pread from now on. */
    private volatile boolean unmappable = UNMAPPER == null;

    /** SCOs mapped in this process now (tests). */
    static int mappedInProcess() {
        return mappedInProcess.get();
    }

    /**
     * Copies {@code dst.remaining()} bytes from {@code pos} of the SCO into {@code dst} (advancing its position) and
     * returns true, or returns false having copied nothing: closed, not mappable, or the range is past {@code size}.
     * {@code size} is the sealed SCO's length; {@code channel} is its file, used only to make the map.
     */
    boolean read(FileChannel channel, long size, long pos, ByteBuffer dst) throws IOException {
        if (unmappable) return false;
        if (leases.incrementAndGet() >= CLOSED) {
            release();
            return false;
        }
        try {
            MappedByteBuffer b = buffer;
            if (b == null && (b = map(channel, size)) == null) return false;
            int n = dst.remaining();
            if (pos < 0 || pos + n > b.capacity()) return false;
            try {
                dst.put(dst.position(), b, (int) pos, n);
            } catch (InternalError e) {
                // the JVM's answer to SIGBUS in a copy from a map: the disk failed to read a page (or the file
                // was cut, which nothing does to a sealed SCO): the same as a pread's EIO
                throw new IOException("reading a mapped SCO failed: " + e.getMessage(), e);
            }
            dst.position(dst.position() + n);
            return true;
        } finally {
            release();
        }
    }

    /** Called with a lease held, so no close can unmap meanwhile. */
    private synchronized MappedByteBuffer map(FileChannel channel, long size) throws IOException {
        if (buffer != null || unmappable) return buffer;
        if (size <= 0 || size > Integer.MAX_VALUE) {
            unmappable = true;
            return null;
        }
        if (mappedInProcess.incrementAndGet() > MAX_MAPPED) {
            mappedInProcess.decrementAndGet();
            unmappable = true;
            return null;
        }
        try {
            if (channel.size() < size) { // never let the JDK grow the file
                mappedInProcess.decrementAndGet();
                unmappable = true;
                return null;
            }
            buffer = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return buffer;
        } catch (IOException | UnsupportedOperationException e) {
            // also a file closed by an eviction after this read's lease was taken (ClosedChannelException): the
            // caller's pread then meets the closed file too and reads the backend
            mappedInProcess.decrementAndGet();
            unmappable = true;
            log.debug("an SCO could not be mapped ({}); it is read with pread", e.toString());
            return null;
        }
    }

    private void release() {
        if (leases.decrementAndGet() == CLOSED) unmapOnce();
    }

    /** No read is granted from now on; the map goes when the last read in it ends (now, if none is). */
    void close() {
        int held;
        do {
            held = leases.get();
            if (held >= CLOSED) return; // closed already
        } while (!leases.compareAndSet(held, held + CLOSED));
        if (held == 0) unmapOnce();
    }

    private void unmapOnce() {
        if (!leases.compareAndSet(CLOSED, CLOSED + UNMAPPED)) return; // another thread unmaps, or a lease is held
        MappedByteBuffer b;
        synchronized (this) {
            b = buffer;
            buffer = null;
        }
        if (b != null) {
            UNMAPPER.unmap(b);
            mappedInProcess.decrementAndGet();
        }
    }

    /** {@code sun.misc.Unsafe.invokeCleaner}: the JDK's only way to unmap now rather than at a garbage collection. */
    private static final class Unmapper {
        private final Object unsafe;
        private final Method invokeCleaner;

        private Unmapper(Object unsafe, Method invokeCleaner) {
            this.unsafe = unsafe;
            this.invokeCleaner = invokeCleaner;
        }

        static Unmapper find() {
            try {
                Class<?> c = Class.forName("sun.misc.Unsafe");
                Field f = c.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                return new Unmapper(f.get(null), c.getMethod("invokeCleaner", ByteBuffer.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                log.info("SCOs are read with pread: sun.misc.Unsafe.invokeCleaner is not available ({})",
                        e.toString());
                return null;
            }
        }

        void unmap(ByteBuffer b) {
            try {
                invokeCleaner.invoke(unsafe, b);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("unmapping an SCO", e); // the method was found: cannot happen
            }
        }
    }
}
