package io.stowage.iscsi.transport.mina;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.iscsi.pdu.Bhs;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.PduFormatException;
import io.stowage.iscsi.transport.ConnectionGate;
import io.stowage.iscsi.transport.ConnectionHandler;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReadBuffersTest {
    @Test
    void aRecycledReadBufferIsTheThreadsNextReadBufferOfThatSize() throws Exception {
        ReadBuffers buffers = new ReadBuffers();
        ByteBuffer first = buffers.allocateNioBuffer(1 << 18, true);
        first.position(100);
        buffers.recycle(first);
        ByteBuffer again = buffers.allocateNioBuffer(1 << 18, true);
        assertSame(first, again);
        assertEquals(0, again.position());
        assertEquals(1 << 18, again.limit());
        assertNotSame(first, buffers.allocateNioBuffer(1 << 18, true), "a spare is handed out once");

        buffers.recycle(first);
        ByteBuffer bigger = buffers.allocateNioBuffer(1 << 19, true);
        assertNotSame(first, bigger, "another size gets a new buffer");
        buffers.recycle(bigger);
        assertSame(first, buffers.allocateNioBuffer(1 << 18, true),
                "a spare of each size: reads that change size do not drop the other size's buffer");
        assertSame(bigger, buffers.allocateNioBuffer(1 << 19, true));
        assertTrue(!buffers.allocateNioBuffer(3000, true).isDirect(), "other sizes are heap buffers, never left to GC");
        buffers.recycle(first);
        ByteBuffer other = CompletableFuture.supplyAsync(() -> buffers.allocateNioBuffer(1 << 18, true)).get();
        assertNotSame(first, other, "another thread's spare is not shared");
    }

    /**
     * MINA 2.2's AbstractIoBuffer constructor calls the static IoBuffer.setAllocator with the new buffer's own
     * allocator (and disposes the old one): a buffer made by a plain SimpleBufferAllocator silently put MINA back on
     * fresh zeroed reads for the rest of the process (JFR: 95 % of all allocation under 1 MiB writes, 574 young
     * collections in 15 s). The process-wide allocator must stay ours, and keep its spares, whatever MINA wraps.
     */
    @Test
    void wrappingAndAllocatingKeepsTheProcessOnTheReusedReadBuffers() {
        ReadBuffers buffers = MinaPortal.READ_BUFFERS;
        org.apache.mina.core.buffer.IoBuffer.setAllocator(buffers); // as the portal's class does
        org.apache.mina.core.buffer.IoBuffer read = org.apache.mina.core.buffer.IoBuffer.allocate(1 << 18);
        ByteBuffer nio = read.buf();
        org.apache.mina.core.buffer.IoBuffer.wrap(ByteBuffer.allocate(64)); // as a PDU sent
        read.duplicate();
        assertSame(buffers, org.apache.mina.core.buffer.IoBuffer.getAllocator(), "MINA's allocator was replaced");
        buffers.recycle(nio);
        org.apache.mina.core.buffer.IoBuffer.wrap(ByteBuffer.allocate(64));
        assertSame(nio, org.apache.mina.core.buffer.IoBuffer.allocate(1 << 18).buf(),
                "the spare survives buffers made in between");
    }

    @Test
    void wrappedBuffersAreNeverRecycled() {
        ReadBuffers buffers = new ReadBuffers();
        ByteBuffer mine = ByteBuffer.allocateDirect(1 << 18);
        buffers.wrap(mine).free(); // MINA frees what it has written
        assertNotSame(mine, buffers.allocateNioBuffer(1 << 18, true));
    }

    /**
     * The portal's reads land in reused heap buffers, each PDU with its own data. Not direct ones: direct read
     * buffers took the daemon's RSS from ~240 MiB to 1.1 GiB under 256 KiB writes (HostileInitiatorsIT's bound is
     * 1 GiB), memory outside the Java heap that nothing bounded.
     */
    @Test
    void thePortalDeliversPdusFromReusedHeapReadBuffers() throws Exception {
        LinkedBlockingQueue<Boolean> direct = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Byte> firstByte = new LinkedBlockingQueue<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onPdu(Pdu pdu) {
                direct.add(pdu.data().isDirect());
                firstByte.add(pdu.data().get(pdu.data().position()));
            }

            @Override
            public void onDataDigestError(Pdu pdu) {
            }

            @Override
            public void onProtocolError(PduFormatException e) {
            }

            @Override
            public void onIdle() {
            }

            @Override
            public void onClosed() {
            }
        };
        try (MinaPortal portal = new MinaPortal(new InetSocketAddress("127.0.0.1", 0), 15, new ConnectionGate(4, 4),
                wire -> handler);
             Socket s = new Socket("127.0.0.1", portal.boundAddress().getPort())) {
            OutputStream out = s.getOutputStream();
            for (int i = 1; i <= 3; i++) {
                ByteBuffer pdu = ByteBuffer.allocate(Bhs.LENGTH + 100);
                pdu.put(0, (byte) 0x00); // NOP-Out
                Bhs.setDataSegmentLength(pdu, 100);
                pdu.put(Bhs.LENGTH, (byte) i);
                out.write(pdu.array());
                out.flush();
                assertEquals(Boolean.FALSE, direct.poll(10, TimeUnit.SECONDS), "PDU " + i + " was read into a heap buffer");
                assertEquals((byte) i, firstByte.poll(10, TimeUnit.SECONDS), "PDU " + i + "'s own data");
            }
        }
    }
}
