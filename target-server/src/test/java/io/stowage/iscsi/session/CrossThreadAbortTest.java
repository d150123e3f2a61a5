package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import io.stowage.iscsi.login.KeyValues;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.transport.PduConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Review finding 5, made repeatable: a task is aborted from another thread (as a LU RESET from another session or
 * PREEMPT AND ABORT does) while its own connection copies a large Data-Out into its buffer. Once the abort has
 * returned, the buffer may be in the pool and another command's: nothing may write into it any more. The abort is
 * sent once the 4 MiB copy is an eighth in, so it lands in the middle of it.
 */
class CrossThreadAbortTest {
    static final String IQN = "iqn.2026-11.io.stowage:abort";
    static final int SIZE = 4 << 20;

    /** A wire that keeps what the connection sends. */
    static final class Wire implements PduConnection {
        final ConcurrentLinkedQueue<Pdu> sent = new ConcurrentLinkedQueue<>();

        @Override
        public void send(Pdu pdu, Runnable onSent) {
            sent.add(pdu);
            if (onSent != null) onSent.run();
        }

        @Override
        public void sendFinalLoginResponse(Pdu response, boolean headerDigest, boolean dataDigest, int max) {
            send(response, null);
        }

        @Override
        public void setDigests(boolean header, boolean data) {
        }

        @Override
        public void setMaxRecvDataSegment(int bytes) {
        }

        @Override
        public void close() {
        }

        @Override
        public void closeNow() {
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 3260);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        /** The Target Transfer Tag of the last R2T sent. */
        int lastR2tTtt() {
            int ttt = -1;
            for (Pdu p : sent) {
                if ((p.bhs().get(0) & 0x3F) == 0x31) ttt = p.bhs().getInt(20);
            }
            return ttt;
        }
    }

    static Pdu pdu(ByteBuffer bhs, byte[] data) {
        return new Pdu(bhs, null, data == null ? null : ByteBuffer.wrap(data));
    }

    @Test
    void anAbortFromAnotherThreadNeverHandsOutABufferThatIsStillBeingFilled() throws Exception {
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(new ParkingBlockDevice(8 << 20)));
        BufferPool pool = new BufferPool(64L << 20);
        ExportedTarget target = new ExportedTarget(IQN, new ScsiTarget(new TargetPortIdentity(IQN, 1, 1), luns, pool), 1);
        Wire wire = new Wire();
        NodeResources node = new NodeResources(ResourceLimits.DEFAULT);
        Connection c = new Connection(wire, new TargetDirectory(List.of(target)), new SessionRegistry(), pool, 1,
                Map.of(), node);
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", "iqn.2026-11.io.stowage:i");
        keys.put("TargetName", IQN);
        keys.put("InitialR2T", "Yes");
        keys.put("ImmediateData", "No");
        keys.put("MaxBurstLength", "16776192"); // one R2T for the whole write
        byte[] text = KeyValues.format(keys);
        ByteBuffer login = TestInitiator.bhs(0x43, 0x80 | (1 << 2) | 3, text.length);
        login.putLong(8, 0x400000000b01L << 16);
        c.onPdu(pdu(login, text));
        assertEquals(Connection.State.FULL_FEATURE, stateOf(c));
        byte[] data = new byte[SIZE];
        java.util.Arrays.fill(data, (byte) 0x5A);
        byte[] zero = new byte[SIZE];
        int failures = 0;
        for (int round = 0; round < 40; round++) {
            int itt = 100 + round;
            ByteBuffer cmd = TestInitiator.bhs(0x01, 0x80 | 0x20 | 0x01, 0);
            cmd.putInt(16, itt);
            cmd.putInt(20, SIZE);
            cmd.putInt(24, round);
            cmd.put(32, ServerProtocolTest.write10(0, SIZE / 512), 0, 10);
            c.onPdu(pdu(cmd, null));
            Task task = c.task(itt);
            assertNotNull(task);
            int ttt = wire.lastR2tTtt();
            ByteBuffer out = TestInitiator.bhs(0x05, 0x80, SIZE);
            out.putInt(16, itt);
            out.putInt(20, ttt);
            ByteBuffer filling = task.dataOut;
            CompletableFuture<Void> copying = CompletableFuture.runAsync(() -> c.onPdu(pdu(out, data)));
            // the copy runs front to back: once its first eighth is in, abort — what a LU RESET from another
            // session does, on that session's thread (if the copy and the write finish first, the round is void)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (filling.get(SIZE / 8) == 0 && System.nanoTime() < deadline) {
                java.lang.invoke.VarHandle.fullFence();
            }
            c.abort(task, true);
            // from here on the buffer may be in the pool, another command's: nothing may write into it any more
            for (int i = SIZE - 4096; i < SIZE; i++) filling.put(i, (byte) 0);
            copying.get(5, TimeUnit.SECONDS);
            if (filling.get(SIZE - 1) != 0) {
                failures++; // the aborted Data-Out went on into the buffer after the abort had given it back
            }
            filling.duplicate().clear().put(zero); // for the next round's look at the copy's progress
        }
        node.close();
        assertEquals(0, failures, "rounds in which the aborted Data-Out was still written into the buffer after the abort returned");
    }

    private static Connection.State stateOf(Connection c) throws Exception {
        java.lang.reflect.Field f = Connection.class.getDeclaredField("state");
        f.setAccessible(true);
        return (Connection.State) f.get(c);
    }
}
