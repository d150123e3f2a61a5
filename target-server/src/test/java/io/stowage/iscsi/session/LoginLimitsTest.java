package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a login may cost a node (issue 12, review findings 2 and 8h): login text, login time, connections per
 * source and overall, sessions per target, failed authentications per source. Each test uses its own loopback
 * source address (all of 127/8 is loopback on Linux), so the per-address limits of one do not touch another.
 */
class LoginLimitsTest {
    static final String OPEN = "iqn.2026-11.io.stowage:open";
    static final String GUARDED = "iqn.2026-11.io.stowage:guarded";
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.ofEntries(
                Map.entry("target.open.lun.0", "a"), Map.entry("volume.a.size", "8M"),
                Map.entry("target.guarded.lun.0", "b"), Map.entry("volume.b.size", "8M"),
                Map.entry("target.guarded.chap.user", "alice"),
                Map.entry("target.guarded.chap.secret", "a-secret-of-some-length"),
                Map.entry("iscsi.login-timeout", "1"),
                Map.entry("iscsi.max-connections-per-address", "4"),
                Map.entry("iscsi.max-sessions-per-target", "2"),
                Map.entry("iscsi.auth-failures-per-minute", "3")));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static InetAddress source(int last) throws Exception {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    static ByteBuffer loginHeader(boolean cont, int length) {
        ByteBuffer h = TestInitiator.bhs(0x43, (cont ? 0x40 : 0x80) | (1 << 2) | (cont ? 0 : 3), length);
        h.putLong(8, 0x400000000001L << 16);
        h.putInt(16, 0x1000);
        return h;
    }

    @Test
    void endlessContinuedLoginTextIsRefusedWithInitiatorError() throws Exception {
        try (TestInitiator t = new TestInitiator(portal, source(10))) {
            byte[] chunk = new byte[8192];
            Arrays.fill(chunk, (byte) 'k'); // one key that never ends
            TestInitiator.Rx r = null;
            for (int i = 0; i < 1000; i++) {
                t.send(loginHeader(true, chunk.length), chunk);
                r = t.next();
                assertEquals(0x23, r.opcode());
                if (r.bhs()[36] != 0) break;
            }
            assertEquals(0x02, r.bhs()[36], "initiator error class");
            assertEquals(0x00, r.bhs()[37], "0200h: initiator error (RFC 7143 §11.13.5)");
            assertTrue(t.closedByTarget());
        }
    }

    @Test
    void aTrickledLoginEndsAtTheDeadline() throws Exception {
        try (TestInitiator t = new TestInitiator(portal, source(11))) {
            byte[] text = "InitiatorName=iqn.2026-11.io.stowage:slow\0TargetName=".getBytes();
            t.send(loginHeader(false, 4096), null); // promises 4 KiB of text, then sends it a byte at a time
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 40 && !closed; i++) { // 40 x 100 ms: well inside the 15 s idle timer
                try {
                    t.raw(new byte[] {text[i % text.length]});
                    closed = !t.silentFor(100);
                } catch (java.io.IOException e) {
                    closed = true;
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "the login outlived its deadline");
            assertTrue(millis < 2500, "closed after " + millis + " ms with a 1 s login timeout");
        }
    }

    @Test
    void connectionsPerSourceAddressAreLimited() throws Exception {
        List<TestInitiator> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                TestInitiator t = new TestInitiator(portal, source(12));
                t.isid = 0x400000002000L + i;
                assertEquals(0, t.login(null, Map.of()).bhs()[36], "discovery session " + i);
                held.add(t);
            }
            try (TestInitiator fifth = new TestInitiator(portal, source(12))) {
                assertTrue(fifth.closedByTarget(), "a fifth connection from one address is closed at accept");
            }
            try (TestInitiator other = new TestInitiator(portal, source(13))) {
                assertEquals(0, other.login(null, Map.of()).bhs()[36], "another address is not affected");
            }
        } finally {
            for (TestInitiator t : held) t.close();
        }
    }

    @Test
    void sessionsPerTargetAreLimitedButReinstatementFits() throws Exception {
        try (TestInitiator a = new TestInitiator(portal, source(14));
             TestInitiator b = new TestInitiator(portal, source(15))) {
            a.isid = 0x400000003001L;
            b.isid = 0x400000003002L;
            a.initiatorName = b.initiatorName = "iqn.2026-11.io.stowage:sessions";
            assertEquals(0, a.login(OPEN, Map.of()).bhs()[36]);
            assertEquals(0, b.login(OPEN, Map.of()).bhs()[36]);
            try (TestInitiator c = new TestInitiator(portal, source(16))) {
                c.isid = 0x400000003003L;
                TestInitiator.Rx r = c.login(OPEN, Map.of());
                assertEquals(0x03, r.bhs()[36], "target error class");
                assertEquals(0x02, r.bhs()[37], "0302h: out of resources");
                assertTrue(c.closedByTarget());
            }
            try (TestInitiator again = new TestInitiator(portal, source(16))) {
                again.isid = a.isid;
                again.initiatorName = a.initiatorName;
                assertEquals(0, again.login(OPEN, Map.of()).bhs()[36], "a reinstatement replaces a session");
            }
        }
    }

    @Test
    void failedAuthenticationsAreRateLimitedPerSourceAddress() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (TestInitiator t = new TestInitiator(portal, source(17))) {
                TestInitiator.Rx r = t.login(GUARDED, Map.of("AuthMethod", "None"), 0);
                assertEquals(0x0201, ((r.bhs()[36] & 0xFF) << 8) | (r.bhs()[37] & 0xFF), "authentication failure");
            }
        }
        try (TestInitiator t = new TestInitiator(portal, source(17))) {
            TestInitiator.Rx r = t.login(OPEN, Map.of(), 0);
            assertEquals(0x0201, ((r.bhs()[36] & 0xFF) << 8) | (r.bhs()[37] & 0xFF),
                    "after 3 failures in a minute the address's logins are refused");
        }
        try (TestInitiator t = new TestInitiator(portal, source(18))) {
            t.isid = 0x400000004001L;
            assertEquals(0, t.login(null, Map.of()).bhs()[36], "another address logs in");
        }
    }
}
