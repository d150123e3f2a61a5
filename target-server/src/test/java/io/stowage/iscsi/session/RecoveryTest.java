package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import io.stowage.iscsi.transport.mina.MinaPortal;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recovery paths (RFC 7143 §6.3.5, §7): what happens to the commands of a session that is reinstated or whose
 * connection is lost. Runs the real portal, sessions and SCSI layer over loopback on a {@link ParkingBlockDevice},
 * so a write can be held in the "backend" while the initiator gives up on it and retries on a new session.
 */
class RecoveryTest {
    static final String IQN = "iqn.2026-11.io.stowage:recovery";
    ParkingBlockDevice device;
    MinaPortal portal;
    NodeResources node;
    InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        device = new ParkingBlockDevice(4 << 20);
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(device));
        BufferPool buffers = new BufferPool(4 << 20);
        ExportedTarget target = new ExportedTarget(IQN, new ScsiTarget(new TargetPortIdentity(IQN, 1, 1), luns,
                buffers), 1);
        TargetDirectory directory = new TargetDirectory(List.of(target));
        SessionRegistry registry = new SessionRegistry();
        node = new NodeResources(ResourceLimits.DEFAULT);
        portal = new MinaPortal(new InetSocketAddress("127.0.0.1", 0), 15, new io.stowage.iscsi.transport
                .ConnectionGate(64, 64), wire -> new Connection(wire, directory, registry, buffers, 1, Map.of(), node));
        address = portal.boundAddress();
    }

    @AfterEach
    void stop() {
        device.releaseParked();
        portal.close();
        node.close();
    }

    TestInitiator login(long isid) throws Exception {
        TestInitiator t = new TestInitiator(address);
        t.isid = isid;
        TestInitiator.Rx r = t.login(IQN, Map.of());
        assertEquals(0x23, r.opcode());
        assertEquals(0, r.b().getShort(36), "login status (never 0301h for a reinstatement)");
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    static byte[] block(int fill) {
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    /** WRITE(10) of one block at LBA 0 with immediate data, and its GOOD status. */
    static void writeBlock(TestInitiator t, int itt, byte[] data) throws Exception {
        t.command(itt, ServerProtocolTest.write10(0, 1), 512, false, true, data, true);
        TestInitiator.Rx r = t.next();
        assertEquals(0x21, r.opcode());
        assertEquals(itt, r.itt());
        assertEquals(0, r.bhs()[3], "GOOD");
    }

    /**
     * Linux's escalation after a backend stall: the write A is stuck, the initiator drops the connection (or
     * just logs in again: reinstatement), logs in with the same ISID and retries with the newer data B. The old
     * write must not land after B: the new session's final Login Response waits until A has ended.
     */
    void anOldWriteNeverLandsAfterTheReinstatedSessionsWrite(boolean dropFirst) throws Exception {
        long isid = 0x400000000555L;
        TestInitiator first = login(isid);
        device.park(true);
        first.command(1, ServerProtocolTest.write10(0, 1), 512, false, true, block(0xAA), true);
        device.awaitParked(1);
        device.park(false);
        if (dropFirst) {
            first.close();
        }
        CompletableFuture<TestInitiator> retried = CompletableFuture.supplyAsync(() -> {
            try {
                TestInitiator second = login(isid);
                writeBlock(second, 2, block(0xBB));
                return second;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            retried.get(500, TimeUnit.MILLISECONDS); // before the fix the new session wrote B at once
        } catch (TimeoutException expected) {
            // the login is held while the old session's write is in flight
        }
        device.releaseParked(); // the stalled backend comes back and the old write completes
        try (TestInitiator second = retried.get(10, TimeUnit.SECONDS)) {
            second.command(3, ServerProtocolTest.read10(0, 1), 512, true, false, null, true);
            assertArrayEquals(block(0xBB), ServerProtocolTest.readAll(second, 3, 512), "the retried write wins");
        } finally {
            first.close();
        }
    }

    @Test
    void connectionLossThenLoginWaitsForTheOldWrite() throws Exception {
        anOldWriteNeverLandsAfterTheReinstatedSessionsWrite(true);
    }

    @Test
    void reinstatementWaitsForTheOldWrite() throws Exception {
        anOldWriteNeverLandsAfterTheReinstatedSessionsWrite(false);
    }

    TestInitiator loginWith(long isid, Map<String, String> keys, boolean digests) throws Exception {
        TestInitiator t = new TestInitiator(address);
        t.isid = isid;
        assertEquals(0, t.login(IQN, keys).b().getShort(36));
        if (digests) {
            assertEquals("CRC32C", t.loginAnswers.get("DataDigest"));
            t.useDigests();
        }
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    static void assertGood(TestInitiator.Rx r, int itt) {
        assertEquals(0x21, r.opcode(), "SCSI Response");
        assertEquals(itt, r.itt());
        assertEquals(0, r.bhs()[3], "GOOD");
    }

    /**
     * RFC 7143 §7.8: a data digest error on immediate data leaves the command's header good. The PDU's data is
     * rejected (02h), but the command consumes its CmdSN, takes the rest of its unsolicited data and ends in
     * CHECK CONDITION, ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR (0B/47/05); the commands after it go on.
     */
    @Test
    void aDigestErrorOnImmediateDataConsumesTheCmdSnAndFailsTheCommandAfterItsData() throws Exception {
        try (TestInitiator t = loginWith(0x400000000601L, Map.of("HeaderDigest", "CRC32C", "DataDigest", "CRC32C",
                "ImmediateData", "Yes", "InitialR2T", "No"), true)) {
            t.corruptNextDataDigest = true;
            t.command(1, ServerProtocolTest.write10(0, 2), 1024, false, true, block(0x11), false);
            TestInitiator.Rx reject = t.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x02, reject.bhs()[2], "data digest error");
            t.dataOut(1, 0xFFFFFFFF, 0, 512, block(0x12), true);
            TestInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode());
            assertEquals(1, r.itt());
            assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
            assertEquals(0x0B, r.data()[2 + 2] & 0x0F, "ABORTED COMMAND");
            assertEquals(0x47, r.data()[2 + 12] & 0xFF);
            assertEquals(0x05, r.data()[2 + 13] & 0xFF, "PROTOCOL SERVICE CRC ERROR");
            t.command(2, new byte[16], 0, false, false, null, true);
            assertGood(t.next(), 2);
            t.command(3, ServerProtocolTest.read10(0, 2), 1024, true, false, null, true);
            assertArrayEquals(new byte[1024], ServerProtocolTest.readAll(t, 3, 1024), "nothing was written");
        }
    }

    /**
     * RFC 7143 §7.8: a data digest error on a Data-Out: the PDU is rejected, and the command ends in CHECK
     * CONDITION 0B/47/05 once its sequence is over — even when the lost PDU was the sequence's last, after which
     * the initiator sends nothing more and waits for the status.
     */
    @Test
    void aDigestErrorOnTheLastDataOutEndsTheCommand() throws Exception {
        try (TestInitiator t = loginWith(0x400000000604L, Map.of("HeaderDigest", "CRC32C", "DataDigest", "CRC32C",
                "ImmediateData", "No", "InitialR2T", "Yes"), true)) {
            t.command(1, ServerProtocolTest.write10(0, 2), 1024, false, true, null, true);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            int ttt = r2t.b().getInt(20);
            t.dataOut(1, ttt, 0, 0, block(0x31), false);
            t.corruptNextDataDigest = true;
            t.dataOut(1, ttt, 1, 512, block(0x32), true);
            TestInitiator.Rx reject = t.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x02, reject.bhs()[2], "data digest error");
            TestInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode());
            assertEquals(1, r.itt());
            assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
            assertEquals(0x47, r.data()[2 + 12] & 0xFF);
            assertEquals(0x05, r.data()[2 + 13] & 0xFF, "PROTOCOL SERVICE CRC ERROR");
            t.command(2, new byte[16], 0, false, false, null, true);
            assertGood(t.next(), 2);
        }
    }

    /** A non-immediate NOP-Out or Text Request whose data fails its digest is rejected but keeps its CmdSN. */
    @Test
    void aDigestErrorOnANonImmediateNopOutOrTextLeavesNoHole() throws Exception {
        try (TestInitiator t = loginWith(0x400000000605L, Map.of("HeaderDigest", "CRC32C", "DataDigest", "CRC32C"),
                true)) {
            ByteBuffer nop = TestInitiator.bhs(0x00, 0x80, 4); // NOP-Out, not immediate
            nop.putInt(16, 0x61);
            nop.putInt(20, 0xFFFFFFFF);
            nop.putInt(24, t.cmdSn++);
            nop.putInt(28, t.expStatSn);
            t.corruptNextDataDigest = true;
            t.send(nop, new byte[] {1, 2, 3, 4});
            assertEquals(0x3F, t.next().opcode(), "Reject");
            t.corruptNextDataDigest = true;
            t.text(0x62, "SendTargets=All\0");
            assertEquals(0x3F, t.next().opcode(), "Reject");
            t.command(3, new byte[16], 0, false, false, null, true);
            assertGood(t.next(), 3);
        }
    }

    /** A command reusing a live ITT is rejected (task in progress) but still consumes its CmdSN. */
    @Test
    void aCommandRejectedForAReusedIttConsumesItsCmdSn() throws Exception {
        try (TestInitiator t = loginWith(0x400000000602L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"),
                false)) {
            t.command(1, ServerProtocolTest.write10(0, 1), 512, false, true, null, true);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            t.command(1, new byte[16], 0, false, false, null, true);
            TestInitiator.Rx reject = t.next();
            assertEquals(0x3F, reject.opcode());
            assertEquals(0x07, reject.bhs()[2], "task in progress");
            t.command(2, new byte[16], 0, false, false, null, true);
            assertGood(t.next(), 2);
            t.dataOut(1, r2t.b().getInt(20), 0, 0, block(0x21), true);
            assertGood(t.next(), 1);
        }
    }

    /**
     * RFC 7143 §11.5.1(b): ABORT TASK of a command that never arrived, whose RefCmdSN lies in the window below the
     * TMF's CmdSN, counts that CmdSN as received: FUNCTION COMPLETE, and the commands queued behind the hole run.
     */
    @Test
    void abortTaskOfACommandThatNeverArrivedFillsTheHole() throws Exception {
        try (TestInitiator t = loginWith(0x400000000603L, Map.of(), false)) {
            int lost = t.cmdSn++;
            t.command(5, new byte[16], 0, false, false, null, true);
            assertTrue(t.silentFor(200), "the TUR waits for the missing CmdSN");
            t.taskManagement(0x50, 1, 0, 0x99, lost);
            Map<Integer, TestInitiator.Rx> byOpcode = new java.util.HashMap<>();
            for (int i = 0; i < 2; i++) {
                TestInitiator.Rx r = t.next();
                byOpcode.put(r.opcode(), r);
            }
            assertEquals(0, byOpcode.get(0x22).bhs()[2], "function complete");
            assertGood(byOpcode.get(0x21), 5);
            t.command(6, new byte[16], 0, false, false, null, true);
            assertGood(t.next(), 6);
        }
    }

    /**
     * Review finding 5: a LU RESET from another session aborts a write that is still collecting Data-Out, on the
     * resetting session's thread, while the write's own connection may be copying Data-Out into its buffer. The
     * buffer must not go back to the pool under it. Session A streams 1 MiB writes in 8 KiB Data-Out PDUs while
     * session B loops LU RESET: every write is answered, the connection survives and nothing is logged as an error.
     */
    @Test
    void luResetsFromAnotherSessionNeverBreakAStreamOfWrites() throws Exception {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        root.addAppender(logged);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try (TestInitiator a = loginWith(0x400000000701L, Map.of("InitialR2T", "Yes", "ImmediateData", "No",
                "MaxBurstLength", "262144"), false);
             TestInitiator b = loginWith(0x400000000702L, Map.of(), false)) {
            CompletableFuture<Integer> resets = CompletableFuture.supplyAsync(() -> {
                int n = 0;
                try {
                    while (!stop.get()) {
                        b.taskManagement(0x1000 + n, 5, 0, 0, 0);
                        TestInitiator.Rx r = b.next();
                        assertEquals(0x22, r.opcode());
                        assertEquals(0, r.bhs()[2], "LU RESET: function complete");
                        n++;
                    }
                } catch (java.io.IOException e) {
                    throw new RuntimeException(e);
                }
                return n;
            });
            byte[] chunk = new byte[8192];
            int answered = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (int itt = 1; System.nanoTime() < end; itt++) {
                t:
                {
                    a.command(itt, ServerProtocolTest.write10(0, 2048), 1 << 20, false, true, null, true);
                    while (true) {
                        TestInitiator.Rx r = a.next();
                        if (r.opcode() == 0x31 && r.itt() == itt) {
                            int ttt = r.b().getInt(20);
                            int offset = r.b().getInt(40);
                            int length = r.b().getInt(44);
                            for (int sent = 0, sn = 0; sent < length; sent += chunk.length, sn++) {
                                a.dataOut(itt, ttt, sn, offset + sent, chunk, sent + chunk.length == length);
                            }
                        } else if (r.opcode() == 0x21 && r.itt() == itt) {
                            answered++; // GOOD, TASK ABORTED, or the reset's unit attention
                            break t;
                        } else if (r.opcode() != 0x31) {
                            fail("unexpected PDU 0x" + Integer.toHexString(r.opcode()) + " for ITT " + r.itt());
                        } // an R2T of an aborted write, sent as the abort happened: ignored
                    }
                }
            }
            stop.set(true);
            int n = resets.get(10, TimeUnit.SECONDS);
            assertTrue(answered > 5 && n > 5, answered + " writes, " + n + " resets");
            a.command(0x7FFF, new byte[16], 0, false, false, null, true);
            TestInitiator.Rx r = a.next();
            assertEquals(0x21, r.opcode(), "session A still works");
        } finally {
            stop.set(true);
            root.detachAppender(logged);
        }
        for (ch.qos.logback.classic.spi.ILoggingEvent e : logged.list) {
            assertFalse(e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR) || e.getThrowableProxy() != null,
                    "logged: " + e.getFormattedMessage());
        }
    }
}
