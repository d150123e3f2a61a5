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
 * A peer that vanished with Data-In queued and its TCP window full (review finding 7): after the keepalive
 * timeout, or when a reinstatement replaces its session, the connection is closed at once, not after the queue
 * drains (which it never does), so its tasks, buffers and reservations go with it.
 */
class DeadPeerTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    static final int READS = 32;
    static final int READ_BYTES = 1 << 20;
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.of("volume.demo.size", "64M", "iscsi.nop-in-interval", "1"));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    /** A session that asks for 32 MiB of reads and then reads nothing more, through a 4 KiB receive buffer. */
    static TestInitiator stalledReader(long isid) throws Exception {
        TestInitiator t = new TestInitiator(portal, null, 4096);
        t.isid = isid;
        assertEquals(0, t.login(IQN, Map.of("MaxBurstLength", "16776192")).bhs()[36]);
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        for (int i = 0; i < READS; i++) {
            ByteBuffer h = TestInitiator.bhs(0x01, 0xC1, 0);
            h.putInt(16, i);
            h.putInt(20, READ_BYTES);
            h.putInt(24, t.cmdSn++);
            h.put(32, ServerProtocolTest.read10(i * 2048L, 2048), 0, 10);
            t.send(h, null);
        }
        return t;
    }

    static boolean alive(long isid) {
        return daemon.sessions().sessionsOf(daemon.targets().find(IQN)).stream().anyMatch(s -> s.isid() == isid);
    }

    @Test
    void aKeepaliveTimeoutClosesAtOnceThoughDataInIsQueued() throws Exception {
        try (TestInitiator t = stalledReader(0x400000007001L)) {
            long start = System.nanoTime();
            while (alive(t.isid) && System.nanoTime() - start < 6_000_000_000L) {
                Thread.sleep(50);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertFalse(alive(t.isid), "the session still lives after " + millis + " ms");
            assertTrue(millis < 4000, "ended after " + millis + " ms with a 1 s NOP-In interval");
        }
    }

    @Test
    void aReinstatementClosesTheOldConnectionAtOnce() throws Exception {
        try (TestInitiator old = stalledReader(0x400000007002L)) {
            Thread.sleep(300); // its Data-In is queued behind a full window
            try (TestInitiator fresh = new TestInitiator(portal)) {
                fresh.isid = old.isid;
                fresh.answerPings = true;
                assertEquals(0, fresh.login(IQN, Map.of()).bhs()[36]);
                long read = old.bytesUntilClosed();
                assertTrue(read >= 0, "the old connection stayed open");
                assertTrue(read < READS * (long) READ_BYTES / 2,
                        read + " bytes were still delivered: the queue was drained before closing");
            }
        }
    }
}
