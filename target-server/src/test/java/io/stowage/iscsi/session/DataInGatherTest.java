package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.iscsi.login.KeyValues;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * A read's Data-In PDUs and its status reach the wire as one unit ({@code PduConnection.sendAll}), so that the
 * transport can write them with one gathering write instead of one write per PDU; StatSN advances once, on the
 * PDU that carries the status.
 */
class DataInGatherTest {
    static final String IQN = "iqn.2026-11.io.stowage:gather";

    /** Keeps each unit handed to the wire. */
    static final class BatchWire implements io.stowage.iscsi.transport.PduConnection {
        final ConcurrentLinkedQueue<Pdu[]> units = new ConcurrentLinkedQueue<>();
        /** For each unit, whether it was sent as the session's only answer due ({@code alone}). */
        final ConcurrentLinkedQueue<Boolean> alone = new ConcurrentLinkedQueue<>();

        @Override
        public void send(Pdu pdu, Runnable onSent) {
            units.add(new Pdu[] {pdu});
            alone.add(false);
            if (onSent != null) onSent.run();
        }

        @Override
        public void sendAll(Pdu[] pdus, Runnable onSent, boolean alone) {
            units.add(pdus);
            this.alone.add(alone);
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
        public java.net.InetSocketAddress localAddress() {
            return new java.net.InetSocketAddress("127.0.0.1", 3260);
        }

        @Override
        public java.net.InetSocketAddress remoteAddress() {
            return new java.net.InetSocketAddress("127.0.0.1", 40000);
        }
    }

    private static Connection loggedIn(BatchWire wire, ParkingBlockDevice device, NodeResources node) {
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(device));
        BufferPool pool = new BufferPool(64L << 20);
        ExportedTarget target = new ExportedTarget(IQN, new ScsiTarget(new TargetPortIdentity(IQN, 1, 1), luns, pool), 1);
        Connection c = new Connection(wire, new TargetDirectory(List.of(target)), new SessionRegistry(), pool, 1,
                Map.of(), node);
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", "iqn.2026-11.io.stowage:i");
        keys.put("TargetName", IQN);
        keys.put("MaxRecvDataSegmentLength", "262144");
        byte[] text = KeyValues.format(keys);
        ByteBuffer login = TestInitiator.bhs(0x43, 0x80 | (1 << 2) | 3, text.length);
        login.putLong(8, 0x400000000b01L << 16);
        c.onPdu(CrossThreadAbortTest.pdu(login, text));
        return c;
    }

    @Test
    void allDataInOfARead_andItsStatus_goToTheWireAsOneUnit() throws Exception {
        BatchWire wire = new BatchWire();
        NodeResources node = new NodeResources(ResourceLimits.DEFAULT);
        Connection c = loggedIn(wire, new ParkingBlockDevice(8 << 20), node);
        for (int round = 0; round < 2; round++) { // the first gets the POWER ON unit attention
            ByteBuffer cmd = TestInitiator.bhs(0x01, 0x80 | 0x40 | 0x01, 0);
            cmd.putInt(16, 7 + round);
            cmd.putInt(20, 1 << 20);
            cmd.putInt(24, round);
            cmd.put(32, ServerProtocolTest.read10(0, (1 << 20) / 512), 0, 10);
            wire.units.clear();
            c.onPdu(CrossThreadAbortTest.pdu(cmd, null));
        }
        node.close();
        assertEquals(1, wire.units.size(), "one unit for the whole read");
        Pdu[] unit = wire.units.peek();
        assertEquals(4, unit.length, "1 MiB in Data-In of 256 KiB");
        int statSn = unit[0].bhs().getInt(24);
        for (int i = 0; i < unit.length; i++) {
            ByteBuffer bhs = unit[i].bhs();
            assertEquals(0x25, bhs.get(0) & 0x3F, "Data-In");
            assertEquals(i * 262144, bhs.getInt(40), "buffer offset");
            assertEquals(i, bhs.getInt(36), "DataSN");
            assertEquals(i == unit.length - 1, (bhs.get(1) & 0x01) != 0, "S (status) only on the last");
            assertEquals(statSn, bhs.getInt(24), "StatSN stamped, the same on all: only the status advances it");
        }
    }

    /**
     * An answer is marked alone (the transport may then write it at once, on the completing thread) only when no
     * other command of the session awaits its answer: with others due, answers are left to the transport to
     * combine. Writing each of 32 answers at once cost a system call and a TCP segment apiece.
     */
    @Test
    void anAnswerIsAloneOnlyWhenNoOtherCommandOfTheSessionAwaitsItsAnswer() throws Exception {
        BatchWire wire = new BatchWire();
        NodeResources node = new NodeResources(ResourceLimits.DEFAULT);
        ParkingBlockDevice device = new ParkingBlockDevice(8 << 20);
        Connection c = loggedIn(wire, device, node);
        int cmdSn = 0;
        c.onPdu(CrossThreadAbortTest.pdu(read(7, cmdSn++), null)); // takes the POWER ON unit attention
        wire.units.clear();
        wire.alone.clear();
        c.onPdu(CrossThreadAbortTest.pdu(read(8, cmdSn++), null));
        assertEquals(List.of(true), List.copyOf(wire.alone), "a read with nothing else in flight");
        wire.units.clear();
        wire.alone.clear();
        device.park(true);
        for (int i = 0; i < 3; i++) {
            ByteBuffer cmd = TestInitiator.bhs(0x01, 0x80 | 0x20 | 0x01, 512);
            cmd.putInt(16, 20 + i);
            cmd.putInt(20, 512);
            cmd.putInt(24, cmdSn++);
            cmd.put(32, ServerProtocolTest.write10(i, 1), 0, 10);
            c.onPdu(CrossThreadAbortTest.pdu(cmd, new byte[512]));
        }
        device.awaitParked(3);
        assertTrue(wire.units.isEmpty(), "nothing answered while the writes are parked");
        device.releaseParked();
        node.close();
        assertEquals(3, wire.units.size());
        for (Pdu[] unit : wire.units) {
            assertEquals(0x21, unit[0].bhs().get(0) & 0x3F, "SCSI Response");
            assertEquals(0, unit[0].bhs().get(3), "GOOD");
        }
        assertEquals(List.of(false, false, true), List.copyOf(wire.alone),
                "the first two answers had others due; only the last was alone");
    }

    private static ByteBuffer read(int itt, int cmdSn) {
        ByteBuffer cmd = TestInitiator.bhs(0x01, 0x80 | 0x40 | 0x01, 0);
        cmd.putInt(16, itt);
        cmd.putInt(20, 4096);
        cmd.putInt(24, cmdSn);
        cmd.put(32, ServerProtocolTest.read10(0, 8), 0, 10);
        return cmd;
    }
}
