package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Corrupted CRC32C digests on every PDU type that carries them, with HeaderDigest and DataDigest negotiated
 * (RFC 7143 §7.8, RFC 3720 §6.7): a header digest error cannot be trusted to delimit anything, so the connection
 * ends and the PDU has no effect; a data digest error is answered with Reject (reason 02h), the PDU is discarded
 * and the connection goes on — for a command with immediate data the header is good, so the command counts as
 * received (its CmdSN is used) and ends in CHECK CONDITION, ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR.
 */
class DigestErrorTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    static final int REJECT = 0x3F;
    static final int DATA_DIGEST_ERROR = 0x02;
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;
    private static long nextIsid = 0x400000000100L;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.of("target.demo.lun.0", "demo", "volume.demo.size", "16M"));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    /** A session with CRC32C header and data digests, past the POWER ON unit attention. */
    static TestInitiator digestSession(Map<String, String> extra) throws Exception {
        TestInitiator t = new TestInitiator(portal);
        t.isid = nextIsid++;
        Map<String, String> keys = new LinkedHashMap<>(Map.of("HeaderDigest", "CRC32C", "DataDigest", "CRC32C"));
        keys.putAll(extra);
        TestInitiator.Rx r = t.login(IQN, keys);
        assertEquals(0, r.bhs()[36], "login status class");
        assertEquals("CRC32C", t.loginAnswers.get("HeaderDigest"));
        assertEquals("CRC32C", t.loginAnswers.get("DataDigest"));
        t.useDigests();
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    /** LBA {@code lba} as a fresh session reads it. */
    static byte[] readBack(long lba) throws Exception {
        try (TestInitiator t = digestSession(Map.of())) {
            t.command(0x51, ServerProtocolTest.read10(lba, 1), 512, true, false, null, true);
            return ServerProtocolTest.readAll(t, 0x51, 512);
        }
    }

    // ------------------------------------------------------------------ header digest errors

    @ParameterizedTest
    @ValueSource(strings = {"SCSI Command", "Data-Out", "NOP-Out", "Task Management", "Text", "Logout", "SNACK"})
    void headerDigestErrorClosesTheConnectionAndThePduHasNoEffect(String pdu) throws Exception {
        long lba = 100 + Math.abs(pdu.hashCode() % 1000);
        byte[] data = pattern(512, pdu.hashCode());
        try (TestInitiator t = digestSession(Map.of("InitialR2T", "Yes", "ImmediateData", "Yes"))) {
            int cmdSn = t.cmdSn;
            switch (pdu) {
                case "SCSI Command" -> {
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.command(1, ServerProtocolTest.write10(lba, 1), 512, false, true, data, true);
                }
                case "Data-Out" -> {
                    t.command(1, ServerProtocolTest.write10(lba, 1), 512, false, true, null, true);
                    TestInitiator.Rx r2t = t.next();
                    assertEquals(0x31, r2t.opcode(), "R2T");
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.dataOut(1, r2t.b().getInt(20), 0, 0, data, true);
                }
                case "NOP-Out" -> {
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.nopOut(2, "ping".getBytes(StandardCharsets.UTF_8));
                }
                case "Task Management" -> {
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.taskManagement(3, 5, 0, -1, cmdSn); // LOGICAL UNIT RESET
                }
                case "Text" -> {
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.text(4, "SendTargets=All\0");
                }
                case "Logout" -> {
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.logout(5);
                }
                default -> { // SNACK (unsupported at ErrorRecoveryLevel 0, but the digest comes first)
                    ByteBuffer h = TestInitiator.bhs(0x10, 0x80, 0);
                    h.putInt(16, 6).putInt(20, -1).putInt(28, t.expStatSn);
                    t.corruptNext = TestInitiator.Corrupt.HEADER_DIGEST;
                    t.send(h, null);
                }
            }
            assertTrue(closedWithoutAnAnswer(t), pdu + " with a bad header digest: the connection must close, and"
                    + " nothing but a Reject may answer it");
        }
        assertArrayEquals(new byte[512], readBack(lba), "a write whose header digest failed must not land");
    }

    /** True if the target closes the connection, answering at most with a Reject. */
    private static boolean closedWithoutAnAnswer(TestInitiator t) {
        try {
            while (true) {
                TestInitiator.Rx r = t.next();
                if (r.opcode() != REJECT) {
                    fail("answered with opcode 0x" + Integer.toHexString(r.opcode()));
                }
            }
        } catch (java.io.IOException e) {
            return e.getMessage() != null && e.getMessage().contains("closed");
        }
    }

    // ------------------------------------------------------------------ data digest errors

    @Test
    void dataDigestErrorOnAPingIsRejectedAndTheConnectionGoesOn() throws Exception {
        try (TestInitiator t = digestSession(Map.of())) {
            t.corruptNext = TestInitiator.Corrupt.DATA_DIGEST;
            t.nopOut(0x10, "ping".getBytes(StandardCharsets.UTF_8));
            assertRejectedForDataDigest(t.next(), 0x10);
            t.nopOut(0x11, "pong".getBytes(StandardCharsets.UTF_8));
            TestInitiator.Rx echo = t.next();
            assertEquals(0x20, echo.opcode(), "NOP-In");
            assertEquals(0x11, echo.itt(), "only the good ping is answered");
            assertEquals("pong", new String(echo.data(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void dataDigestErrorOnATextRequestIsRejectedAndItsRetryIsAnswered() throws Exception {
        try (TestInitiator t = digestSession(Map.of())) {
            int cmdSn = t.cmdSn;
            t.corruptNext = TestInitiator.Corrupt.DATA_DIGEST;
            t.text(0x20, "SendTargets=All\0");
            assertRejectedForDataDigest(t.next(), 0x20);
            // a discarded non-data PDU needs nothing more from the target (RFC 3720 §6.7); the initiator retries
            // it with the same ITT and CmdSN (§6.2.1)
            t.cmdSn = cmdSn;
            t.text(0x20, "SendTargets=All\0");
            TestInitiator.Rx r = t.next();
            assertEquals(0x24, r.opcode(), "Text Response to the retry");
            assertTrue(new String(r.data(), StandardCharsets.UTF_8).contains("TargetName=" + IQN));
        }
    }

    /**
     * The header of a command with immediate data is good: the command is received (its CmdSN used, no hole in
     * the window) and ends in CHECK CONDITION 0B/47/05 (RFC 7143 §7.8, §11.17.1); the data does not land.
     */
    @Test
    void dataDigestErrorOnImmediateDataEndsThatCommandAndTheNextCommandRuns() throws Exception {
        long lba = 2000;
        try (TestInitiator t = digestSession(Map.of("ImmediateData", "Yes"))) {
            t.corruptNext = TestInitiator.Corrupt.DATA_DIGEST;
            t.command(0x30, ServerProtocolTest.write10(lba, 1), 512, false, true, pattern(512, 7), true);
            t.command(0x31, new byte[16], 0, false, false, null, true); // TEST UNIT READY, the next CmdSN
            Map<Integer, TestInitiator.Rx> answers = collect(t, 3);
            assertTrue(answers.containsKey(REJECT), "Reject for the digest error: " + answers.keySet());
            assertRejectedForDataDigest(answers.get(REJECT), 0x30);
            TestInitiator.Rx tur = answers.get(0x31);
            assertNotNull(tur, "TEST UNIT READY with the next CmdSN must run (no CmdSN hole): " + answers.keySet());
            assertEquals(0, tur.bhs()[3], "GOOD");
            TestInitiator.Rx write = answers.get(0x30);
            assertNotNull(write, "the write ends with a SCSI Response: " + answers.keySet());
            assertCrcError(write);
        }
        assertArrayEquals(new byte[512], readBack(lba), "the write with the bad data digest must not land");
    }

    /**
     * Data-Out with a bad data digest: Reject 02h, the data is discarded; at ErrorRecoveryLevel 0 there is no
     * recovery R2T, so the task ends in CHECK CONDITION 0B/47/05 (RFC 3720 §6.7 option b) once its final Data-Out
     * (this one, F = 1: its header is good) has arrived, and the data does not land.
     */
    @Test
    void dataDigestErrorOnDataOutEndsTheTaskWithCheckCondition() throws Exception {
        long lba = 3000;
        try (TestInitiator t = digestSession(Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            t.command(0x40, ServerProtocolTest.write10(lba, 16), 8192, false, true, null, true);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode(), "R2T");
            t.corruptNext = TestInitiator.Corrupt.DATA_DIGEST;
            t.dataOut(0x40, r2t.b().getInt(20), 0, 0, pattern(8192, 9), true);
            t.command(0x41, new byte[16], 0, false, false, null, true);
            Map<Integer, TestInitiator.Rx> answers = collect(t, 3);
            assertTrue(answers.containsKey(REJECT), "Reject for the digest error: " + answers.keySet());
            assertRejectedForDataDigest(answers.get(REJECT), 0x40);
            assertNotNull(answers.get(0x41), "the session goes on: " + answers.keySet());
            TestInitiator.Rx write = answers.get(0x40);
            assertNotNull(write, "the write must end, not wait for data forever: " + answers.keySet());
            assertCrcError(write);
        }
        assertArrayEquals(new byte[512], readBack(lba), "the Data-Out with the bad data digest must not land");
    }

    /** Up to {@code n} answers keyed by ITT (Rejects under {@link #REJECT}), until the socket times out. */
    private static Map<Integer, TestInitiator.Rx> collect(TestInitiator t, int n) throws Exception {
        Map<Integer, TestInitiator.Rx> m = new LinkedHashMap<>();
        t.socket.setSoTimeout(2000);
        try {
            while (m.size() < n) {
                TestInitiator.Rx r = t.next();
                m.put(r.opcode() == REJECT ? REJECT : r.itt(), r);
            }
        } catch (java.net.SocketTimeoutException e) {
            // what came is what we have
        } finally {
            t.socket.setSoTimeout(5000);
        }
        return m;
    }

    private static void assertRejectedForDataDigest(TestInitiator.Rx r, int itt) {
        assertEquals(REJECT, r.opcode(), "Reject");
        assertEquals(DATA_DIGEST_ERROR, r.bhs()[2] & 0xFF, "reason: data (payload) digest error");
        assertEquals(itt, ByteBuffer.wrap(r.data()).getInt(16), "the Reject carries the rejected PDU's header");
        assertEquals(0xFFFFFFFF, r.itt(), "a Reject's ITT is reserved");
    }

    /** CHECK CONDITION, ABORTED COMMAND, PROTOCOL SERVICE CRC ERROR (47h/05h). */
    private static void assertCrcError(TestInitiator.Rx r) {
        assertEquals(0x21, r.opcode(), "SCSI Response");
        assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
        byte[] sense = Arrays.copyOfRange(r.data(), 2, r.data().length);
        assertEquals(0x0B, sense[2] & 0x0F, "ABORTED COMMAND");
        assertEquals(0x47, sense[12] & 0xFF, "ASC: SCSI parity / CRC error");
        assertEquals(0x05, sense[13] & 0xFF, "ASCQ: protocol service CRC error");
    }
}
