package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.node.StowageConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config reload (SIGHUP) on a live node: a grown volume and an added LUN are served at once, and a session that
 * was logged in all along is told through unit attentions (CAPACITY DATA HAS CHANGED, REPORTED LUNS DATA HAS
 * CHANGED) so that it rescans; a new target is served at once; what cannot change while serving is reported, not
 * applied.
 */
class ConfigReloadTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir Path dir;

    private StowageConfig config(Map<String, String> keys) throws Exception {
        StowageConfig c = StowageConfig.from(keys);
        c.overrideDataDir(dir);
        c.overrideAdmin("127.0.0.1:0"); // a free port: the default 7260 may be taken, which refuses the start
        c.overridePort(0);
        return c;
    }


    private static long lastLba(TestInitiator t, long lun, int itt) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x10;
        cdb[13] = 32;
        ByteBuffer h = TestInitiator.bhs(0x01, 0x80 | 0x40, 0);
        h.putLong(8, lun << 48);
        h.putInt(16, itt);
        h.putInt(20, 32);
        h.putInt(24, t.cmdSn++);
        h.put(32, cdb);
        t.send(h, null);
        byte[] data = ServerProtocolTest.readAll(t, itt, 32);
        return ByteBuffer.wrap(data).getLong(0);
    }

    @Test
    void growAndAddLunWhileServingAndTellTheLoggedInSession() throws Exception {
        Map<String, String> keys = new HashMap<>(Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M"));
        Daemon daemon = new Daemon(config(keys));
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            assertEquals(0x2900, t.testUnitReady(0, 1), "POWER ON first");
            assertEquals(0, t.testUnitReady(0, 2));
            assertEquals((64L << 20) / 512 - 1, lastLba(t, 0, 3));

            keys.put("volume.demo.size", "128M");
            keys.put("target.demo.lun.1", "extra");
            keys.put("volume.extra.size", "16M");
            keys.put("target.other.lun.0", "extra");
            List<String> report = daemon.reload(config(keys));
            assertTrue(report.contains("volume demo resized to 134217728 bytes"), report.toString());
            assertTrue(report.contains("target " + IQN + " LUN 1 added (volume extra)"), report.toString());
            assertTrue(report.contains("target iqn.2026-11.io.stowage:other created"), report.toString());
            assertTrue(report.contains("target iqn.2026-11.io.stowage:other LUN 0 added (volume extra)"),
                    report.toString());
            assertNotNull(daemon.targets().find("iqn.2026-11.io.stowage:other"), "a new target is served at once");

            int first = t.testUnitReady(0, 4);
            int second = t.testUnitReady(0, 5);
            assertEquals(Set.of(0x2A09, 0x3F0E), Set.of(first, second),
                    "CAPACITY DATA HAS CHANGED and REPORTED LUNS DATA HAS CHANGED, once each");
            assertEquals(0, t.testUnitReady(0, 6));
            assertEquals((128L << 20) / 512 - 1, lastLba(t, 0, 7), "READ CAPACITY sees the new size");
            assertEquals(0x2900, t.testUnitReady(1, 8), "the new LU starts with POWER ON for this nexus");
            assertEquals((16L << 20) / 512 - 1, lastLba(t, 1, 9));

            keys.put("volume.demo.size", "32M");
            report = daemon.reload(config(keys));
            assertTrue(report.stream().anyMatch(l -> l.startsWith("volume demo not resized: ")
                    && l.contains("cannot shrink")), report.toString());
            assertEquals(0, t.testUnitReady(0, 10), "no unit attention for a refused change");
            assertEquals((128L << 20) / 512 - 1, lastLba(t, 0, 11));
        } finally {
            daemon.close();
        }
        // the new size was committed: it survives a restart
        keys.put("volume.demo.size", "128M");
        keys.remove("target.other.lun.0");
        Daemon again = new Daemon(config(keys));
        try {
            assertEquals(128L << 20, again.targets().all().iterator().next().scsi().luns().get(0).device().sizeBytes());
        } finally {
            again.close();
        }
    }
}
