package io.stowage.scsi;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers for Data-In and Data-Out, recycled so the data path does not allocate a large buffer per I/O.
 *
 * <p>Buffers come in power-of-two size classes from 4 KiB to {@link #MAX_POOLED}; each class keeps at most
 * {@code retainBytes / size} idle buffers. A buffer handed out has position 0 and limit = the requested size.
 * Thread-safe and lock-free. A buffer must be released at most once and not used after release.
 */
public final class BufferPool {
    public static final int MIN_CLASS = 4096;
    public static final int MAX_POOLED = 16 << 20;
    private final ConcurrentLinkedQueue<ByteBuffer>[] idle;
    private final AtomicInteger[] idleCount;
    private final int[] retain;

    @SuppressWarnings("unchecked")
    public BufferPool(long retainBytesPerClass) {
        int classes = Integer.numberOfTrailingZeros(MAX_POOLED) - Integer.numberOfTrailingZeros(MIN_CLASS) + 1;
        idle = new ConcurrentLinkedQueue[classes];
        idleCount = new AtomicInteger[classes];
        retain = new int[classes];
        for (int i = 0; i < classes; i++) {
            idle[i] = new ConcurrentLinkedQueue<>();
            idleCount[i] = new AtomicInteger();
            retain[i] = (int) Math.max(2, retainBytesPerClass / ((long) MIN_CLASS << i));
        }
    }

    public ByteBuffer acquire(int size) {
        if (size > MAX_POOLED) {
            return ByteBuffer.allocateDirect(size);
        }
        int c = classOf(size);
        ByteBuffer b = idle[c].poll();
        if (b == null) {
            b = ByteBuffer.allocateDirect(MIN_CLASS << c);
        } else {
            idleCount[c].decrementAndGet();
        }
        b.clear().limit(size);
        return b;
    }

    public void release(ByteBuffer b) {
        int cap = b.capacity();
        if (cap > MAX_POOLED || Integer.bitCount(cap) != 1 || cap < MIN_CLASS) {
            return; // not one of ours: let the GC have it
        }
        int c = classOf(cap);
        if (idleCount[c].incrementAndGet() <= retain[c]) {
            idle[c].offer(b);
        } else {
            idleCount[c].decrementAndGet();
        }
    }

    static int classOf(int size) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, size - 1));
        return Math.max(0, bits - Integer.numberOfTrailingZeros(MIN_CLASS));
    }
}
