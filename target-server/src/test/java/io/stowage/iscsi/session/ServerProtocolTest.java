package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.iscsi.pdu.Bhs;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real daemon (MINA portal, sessions, SCSI layer, file volume) in this JVM, driven by {@link TestInitiator}
 * over loopback: pipelining, R2T, Data-In splitting, residuals, keepalive echo, and every malformed input the
 * walking-skeleton issue lists.
 */
class ServerProtocolTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.of(
                "target.demo.lun.0", "demo", "target.demo.lun.1", "second",
                "volume.demo.size", "64M", "volume.second.size", "16M",
                "target.other.lun.0", "third", "volume.third.size", "8M"));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static byte[] read10(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = 0x28;
        ByteBuffer.wrap(c).putInt(2, (int) lba).putShort(7, (short) blocks);
        return c;
    }

    static byte[] write10(long lba, int blocks) {
        byte[] c = read10(lba, blocks);
        c[0] = 0x2A;
        return c;
    }

    static TestInitiator session(Map<String, String> keys) throws Exception {
        TestInitiator t = new TestInitiator(portal);
        TestInitiator.Rx r = t.login(IQN, keys);
        assertEquals(0x23, r.opcode());
        assertEquals(0, r.bhs()[36], "login status class");
        clearPowerOnAttention(t, 0);
        return t;
    }

    /** Like every initiator after login: TEST UNIT READY consumes the POWER ON unit attention of a new nexus. */
    static void clearPowerOnAttention(TestInitiator t, long lun) throws Exception {
        ByteBuffer h = TestInitiator.bhs(0x01, 0x81, 0);
        h.putLong(8, lun << 48);
        h.putInt(16, 0x7777);
        h.putInt(24, t.cmdSn++);
        t.send(h, null);
        TestInitiator.Rx r = t.next();
        assertEquals(0x21, r.opcode());
        assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
        assertEquals(0x06, r.data()[2 + 2] & 0x0F, "UNIT ATTENTION");
        assertEquals(0x29, r.data()[2 + 12] & 0xFF, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED");
    }

    /** Reads a whole command's answer: Data-In payload and final status PDU. */
    static byte[] readAll(TestInitiator t, int itt, int expectLength) throws Exception {
        byte[] out = new byte[expectLength];
        while (true) {
            TestInitiator.Rx r = t.next();
            assertEquals(itt, r.itt());
            if (r.opcode() == 0x25) {
                System.arraycopy(r.data(), 0, out, r.b().getInt(40), r.data().length);
                if ((r.flags() & 0x01) != 0) return out;
            } else {
                assertEquals(0x21, r.opcode(), "SCSI Response");
                assertEquals(0, r.bhs()[3], "GOOD");
                return out;
            }
        }
    }

    @Test
    void windowOf128PipelinedCommandsAnsweredWithOrderedStatSn() throws Exception {
        try (TestInitiator t = session(Map.of("MaxRecvDataSegmentLength", "4096"))) {
            assertEquals("262144", t.loginAnswers.get("MaxRecvDataSegmentLength"));
            for (int i = 0; i < 128; i++) {
                t.command(i, read10(i * 16L, 16), 8192, true, false, null, true);
            }
            Set<Integer> done = new HashSet<>();
            int lastStatSn = -1;
            Map<Integer, Integer> bytes = new HashMap<>();
            while (done.size() < 128) {
                TestInitiator.Rx r = t.next();
                assertEquals(0x25, r.opcode(), "only Data-In expected");
                assertTrue(r.data().length <= 4096, "split by the initiator's MaxRecvDataSegmentLength");
                bytes.merge(r.itt(), r.data().length, Integer::sum);
                if ((r.flags() & 0x01) != 0) {
                    assertTrue(done.add(r.itt()));
                    if (lastStatSn >= 0) assertEquals(lastStatSn + 1, r.statSn(), "StatSN in wire order");
                    lastStatSn = r.statSn();
                    assertTrue(r.maxCmdSn() - r.expCmdSn() + 1 >= 0);
                }
            }
            bytes.values().forEach(n -> assertEquals(8192, n));
            assertEquals(t.cmdSn, lastStatSnFreeWindowCheck(t));
        }
    }

    /** After everything is answered the window is fully open again: MaxCmdSN = ExpCmdSN + 127. */
    private static int lastStatSnFreeWindowCheck(TestInitiator t) throws Exception {
        t.command(999, new byte[16], 0, false, false, null, true); // TEST UNIT READY
        TestInitiator.Rx r = t.next();
        assertEquals(0x21, r.opcode());
        assertEquals(127, r.maxCmdSn() - r.expCmdSn());
        return r.expCmdSn() - 1;
    }

    @Test
    void solicitedWriteFollowsR2tsBoundedByMaxBurstLength() throws Exception {
        try (TestInitiator t = session(Map.of("InitialR2T", "Yes", "ImmediateData", "No",
                "MaxBurstLength", "8192", "FirstBurstLength", "8192"))) {
            byte[] data = new byte[65536];
            new Random(3).nextBytes(data);
            t.command(1, write10(1000, 128), data.length, false, true, null, true);
            int offset = 0;
            int r2ts = 0;
            while (offset < data.length) {
                TestInitiator.Rx r = t.next();
                assertEquals(0x31, r.opcode(), "R2T");
                assertEquals(r2ts++, r.b().getInt(36), "R2TSN");
                assertEquals(offset, r.b().getInt(40));
                int len = r.b().getInt(44);
                assertTrue(len <= 8192);
                int ttt = r.b().getInt(20);
                for (int sent = 0, sn = 0; sent < len; sent += 4096, sn++) {
                    t.dataOut(1, ttt, sn, offset + sent, Arrays.copyOfRange(data, offset + sent, offset + sent + 4096),
                            sent + 4096 == len);
                }
                offset += len;
            }
            TestInitiator.Rx status = t.next();
            assertEquals(0x21, status.opcode());
            assertEquals(0, status.bhs()[3]);
            assertEquals(0, status.flags() & 0x06, "no residual");
            assertEquals(8, r2ts);
            t.command(2, read10(1000, 128), data.length, true, false, null, true);
            assertArrayEquals(data, readAll(t, 2, data.length));
        }
    }

    @Test
    void immediateThenUnsolicitedThenSolicitedData() throws Exception {
        try (TestInitiator t = session(Map.of("InitialR2T", "No", "ImmediateData", "Yes",
                "FirstBurstLength", "16384", "MaxBurstLength", "32768"))) {
            byte[] data = new byte[65536];
            new Random(4).nextBytes(data);
            t.command(5, write10(2000, 128), data.length, false, true, Arrays.copyOf(data, 4096), false);
            t.dataOut(5, Bhs.RESERVED_TAG, 0, 4096, Arrays.copyOfRange(data, 4096, 8192), false);
            t.dataOut(5, Bhs.RESERVED_TAG, 1, 8192, Arrays.copyOfRange(data, 8192, 16384), true);
            int offset = 16384;
            while (offset < data.length) {
                TestInitiator.Rx r = t.next();
                assertEquals(0x31, r.opcode());
                assertEquals(offset, r.b().getInt(40));
                int len = r.b().getInt(44);
                assertEquals(Math.min(32768, data.length - offset), len);
                t.dataOut(5, r.b().getInt(20), 0, offset, Arrays.copyOfRange(data, offset, offset + len), true);
                offset += len;
            }
            assertEquals(0x21, t.next().opcode());
            t.command(6, read10(2000, 128), data.length, true, false, null, true);
            assertArrayEquals(data, readAll(t, 6, data.length));
        }
    }

    @Test
    void residualsAreExact() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            t.command(7, read10(0, 1), 10000, true, false, null, true);
            TestInitiator.Rx r = t.next();
            assertEquals(0x25, r.opcode());
            assertEquals(512, r.data().length);
            assertEquals(0x02, r.flags() & 0x06, "underflow");
            assertEquals(10000 - 512, r.b().getInt(44));
            t.command(8, read10(0, 1), 200, true, false, null, true);
            r = t.next();
            assertEquals(200, r.data().length);
            assertEquals(0x04, r.flags() & 0x06, "overflow");
            assertEquals(312, r.b().getInt(44));
            t.command(9, write10(0, 2), 512, false, true, new byte[512], true);
            r = t.next();
            assertEquals(0x21, r.opcode());
            assertEquals(0x04, r.flags() & 0x06, "write overflow");
            assertEquals(512, r.b().getInt(44));
        }
    }

    @Test
    void nopOutIsEchoed() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            byte[] ping = "ping-data".getBytes();
            t.nopOut(0x77, ping);
            TestInitiator.Rx r = t.next();
            assertEquals(0x20, r.opcode());
            assertEquals(0x77, r.itt());
            assertEquals(Bhs.RESERVED_TAG, r.b().getInt(20));
            assertArrayEquals(ping, r.data());
        }
    }

    @Test
    void unknownOpcodeAndUnknownTaskDataOutAreRejectedAndTheConnectionGoesOn() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            t.send(TestInitiator.bhs(0x1C, 0x80, 0), null);
            TestInitiator.Rx r = t.next();
            assertEquals(0x3F, r.opcode());
            assertEquals(0x05, r.bhs()[2], "command not supported");
            assertEquals(0x1C, r.data()[0] & 0x3F, "the rejected header is echoed");
            t.dataOut(0x4242, 0x99, 0, 0, new byte[512], true);
            r = t.next();
            assertEquals(0x3F, r.opcode());
            assertEquals(0x09, r.bhs()[2], "invalid PDU field");
            t.command(1, new byte[16], 0, false, false, null, true);
            assertEquals(0x21, t.next().opcode(), "still serving");
        }
    }

    @Test
    void commandsOutsideTheCmdSnWindowAreSilentlyIgnored() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            int exp = t.cmdSn;
            t.cmdSn = exp + 500;
            t.command(1, new byte[16], 0, false, false, null, true);
            t.cmdSn = exp - 1;
            t.command(2, new byte[16], 0, false, false, null, true);
            assertTrue(t.silentFor(500));
            t.cmdSn = exp;
            t.command(3, new byte[16], 0, false, false, null, true);
            TestInitiator.Rx r = t.next();
            assertEquals(3, r.itt());
        }
    }

    @Test
    void oversizedDataSegmentClosesOnlyThatConnection() throws Exception {
        try (TestInitiator bystander = session(Map.of()); TestInitiator t = new TestInitiator(portal)) {
            t.isid = 0x400000000999L;
            t.login(IQN, Map.of());
            clearPowerOnAttention(t, 0);
            ByteBuffer h = TestInitiator.bhs(0x01, 0xA0, 1 << 20);
            t.raw(h.array());
            TestInitiator.Rx r = t.next();
            assertEquals(0x3F, r.opcode());
            assertEquals(0x04, r.bhs()[2], "protocol error");
            assertTrue(t.closedByTarget());
            bystander.command(1, read10(0, 1), 512, true, false, null, true);
            assertEquals(0x25, bystander.next().opcode(), "the other session is unaffected");
        }
    }

    @Test
    void truncatedAndGarbageInputNeverTakesTheServerDown() throws Exception {
        try (TestInitiator t = new TestInitiator(portal)) {
            t.raw(new byte[] {0x43, (byte) 0x87, 0, 0, 0, 0, 0x40}); // half a login header, then hang up
        }
        try (TestInitiator t = new TestInitiator(portal)) {
            byte[] junk = new byte[48];
            new Random(9).nextBytes(junk);
            junk[5] = 0x7f; // enormous data segment
            t.raw(junk);
            assertTrue(t.closedByTarget());
        }
        try (TestInitiator t = new TestInitiator(portal)) {
            t.send(TestInitiator.bhs(0x01, 0x80, 0), null); // a SCSI command before login
            assertTrue(t.closedByTarget());
        }
        try (TestInitiator t = session(Map.of())) {
            t.command(1, new byte[16], 0, false, false, null, true);
            assertEquals(0x21, t.next().opcode());
        }
    }

    @Test
    void loginToAnUnknownTargetIsRefused() throws Exception {
        try (TestInitiator t = new TestInitiator(portal)) {
            TestInitiator.Rx r = t.login("iqn.2026-11.io.stowage:nope", Map.of());
            assertEquals(0x02, r.bhs()[36]);
            assertEquals(0x03, r.bhs()[37], "not found");
            assertTrue(t.closedByTarget());
        }
    }

    @Test
    void sessionReinstatementClosesTheOldConnection() throws Exception {
        try (TestInitiator first = session(Map.of())) {
            first.isid = 0x400000000777L;
        }
        TestInitiator a = new TestInitiator(portal);
        a.isid = 0x400000000777L;
        a.login(IQN, Map.of());
        TestInitiator b = new TestInitiator(portal);
        b.isid = 0x400000000777L;
        TestInitiator.Rx r = b.login(IQN, Map.of());
        assertEquals(0, r.bhs()[36]);
        clearPowerOnAttention(b, 0);
        assertTrue(a.closedByTarget(), "the old session's connection is closed");
        b.command(1, new byte[16], 0, false, false, null, true);
        assertEquals(0x21, b.next().opcode());
        a.close();
        b.close();
    }

    @Test
    void taskManagement() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            int cmdSn = t.cmdSn;
            t.command(1, new byte[16], 0, false, false, null, true);
            assertEquals(0x21, t.next().opcode());
            t.taskManagement(0x50, 1, 0, 1, cmdSn); // ABORT TASK of a task answered long ago
            TestInitiator.Rx r = t.next();
            assertEquals(0x22, r.opcode());
            assertEquals(1, r.bhs()[2], "task does not exist: a finished task (§11.5.1(c))");
            t.taskManagement(0x51, 1, 0, 0x999, t.cmdSn + 10); // never sent
            assertEquals(1, t.next().bhs()[2], "task does not exist");
            t.taskManagement(0x52, 5, 0, 0, 0); // LUN RESET
            assertEquals(0, t.next().bhs()[2]);
            t.command(2, new byte[16], 0, false, false, null, true);
            TestInitiator.Rx ua = t.next();
            assertEquals(0x02, ua.bhs()[3], "a LUN reset leaves a unit attention");
            assertEquals(0x29, ua.data()[2 + 12] & 0xFF);
            assertEquals(0x03, ua.data()[2 + 13] & 0xFF, "BUS DEVICE RESET FUNCTION OCCURRED");
            t.taskManagement(0x53, 5, 9, 0, 0);
            assertEquals(2, t.next().bhs()[2], "LUN does not exist");
            t.taskManagement(0x54, 8, 0, 0, 0);
            assertEquals(4, t.next().bhs()[2], "no task reassignment at ERL 0");
        }
    }

    /**
     * libiscsi's iSCSITMF.AbortTaskSimpleAsync when the WRITE's GOOD reaches the initiator before it writes the
     * ABORT TASK (libiscsi stamps ExpStatSN when it writes a PDU and reads before it writes): it then holds GOOD,
     * so FUNCTION COMPLETE would claim an abort that did not happen. TASK DOES NOT EXIST, as LIO answers and
     * RFC 7143 §11.5.1(c) says for a RefCmdSN below the window. This failed (FUNCTION COMPLETE) before.
     */
    @Test
    void abortTaskOfAWriteWhoseGoodTheInitiatorHasSeenIsTaskDoesNotExist() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            int cmdSn = t.cmdSn;
            t.command(0x70, write10(0, 8), 4096, false, true, new byte[4096], true);
            TestInitiator.Rx good = t.next();
            assertEquals(0x21, good.opcode());
            assertEquals(0, good.bhs()[3], "the write is GOOD");
            t.taskManagement(0x71, 1, 0, 0x70, cmdSn); // its ExpStatSN covers the GOOD
            TestInitiator.Rx r = t.next();
            assertEquals(0x22, r.opcode());
            assertEquals(1, r.bhs()[2], "task does not exist: the initiator already holds its GOOD");
        }
    }

    @Test
    void abortTaskOfAWriteWaitingForData() throws Exception {
        try (TestInitiator t = session(Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            t.command(1, write10(0, 8), 4096, false, true, null, true);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            t.taskManagement(0x60, 1, 0, 1, t.cmdSn - 1);
            TestInitiator.Rx r = t.next();
            assertEquals(0x22, r.opcode());
            assertEquals(0, r.bhs()[2]);
            t.dataOut(1, r2t.b().getInt(20), 0, 0, new byte[4096], true); // late data is discarded silently
            assertTrue(t.silentFor(300));
            t.command(2, new byte[16], 0, false, false, null, true);
            assertEquals(2, t.next().itt());
        }
    }

    @Test
    void abortedTasksLeaveTheTaskTableWhenTheyFinish() throws Exception {
        try (TestInitiator t = session(Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            Connection c = daemon.sessions().sessionsOf(daemon.targets().find(IQN)).stream()
                    .filter(x -> x.isid() == 0x400000000001L).findFirst().orElseThrow().connection();
            for (int itt = 1; itt <= 50; itt++) { // distinct ITTs, as an initiator that does not recycle them
                t.command(itt, write10(0, 8), 4096, false, true, null, true);
                assertEquals(0x31, t.next().opcode());
                t.taskManagement(0x1000 + itt, 1, 0, itt, t.cmdSn - 1);
                assertEquals(0x22, t.next().opcode());
            }
            assertTrue(c.tasks().isEmpty(), c.tasks().size() + " aborted tasks still in the table");
            t.dataOut(50, 0, 0, 0, new byte[4096], true); // late data of an aborted task: still discarded silently
            assertTrue(t.silentFor(300));
        }
    }

    @Test
    void discoveryListsEveryTarget() throws Exception {
        try (TestInitiator t = new TestInitiator(portal)) {
            assertEquals(0, t.login(null, Map.of()).bhs()[36]);
            t.text(0x10, "SendTargets=All\0");
            TestInitiator.Rx r = t.next();
            assertEquals(0x24, r.opcode());
            String s = new String(r.data());
            assertTrue(s.contains("TargetName=" + IQN + "\0"), s);
            assertTrue(s.contains("TargetName=iqn.2026-11.io.stowage:other\0"), s);
            assertTrue(s.contains("TargetAddress=127.0.0.1:" + portal.getPort() + ",1\0"), s);
            t.command(1, new byte[16], 0, false, false, null, true);
            assertEquals(0x3F, t.next().opcode(), "no SCSI in a discovery session");
        }
    }

    /** Found by PduFuzzIT: a target reset in a discovery session (no target) dropped the connection with an NPE. */
    @Test
    void aTargetResetInADiscoverySessionIsAnsweredNotFatal() throws Exception {
        try (TestInitiator normal = session(Map.of()); TestInitiator t = new TestInitiator(portal)) {
            assertEquals(0, t.login(null, Map.of()).bhs()[36]);
            t.taskManagement(0x20, 6, 0, -1, 0); // TARGET WARM RESET, with a normal session beside it
            assertEquals(0x22, t.next().opcode(), "a Task Management Response");
            t.text(0x21, "SendTargets=All\0");
            assertEquals(0x24, t.next().opcode(), "the connection goes on");
        }
    }

    /**
     * RFC 7143 §13.12: MaxRecvDataSegmentLength is declarative and may be declared again in a Text Request in full
     * feature phase. It is not rejected, and the Data-In that follow respect the new limit.
     */
    @Test
    void aFullFeatureTextRequestMayDeclareANewMaxRecvDataSegmentLength() throws Exception {
        try (TestInitiator t = session(Map.of("MaxRecvDataSegmentLength", "65536"))) {
            t.text(0x31, "MaxRecvDataSegmentLength=4096\0");
            TestInitiator.Rx r = t.next();
            assertEquals(0x24, r.opcode(), "a Text Response");
            assertFalse(new String(r.data()).contains("Reject"), new String(r.data()));
            t.command(0x32, read10(0, 16), 8192, true, false, null, true);
            int got = 0;
            while (got < 8192) {
                TestInitiator.Rx d = t.next();
                assertEquals(0x25, d.opcode(), "Data-In");
                assertTrue(d.data().length <= 4096, "split by the newly declared limit: " + d.data().length);
                got += d.data().length;
            }
            t.text(0x33, "MaxRecvDataSegmentLength=100\0"); // below the RFC's 512: refused, the limit stays
            assertTrue(new String(t.next().data()).contains("MaxRecvDataSegmentLength=Reject"));
        }
    }

    /** A key without '=' (found by PduFuzzIT: SendTargets without a value dropped the connection with an NPE). */
    @Test
    void aTextKeyWithoutAValueIsRejectedNotFatal() throws Exception {
        for (boolean discovery : new boolean[] {true, false}) {
            try (TestInitiator t = discovery ? new TestInitiator(portal) : session(Map.of())) {
                if (discovery) assertEquals(0, t.login(null, Map.of()).bhs()[36]);
                t.text(0x11, "SendTargets\0");
                TestInitiator.Rx r = t.next();
                assertEquals(0x24, r.opcode(), "a Text Response");
                assertTrue(new String(r.data()).contains("SendTargets=Reject"), new String(r.data()));
                t.text(0x12, "SendTargets=All\0");
                assertEquals(0x24, t.next().opcode(), "the connection goes on");
            }
        }
    }

    @Test
    void logoutAnswersThenCloses() throws Exception {
        try (TestInitiator t = session(Map.of())) {
            t.logout(0x33);
            TestInitiator.Rx r = t.next();
            assertEquals(0x26, r.opcode());
            assertEquals(0, r.bhs()[2]);
            assertTrue(t.closedByTarget());
        }
    }

    @Test
    void severalLunsAndConcurrentSessions() throws Exception {
        List<TestInitiator> sessions = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            TestInitiator t = new TestInitiator(portal);
            t.isid = 0x400000001000L + i;
            t.login(IQN, Map.of());
            clearPowerOnAttention(t, 1);
            sessions.add(t);
        }
        for (int i = 0; i < sessions.size(); i++) {
            TestInitiator t = sessions.get(i);
            byte[] block = new byte[512];
            Arrays.fill(block, (byte) i);
            byte[] cdb = write10(i, 1);
            ByteBuffer h = TestInitiator.bhs(0x01, 0xA1, 512);
            h.putLong(8, 1L << 48); // LUN 1
            h.putInt(16, 1);
            h.putInt(20, 512);
            h.putInt(24, t.cmdSn++);
            h.put(32, cdb, 0, 10);
            t.send(h, block);
        }
        for (TestInitiator t : sessions) {
            assertEquals(0x21, t.next().opcode());
        }
        TestInitiator t0 = sessions.get(0);
        // LUN 0 of the first session still holds its power-on attention: it is per LU
        t0.command(9, new byte[16], 0, false, false, null, true);
        assertEquals(0x02, t0.next().bhs()[3]);
        ByteBuffer h = TestInitiator.bhs(0x01, 0xC1, 0);
        h.putLong(8, 1L << 48);
        h.putInt(16, 2);
        h.putInt(20, 4096);
        h.putInt(24, t0.cmdSn++);
        h.put(32, read10(0, 8), 0, 10);
        t0.send(h, null);
        byte[] back = readAll(t0, 2, 4096);
        for (int i = 0; i < 8; i++) assertEquals(i, back[i * 512]);
        for (TestInitiator t : sessions) t.close();
    }

    static TestInitiator sessionWithIsid(long isid, Map<String, String> keys) throws Exception {
        TestInitiator t = new TestInitiator(portal);
        t.isid = isid;
        assertEquals(0, t.login(IQN, keys).bhs()[36]);
        clearPowerOnAttention(t, 0);
        return t;
    }

    /** SAM-5 7.4: CLEAR TASK SET aborts the LU's tasks of every I_T nexus; the others get TASK ABORTED (TAS = 1). */
    @Test
    void clearTaskSetAbortsTheTasksOfEveryNexus() throws Exception {
        try (TestInitiator a = sessionWithIsid(0x400000000a01L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"));
             TestInitiator b = sessionWithIsid(0x400000000a02L, Map.of())) {
            a.command(1, write10(0, 8), 4096, false, true, null, true);
            assertEquals(0x31, a.next().opcode(), "R2T: the write waits for its data");
            b.taskManagement(0x40, 4, 0, 0, 0);
            TestInitiator.Rx r = b.next();
            assertEquals(0x22, r.opcode());
            assertEquals(0, r.bhs()[2], "function complete");
            TestInitiator.Rx aborted = a.next();
            assertEquals(0x21, aborted.opcode());
            assertEquals(1, aborted.itt());
            assertEquals(0x40, aborted.bhs()[3] & 0xFF, "TASK ABORTED");
        }
    }

    /**
     * ABORT TASK checks what the initiator says about the task, as LIO does: another LUN than the task's is TASK
     * DOES NOT EXIST, a RefCmdSN other than the task's CmdSN is FUNCTION REJECTED; neither aborts it.
     */
    @Test
    void abortTaskChecksTheLunAndTheRefCmdSn() throws Exception {
        try (TestInitiator t = sessionWithIsid(0x400000000a03L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            int cmdSn = t.cmdSn;
            t.command(1, write10(0, 8), 4096, false, true, null, true);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            t.taskManagement(0x41, 1, 1, 1, cmdSn);
            assertEquals(1, t.next().bhs()[2], "task does not exist (on LUN 1)");
            t.taskManagement(0x42, 1, 0, 1, cmdSn + 5);
            assertEquals(0xFF, t.next().bhs()[2] & 0xFF, "function rejected (RefCmdSN mismatch)");
            t.taskManagement(0x43, 1, 7, 1, cmdSn);
            assertEquals(2, t.next().bhs()[2], "LUN does not exist");
            t.dataOut(1, r2t.b().getInt(20), 0, 0, new byte[4096], true);
            TestInitiator.Rx status = t.next();
            assertEquals(1, status.itt());
            assertEquals(0, status.bhs()[3], "the write was not aborted");
        }
    }

    /** The first MaxCmdSN after a login whose CmdSN is at or above 2^31 is the window the login announced. */
    @Test
    void theWindowAfterALoginWithAHighCmdSnIsOpen() throws Exception {
        try (TestInitiator t = new TestInitiator(portal)) {
            t.isid = 0x400000000a04L;
            t.cmdSn = 0x90000000;
            TestInitiator.Rx login = t.login(IQN, Map.of());
            assertEquals(127, login.maxCmdSn() - login.expCmdSn());
            t.command(1, new byte[16], 0, false, false, null, true);
            TestInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode());
            assertEquals(0x90000001, r.expCmdSn());
            assertEquals(127, r.maxCmdSn() - r.expCmdSn(), "MaxCmdSN " + Integer.toUnsignedString(r.maxCmdSn()));
        }
    }

    /**
     * RFC 7143 §7.8: a Data-Out sequence error (here a wrong DataSN) ends the command in CHECK CONDITION, ABORTED
     * COMMAND / DATA PHASE ERROR — answered after the sequence's final Data-Out, not while data is still coming.
     */
    @Test
    void aDataPhaseErrorIsAnsweredAfterTheFinalDataOut() throws Exception {
        try (TestInitiator t = sessionWithIsid(0x400000000a05L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            t.command(1, write10(0, 32), 16384, false, true, null, true);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            assertEquals(16384, r2t.b().getInt(44));
            int ttt = r2t.b().getInt(20);
            t.dataOut(1, ttt, 0, 0, new byte[4096], false);
            t.dataOut(1, ttt, 5, 4096, new byte[4096], false); // DataSN 1 was due
            assertTrue(t.silentFor(300), "no answer while the sequence goes on");
            t.dataOut(1, ttt, 2, 8192, new byte[4096], false);
            t.dataOut(1, ttt, 3, 12288, new byte[4096], true);
            TestInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode());
            assertEquals(1, r.itt());
            assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
            assertEquals(0x0B, r.data()[2 + 2] & 0x0F);
            assertEquals(0x4B, r.data()[2 + 12] & 0xFF, "DATA PHASE ERROR");
            assertTrue(t.silentFor(200), "one answer only");
            t.command(2, new byte[16], 0, false, false, null, true);
            assertEquals(0, t.next().bhs()[3], "the connection carries on");
        }
    }

    static void assertInvalidFieldInCdb(TestInitiator.Rx r, int itt) {
        assertEquals(0x21, r.opcode());
        assertEquals(itt, r.itt());
        assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
        assertEquals(0x05, r.data()[2 + 2] & 0x0F, "ILLEGAL REQUEST");
        assertEquals(0x24, r.data()[2 + 12] & 0xFF, "INVALID FIELD IN CDB");
    }

    /**
     * An AHS (extended CDB, bidirectional read length) and bidirectional commands are not supported: the command
     * is refused with CHECK CONDITION instead of running on the first 16 bytes of its CDB, and its CmdSN is used.
     */
    @Test
    void commandsWithAnAhsOrBothDirectionsAreRefused() throws Exception {
        try (TestInitiator t = sessionWithIsid(0x400000000a06L, Map.of())) {
            ByteBuffer h = TestInitiator.bhs(0x01, 0x80, 0);
            h.put(4, (byte) 5); // TotalAHSLength: 20 bytes
            h.putInt(16, 1);
            h.putInt(24, t.cmdSn++);
            h.putInt(28, t.expStatSn);
            byte[] pdu = new byte[48 + 20];
            h.get(0, pdu, 0, 48);
            pdu[48 + 1] = 17; // AHSLength: 16 CDB bytes + reserved
            pdu[48 + 2] = 1;  // AHSType 1: extended CDB (a 32-byte CDB whose first 16 bytes are a TEST UNIT READY)
            t.raw(pdu);
            assertInvalidFieldInCdb(t.next(), 1);
            t.command(2, new byte[16], 0, true, true, null, true);
            assertInvalidFieldInCdb(t.next(), 2);
            t.command(3, new byte[16], 0, false, false, null, true);
            assertEquals(0, t.next().bhs()[3], "GOOD: the session goes on");
        }
    }

    /** RFC 7143 §13.6: the target names itself with TargetAlias (its name in the config) in a normal session. */
    @Test
    void targetAliasIsSentAtLogin() throws Exception {
        try (TestInitiator t = sessionWithIsid(0x400000000a07L, Map.of())) {
            assertEquals("demo", t.loginAnswers.get("TargetAlias"));
        }
        try (TestInitiator d = new TestInitiator(portal)) {
            d.login(null, Map.of());
            assertNull(d.loginAnswers.get("TargetAlias"), "irrelevant in a discovery session");
        }
    }

    /**
     * Task attributes: SIMPLE, ORDERED, HEAD OF QUEUE and untagged run (VPD 86h reports SIMPSUP only); ACA cannot
     * exist without NACA, so a command with the ACA attribute is refused (INVALID FIELD IN CDB, as LIO does).
     */
    @Test
    void aCommandWithTheAcaTaskAttributeIsRefused() throws Exception {
        try (TestInitiator t = sessionWithIsid(0x400000000a08L, Map.of())) {
            for (int attr = 0; attr <= 4; attr++) {
                ByteBuffer h = TestInitiator.bhs(0x01, 0x80 | attr, 0);
                h.putInt(16, 0x100 + attr);
                h.putInt(24, t.cmdSn++);
                h.putInt(28, t.expStatSn);
                t.send(h, null);
                TestInitiator.Rx r = t.next();
                if (attr == 4) {
                    assertInvalidFieldInCdb(r, 0x104);
                } else {
                    assertEquals(0, r.bhs()[3], "GOOD with attribute " + attr);
                }
            }
        }
    }

    /** RFC 7143 §11.15: a Logout that closes a connection this session does not have is answered "CID not found". */
    @Test
    void logoutOfAnotherConnectionIsCidNotFound() throws Exception {
        try (TestInitiator t = sessionWithIsid(0x400000000a09L, Map.of())) {
            ByteBuffer h = TestInitiator.bhs(0x46, 0x80 | 1, 0); // reason 1: close the connection
            h.putInt(16, 0x34);
            h.putShort(20, (short) 7);
            h.putInt(24, t.cmdSn);
            h.putInt(28, t.expStatSn);
            t.send(h, null);
            TestInitiator.Rx r = t.next();
            assertEquals(0x26, r.opcode());
            assertEquals(1, r.bhs()[2], "CID not found");
            t.command(1, new byte[16], 0, false, false, null, true);
            assertEquals(0, t.next().bhs()[3], "the connection goes on");
            h.putShort(20, (short) 0); // ours
            h.putInt(24, t.cmdSn);
            h.putInt(28, t.expStatSn);
            t.send(h, null);
            assertEquals(0, t.next().bhs()[2], "closed");
            assertTrue(t.closedByTarget());
        }
    }
}
