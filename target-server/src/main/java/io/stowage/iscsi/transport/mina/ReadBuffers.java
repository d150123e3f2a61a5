package io.stowage.iscsi.transport.mina;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.mina.core.buffer.AbstractIoBuffer;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.buffer.IoBufferAllocator;

/**
 * MINA's buffer allocator for this process: socket reads land in buffers that are reused. MINA allocates a fresh
 * read buffer (256 KiB to 1 MiB here) for every read and never frees it: a zeroed byte[] per read, which under
 * 1 MiB writes drove hundreds of young collections a second (JFR: 90 % of all allocation, 2.2 s of GC pauses in
 * 15 s).
 *
 * <p>Each MINA I/O thread keeps one spare per power-of-two size up to {@link #MAX_CACHED} (MINA doubles and halves
 * its read buffer with the traffic, so a thread sees a few sizes in turn): {@link MinaPortal} hands the read buffer
 * back with {@link #recycle} once the decoder has consumed it (a decoded PDU's buffers are valid only during its
 * callback), and the thread's next read of that size takes it; at most ~2 MiB per I/O thread. The portal asks for
 * heap buffers: with direct ones the daemon's RSS went from ~240 MiB to 1.1 GiB under 256 KiB writes, outside the
 * heap's bound. Buffers we wrap for writing are never recycled (MINA frees written buffers, and those belong to
 * the caller).
 *
 * <p>One instance per process ({@link #INSTANCE}), and every IoBuffer it makes names it as its allocator: MINA 2.2's
 * {@code AbstractIoBuffer} constructor calls the static {@code IoBuffer.setAllocator} with the new buffer's
 * allocator and disposes the previous one. Buffers made by a plain {@code SimpleBufferAllocator} (as this class
 * first did for {@link #wrap}) therefore put the whole process back on MINA's fresh read buffers at the first PDU
 * sent; and {@link #dispose}, called on each such construction, must not drop the spares.
 */
final class ReadBuffers implements IoBufferAllocator {
    /** The largest read buffer kept (MinaPortal's maximum read size). */
    static final int MAX_CACHED = 1 << 20;
    /** The process's allocator (see the class comment: there must be one). */
    static final ReadBuffers INSTANCE = new ReadBuffers();
    private final ThreadLocal<ByteBuffer[]> spares =
            ThreadLocal.withInitial(() -> new ByteBuffer[Integer.numberOfTrailingZeros(MAX_CACHED) + 1]);

    @Override
    public IoBuffer allocate(int capacity, boolean direct) {
        return wrap(allocateNioBuffer(capacity, direct));
    }

    private static boolean cached(int capacity) {
        return capacity > 0 && capacity <= MAX_CACHED && Integer.bitCount(capacity) == 1;
    }

    @Override
    public ByteBuffer allocateNioBuffer(int capacity, boolean direct) {
        if (!cached(capacity)) return ByteBuffer.allocate(capacity);
        ByteBuffer[] mine = spares.get();
        int slot = Integer.numberOfTrailingZeros(capacity);
        ByteBuffer b = mine[slot];
        if (b != null && b.isDirect() == direct) {
            mine[slot] = null;
            return b.clear();
        }
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    @Override
    public IoBuffer wrap(ByteBuffer nioBuffer) {
        return new Buffer(nioBuffer);
    }

    /** {@code b} (a read buffer this thread was given) is no longer referenced: this thread's next read may use it. */
    void recycle(ByteBuffer b) {
        if (cached(b.capacity())) spares.get()[Integer.numberOfTrailingZeros(b.capacity())] = b;
    }

    /** Nothing: MINA calls it whenever any buffer is made (see the class comment); spares go with their threads. */
    @Override
    public void dispose() {
    }

    /** MINA's SimpleBuffer, made and derived under {@link #INSTANCE}. */
    private static final class Buffer extends AbstractIoBuffer {
        private ByteBuffer buf;

        Buffer(ByteBuffer buf) {
            super(INSTANCE, buf.capacity());
            this.buf = buf;
            buf.order(ByteOrder.BIG_ENDIAN);
        }

        private Buffer(Buffer parent, ByteBuffer buf) {
            super(parent);
            this.buf = buf;
        }

        @Override
        public ByteBuffer buf() {
            return buf;
        }

        @Override
        protected void buf(ByteBuffer buf) {
            this.buf = buf;
        }

        @Override
        protected IoBuffer duplicate0() {
            return new Buffer(this, buf.duplicate());
        }

        @Override
        protected IoBuffer slice0() {
            return new Buffer(this, buf.slice());
        }

        @Override
        protected IoBuffer asReadOnlyBuffer0() {
            return new Buffer(this, buf.asReadOnlyBuffer());
        }

        @Override
        public byte[] array() {
            return buf.array();
        }

        @Override
        public int arrayOffset() {
            return buf.arrayOffset();
        }

        @Override
        public boolean hasArray() {
            return buf.hasArray();
        }

        @Override
        public void free() {
        }
    }
}
