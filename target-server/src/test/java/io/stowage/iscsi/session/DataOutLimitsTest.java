package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.iscsi.pdu.Bhs;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-Out memory (review finding 3): the EDTL is capped at what VPD B0h advertises (4 MiB), a write's buffer is
 * taken only once its command is admitted, all connections share one budget (TASK SET FULL when it is spent), and
 * a write whose R2T is never answered ends after iscsi.data-out-timeout.
 */
class DataOutLimitsTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    static final int MIB = 1 << 20;
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.of("volume.demo.size", "64M",
                "iscsi.data-out-budget", "16M", "iscsi.data-out-timeout", "1", "iscsi.nop-in-interval", "1"));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static TestInitiator session(long isid, Map<String, String> keys) throws Exception {
        TestInitiator t = new TestInitiator(portal);
        t.isid = isid;
        t.answerPings = true; // the daemon pings after 1 s of silence
        assertEquals(0, t.login(IQN, keys).bhs()[36]);
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    static long directBytes() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) return b.getMemoryUsed();
        }
        throw new AssertionError("no direct buffer pool");
    }

    /** WRITE(10) of {@code blocks} with {@code edtl}, no data, F=1. */
    static void write(TestInitiator t, int itt, int blocks, int edtl) throws Exception {
        ByteBuffer h = TestInitiator.bhs(0x01, 0xA1, 0);
        h.putInt(16, itt);
        h.putInt(20, edtl);
        h.putInt(24, t.cmdSn++);
        h.putInt(28, t.expStatSn);
        h.put(32, ServerProtocolTest.write10(0, blocks), 0, 10);
        t.send(h, null);
    }

    @Test
    void anEdtlAboveFourMibIsRefusedWithoutTakingMemory() throws Exception {
        try (TestInitiator t = session(0x400000006001L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            long before = directBytes();
            for (int i = 0; i < 20; i++) {
                write(t, i, 16384, 8 * MIB); // 8 MiB each: twice what B0h's MAXIMUM TRANSFER LENGTH allows
            }
            // the review's storm: 300 x EDTL 16 MiB without data, then the same as immediate commands
            for (int i = 0; i < 300; i++) {
                write(t, 100 + i, 0xFFFF, 16 * MIB);
            }
            for (int i = 0; i < 300; i++) {
                ByteBuffer h = TestInitiator.bhs(0x41, 0xA1, 0);
                h.putInt(16, 1000 + i);
                h.putInt(20, 16 * MIB);
                h.putInt(24, t.cmdSn);
                h.put(32, ServerProtocolTest.write10(0, 0xFFFF), 0, 10);
                t.send(h, null);
            }
            for (int i = 0; i < 620; i++) {
                TestInitiator.Rx r = t.next();
                assertEquals(0x21, r.opcode(), "answered at once, no R2T");
                assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
                assertEquals(0x05, r.data()[2 + 2] & 0x0F, "ILLEGAL REQUEST");
                assertEquals(0x0E, r.data()[2 + 12] & 0xFF, "INVALID FIELD IN COMMAND INFORMATION UNIT");
                assertEquals(0x03, r.data()[2 + 13] & 0xFF);
            }
            assertTrue(directBytes() - before < 4 * MIB, "direct memory grew by " + (directBytes() - before));
        }
    }

    @Test
    void anOversizedWriteIsAnsweredAfterItsUnsolicitedData() throws Exception {
        try (TestInitiator t = session(0x400000006002L, Map.of("InitialR2T", "No", "ImmediateData", "Yes",
                "FirstBurstLength", "16384"))) {
            ByteBuffer h = TestInitiator.bhs(0x01, 0x21, 4096); // F=0: unsolicited Data-Out follows
            h.putInt(16, 7);
            h.putInt(20, 8 * MIB);
            h.putInt(24, t.cmdSn++);
            h.put(32, ServerProtocolTest.write10(0, 16384), 0, 10);
            t.send(h, new byte[4096]);
            assertTrue(t.silentFor(300), "no answer before the unsolicited data is in (RFC 7143 §11.17.1)");
            t.dataOut(7, Bhs.RESERVED_TAG, 0, 4096, new byte[8192], false);
            t.dataOut(7, Bhs.RESERVED_TAG, 1, 12288, new byte[4096], true);
            TestInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode(), "the data is discarded silently, then the command is answered");
            assertEquals(7, r.itt());
            assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
        }
    }

    /** Sends {@code n} 1 MiB writes and collects their first answers: ITT -> TTT of each R2T, and TASK SET FULLs. */
    static int writesOfOneMib(TestInitiator t, int n, Map<Integer, Integer> r2ts) throws Exception {
        for (int i = 0; i < n; i++) {
            write(t, i, 2048, MIB);
        }
        int full = 0;
        while (r2ts.size() + full < n) {
            TestInitiator.Rx r = t.next();
            if (r.opcode() == 0x31) {
                r2ts.put(r.itt(), r.b().getInt(20));
            } else {
                assertEquals(0x21, r.opcode());
                assertEquals(0x28, r.bhs()[3] & 0xFF, "TASK SET FULL");
                full++;
            }
        }
        return full;
    }

    @Test
    void theNodeWideBudgetIsSharedAndOneSessionHoldsAtMostAQuarter() throws Exception {
        List<TestInitiator> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                sessions.add(session(0x400000006100L + i, Map.of("InitialR2T", "Yes", "ImmediateData", "No",
                        "MaxBurstLength", "16776192"))); // one R2T per write
            }
            long before = directBytes();
            List<Map<Integer, Integer>> r2ts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                r2ts.add(new HashMap<>());
                assertEquals(6, writesOfOneMib(sessions.get(i), 10, r2ts.get(i)), "session " + i);
                assertEquals(4, r2ts.get(i).size(), "a quarter of 16 MiB: four 1 MiB writes per session");
            }
            Map<Integer, Integer> none = new HashMap<>();
            assertEquals(10, writesOfOneMib(sessions.get(4), 10, none), "the node's 16 MiB are spent");
            // the 16 MiB budget, plus the read buffer each MINA I/O thread reuses (at most 1 MiB each) and slack
            long bound = 16 * MIB + Math.max(2, Runtime.getRuntime().availableProcessors()) * MIB + MIB;
            assertTrue(directBytes() - before <= bound, "direct memory grew by " + (directBytes() - before));
            TestInitiator first = sessions.get(0);
            for (Map.Entry<Integer, Integer> e : r2ts.get(0).entrySet()) {
                for (int off = 0; off < MIB; off += 256 * 1024) {
                    first.dataOut(e.getKey(), e.getValue(), off / (256 * 1024), off, new byte[256 * 1024],
                            off + 256 * 1024 == MIB);
                }
            }
            for (int i = 0; i < 4; i++) {
                TestInitiator.Rx r = first.next();
                assertEquals(0x21, r.opcode());
                assertEquals(0, r.bhs()[3], "GOOD once the data is in");
            }
            TestInitiator last = sessions.get(4);
            write(last, 99, 8, 4096);
            assertEquals(0x31, last.next().opcode(), "budget returned by finished writes is there for others");
        } finally {
            for (TestInitiator t : sessions) t.close();
        }
    }

    @Test
    // without a Data-Out timeout the answered pings would keep it waiting forever
    @org.junit.jupiter.api.Timeout(value = 15, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void anUnansweredR2tEndsAfterTheDataOutTimeout() throws Exception {
        try (TestInitiator t = session(0x400000006004L, Map.of("InitialR2T", "Yes", "ImmediateData", "No"))) {
            write(t, 5, 8, 4096);
            TestInitiator.Rx r2t = t.next();
            assertEquals(0x31, r2t.opcode());
            long start = System.nanoTime();
            TestInitiator.Rx r = t.next(); // keepalive pings are answered meanwhile, the R2T never
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0x21, r.opcode());
            assertEquals(5, r.itt());
            assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
            assertEquals(0x0B, r.data()[2 + 2] & 0x0F, "ABORTED COMMAND");
            assertEquals(0x4B, r.data()[2 + 12] & 0xFF);
            assertEquals(0x06, r.data()[2 + 13] & 0xFF, "INITIATOR RESPONSE TIMEOUT");
            assertTrue(millis < 3000, "ended after " + millis + " ms with a 1 s timeout");
            t.dataOut(5, r2t.b().getInt(20), 0, 0, new byte[4096], true); // too late: discarded
            t.command(6, new byte[16], 0, false, false, null, true);
            assertEquals(6, t.next().itt(), "the connection carries on");
        }
    }
}
