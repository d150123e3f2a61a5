package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.node.admin.AdminException;
import io.stowage.node.admin.Operations;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations the admin API and CLI use, on a live node with a session logged in: volumes and LUNs come and go
 * without a restart, the session is told (REPORTED LUNS DATA HAS CHANGED, CAPACITY DATA HAS CHANGED), the
 * refusals name the field, and a restart serves what the operations made (the catalogue wins over the config).
 */
class LiveOperationsTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir Path dir;


    private static Daemon start(Path dir) throws Exception {
        return LoopbackDaemon.start(dir, Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M"));
    }

    @Test
    void lunsComeAndGoAroundALoggedInSession() throws Exception {
        Daemon daemon = start(dir);
        Operations ops = daemon.operations();
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            assertEquals(0x2900, t.testUnitReady(0, 1), "POWER ON first");
            assertEquals(0, t.testUnitReady(0, 2));

            ops.createVolume("extra", 16L << 20);
            assertEquals(1, ops.addExport("demo", "extra", null).lun(), "the lowest free LUN");
            assertEquals(0x3F0E, t.testUnitReady(0, 3), "REPORTED LUNS DATA HAS CHANGED on the LUN that stayed");
            assertEquals(0x2900, t.testUnitReady(1, 4), "the new LU starts with POWER ON");
            assertEquals(0, t.testUnitReady(1, 5));

            AdminException inUse = assertThrows(AdminException.class, () -> ops.deleteVolume("extra"));
            assertEquals(AdminException.Kind.IN_USE, inUse.kind());
            assertTrue(inUse.getMessage().contains("stowage export remove demo 1"), inUse.getMessage());

            ops.removeExport("demo", 1);
            assertEquals(-(0x05 << 16 | 0x2500), t.testUnitReady(1, 6), "LOGICAL UNIT NOT SUPPORTED once removed");
            assertEquals(0x3F0E, t.testUnitReady(0, 7), "REPORTED LUNS DATA HAS CHANGED on removal");
            assertEquals(0, t.testUnitReady(0, 8));

            ops.resizeVolume("demo", 128L << 20);
            assertEquals(0x2A09, t.testUnitReady(0, 9), "CAPACITY DATA HAS CHANGED");
            AdminException shrink = assertThrows(AdminException.class, () -> ops.resizeVolume("demo", 64L << 20));
            assertEquals("size", shrink.field());

            ops.deleteVolume("extra");
            assertTrue(ops.volumes().stream().noneMatch(v -> v.name().equals("extra")));
            assertEquals(0, t.testUnitReady(0, 10), "the session never noticed the delete");
        } finally {
            daemon.close();
        }
    }

    @Test
    void aNodeServesOnlyTheTargetsOfItsName() throws Exception {
        Daemon a = LoopbackDaemon.start(dir, Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M",
                "node.name", "gw-a"));
        try {
            a.operations().createTarget("second", null);
            assertEquals("gw-a", a.operations().target("second").node());
        } finally {
            a.close();
        }
        // another node on the same backend: it lists gw-a's targets but serves none of them
        Daemon b = LoopbackDaemon.start(dir, Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M",
                "node.name", "gw-b"));
        try {
            assertNull(b.targets().find(IQN));
            assertNull(b.targets().find("iqn.2026-11.io.stowage:second"));
            assertEquals(2, b.operations().targets().size());
            b.operations().createTarget("third", null);
            assertNotNull(b.targets().find("iqn.2026-11.io.stowage:third"), "its own target is served");
            // an export added from gw-b to gw-a's target is catalogued for gw-a, not served here
            b.operations().createVolume("v", 1L << 20);
            assertEquals(1, b.operations().addExport("demo", "v", null).lun());
            assertTrue(b.operations().openVolumes().isEmpty(), "gw-b opened no volume of gw-a's");
        } finally {
            b.close();
        }
    }

    @Test
    void anAclChangedLiveClosesTheSessionsItNoLongerAdmits() throws Exception {
        Daemon daemon = start(dir);
        Operations ops = daemon.operations();
        String me = "iqn.2026-11.io.stowage:test-initiator";
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            assertEquals("everyone", ops.acl("demo").source());
            ops.allowInitiator("demo", me);
            assertEquals(java.util.List.of(me), ops.acl("demo").initiators());
            assertEquals(0x2900, t.testUnitReady(0, 1), "still logged in: it is admitted");
            ops.allowInitiator("demo", "iqn.2026-11.io.stowage:other");
            AdminException last = assertThrows(AdminException.class, () -> {
                ops.disallowInitiator("demo", "iqn.2026-11.io.stowage:other");
                ops.disallowInitiator("demo", me);
            });
            assertEquals(AdminException.Kind.INVALID, last.kind(), "removing the last would admit everyone");
            ops.allowInitiator("demo", "iqn.2026-11.io.stowage:other");
            ops.disallowInitiator("demo", me);
            assertTrue(t.closedByTarget(), "the session of an initiator taken off the ACL is closed");
        }
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            TestInitiator.Rx r = t.login(IQN, Map.of());
            assertEquals(0x02, r.bhs()[36] & 0xFF, "login refused (initiator error)");
            assertEquals(0x02, r.bhs()[37] & 0xFF, "authorization failure");
        }
        ops.clearAcl("demo");
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36], "every initiator again");
        } finally {
            daemon.close();
        }
        Daemon again = start(dir);
        try {
            assertEquals("everyone", again.operations().acl("demo").source(), "kept in the catalogue");
        } finally {
            again.close();
        }
    }

    @Test
    void refusalsNameTheField() throws Exception {
        Daemon daemon = start(dir);
        Operations ops = daemon.operations();
        try {
            assertEquals("name", assertThrows(AdminException.class, () -> ops.createVolume("demo", 4096)).field());
            assertEquals(AdminException.Kind.DUPLICATE,
                    assertThrows(AdminException.class, () -> ops.createVolume("demo", 4096)).kind());
            assertEquals("name", assertThrows(AdminException.class, () -> ops.createVolume("-bad", 4096)).field());
            assertEquals(AdminException.Kind.NOT_FOUND,
                    assertThrows(AdminException.class, () -> ops.volume("nope")).kind());
            assertEquals("volume", assertThrows(AdminException.class, () -> ops.addExport("demo", "nope", 3)).field());
            assertEquals("target", assertThrows(AdminException.class, () -> ops.addExport("nope", "demo", 3)).field());
            assertEquals("lun", assertThrows(AdminException.class, () -> ops.addExport("demo", "demo", 99999)).field());
            ops.createVolume("v2", 1L << 20);
            assertEquals("lun", assertThrows(AdminException.class, () -> ops.addExport("demo", "v2", 0)).field(),
                    "LUN 0 is taken");
            assertEquals("volume", assertThrows(AdminException.class, () -> ops.addExport("demo", "demo", 5)).field(),
                    "a volume is one LUN of a target only");
            assertEquals(AdminException.Kind.IN_USE,
                    assertThrows(AdminException.class, () -> ops.deleteTarget("demo")).kind());
            assertEquals("iqn", assertThrows(AdminException.class, () -> ops.createTarget("x", IQN)).field());
            assertEquals("iqn", assertThrows(AdminException.class, () -> ops.createTarget("y", "not-an-iqn")).field());
        } finally {
            daemon.close();
        }
    }

    @Test
    void aRestartServesWhatTheOperationsMadeNotWhatTheConfigSeeded() throws Exception {
        Daemon daemon = start(dir);
        try {
            Operations ops = daemon.operations();
            ops.createTarget("second", null);
            ops.createVolume("data", 8L << 20);
            ops.addExport("iqn.2026-11.io.stowage:second", "data", 4);
            ops.removeExport("demo", 0);
            ops.deleteVolume("demo");
        } finally {
            daemon.close();
        }
        Daemon again = start(dir); // the same config still names demo: it seeded the catalogue once, that is all
        try {
            assertNull(again.targets().find(IQN).scsi().luns().get(0), "demo's LUN stays removed");
            assertTrue(again.operations().volumes().stream().noneMatch(v -> v.name().equals("demo")));
            ExportedTarget second = again.targets().find("iqn.2026-11.io.stowage:second");
            assertNotNull(second);
            assertEquals(8L << 20, second.scsi().luns().get(4).device().sizeBytes());
            again.operations().deleteTarget("demo");
            assertNull(again.targets().find(IQN));
        } finally {
            again.close();
        }
    }
}
