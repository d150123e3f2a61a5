package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CmdSN window bounds what one session holds at the target (review finding 3): non-immediate commands beyond
 * the MaxCmdSN last announced are ignored even when their CmdSN is ExpCmdSN (RFC 7143 §4.2.2.1), and immediate
 * commands, which skip the window, are bounded separately (Reject, reason 06h).
 */
class CommandWindowTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    static final Map<String, String> R2T_ONLY = Map.of("InitialR2T", "Yes", "ImmediateData", "No");
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.of("volume.demo.size", "64M"));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static TestInitiator session(long isid) throws Exception {
        TestInitiator t = new TestInitiator(portal);
        t.isid = isid;
        assertEquals(0, t.login(IQN, R2T_ONLY).bhs()[36]);
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    /** A WRITE(10) of 8 blocks without data, immediate (CmdSN not advanced) or not. */
    static void write(TestInitiator t, int itt, boolean immediate) throws Exception {
        ByteBuffer h = TestInitiator.bhs(0x01 | (immediate ? 0x40 : 0), 0xA1, 0);
        h.putInt(16, itt);
        h.putInt(20, 4096);
        h.putInt(24, immediate ? t.cmdSn : t.cmdSn++);
        h.putInt(28, t.expStatSn);
        h.put(32, ServerProtocolTest.write10(itt % 1000 * 8L, 8), 0, 10);
        t.send(h, null);
    }

    @Test
    void aFullWindowIgnoresEvenCmdSnEqualToExpCmdSn() throws Exception {
        try (TestInitiator t = session(0x400000005001L)) {
            int first = t.cmdSn;
            for (int i = 0; i < 300; i++) {
                write(t, i, false);
            }
            Map<Integer, Integer> solicited = new java.util.HashMap<>(); // ITT -> TTT of its R2T
            TestInitiator.Rx last = null;
            for (TestInitiator.Rx r; (r = t.nextWithin(500)) != null; ) {
                assertEquals(0x31, r.opcode(), "only R2Ts: nothing is answered without its data");
                assertNull(solicited.put(r.itt(), r.b().getInt(20)));
                last = r;
            }
            assertEquals(128, solicited.size(), "129+ are outside [ExpCmdSN, MaxCmdSN] and ignored");
            for (int i = 0; i < 128; i++) assertTrue(solicited.containsKey(i));
            assertEquals(first + 128, last.expCmdSn());
            assertEquals(first + 127, last.maxCmdSn(), "the window is full");
            // one answered write reopens one slot; the initiator then resends the first ignored CmdSN
            t.dataOut(0, solicited.get(0), 0, 0, new byte[4096], true);
            TestInitiator.Rx status = t.next();
            assertEquals(0x21, status.opcode());
            assertEquals(0, status.bhs()[3], "GOOD");
            assertEquals(first + 128, status.maxCmdSn());
            t.cmdSn = first + 128;
            write(t, 500, false);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            assertEquals(500, r2t.itt());
        }
    }

    @Test
    void immediateCommandsAreBounded() throws Exception {
        try (TestInitiator t = session(0x400000005002L)) {
            for (int i = 0; i < 300; i++) {
                write(t, 1000 + i, true);
            }
            int r2ts = 0;
            int rejects = 0;
            for (TestInitiator.Rx r; (r = t.nextWithin(500)) != null; ) {
                if (r.opcode() == 0x31) {
                    r2ts++;
                } else {
                    assertEquals(0x3F, r.opcode(), "Reject");
                    assertEquals(0x06, r.bhs()[2], "immediate command reject (RFC 7143 §11.17.1)");
                    rejects++;
                }
            }
            assertEquals(Connection.IMMEDIATE_COMMANDS, r2ts);
            assertEquals(300 - Connection.IMMEDIATE_COMMANDS, rejects);
            write(t, 9, false);
            assertEquals(0x31, t.next().opcode(), "non-immediate commands still have their window");
        }
    }

    /** A TEST UNIT READY with an explicit CmdSN (not advancing the initiator's counter). */
    static void tur(TestInitiator t, int itt, int cmdSn) throws Exception {
        ByteBuffer h = TestInitiator.bhs(0x01, 0x80, 0);
        h.putInt(16, itt);
        h.putInt(24, cmdSn);
        h.putInt(28, t.expStatSn);
        t.send(h, null);
    }

    /**
     * RFC 7143 §4.2.2.1: a non-immediate duplicate within the window is silently ignored. Found by PduFuzzIT: a
     * second command with the CmdSN of one still waiting replaced it, and the first stayed in the task table (its
     * ITT answered "task in progress" for the rest of the connection, its buffer held).
     */
    @Test
    void aDuplicateOfAWaitingCmdSnIsIgnoredAndHoldsNothing() throws Exception {
        try (TestInitiator t = session(0x400000005003L)) {
            int exp = t.cmdSn;
            tur(t, 0x71, exp + 1); // waits for exp
            tur(t, 0x72, exp + 1); // a duplicate of a waiting CmdSN
            tur(t, 0x73, exp);     // fills the gap: 0x73 then 0x71 run
            java.util.Set<Integer> answered = new java.util.HashSet<>();
            for (TestInitiator.Rx r; (r = t.nextWithin(1000)) != null; ) {
                assertEquals(0x21, r.opcode());
                assertTrue(answered.add(r.itt()));
            }
            assertEquals(java.util.Set.of(0x71, 0x73), answered, "the first of the two, never the duplicate");
            t.cmdSn = exp + 2;
            tur(t, 0x72, t.cmdSn++); // the duplicate's ITT is free: nothing of it was kept
            TestInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode(), "SCSI Response, not a Reject (task in progress)");
            assertEquals(0x72, r.itt());
        }
    }
}
