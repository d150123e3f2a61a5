package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.node.admin.Operations;
import io.stowage.scsi.LogicalUnit;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one directory backend, each polling the shared catalogue every second: what node A changes in node
 * B's target (LUNs added and removed, a grown volume, CHAP, the ACL, the target deleted, a volume deleted) is served
 * by B without a restart or a call on B, and B's logged-in session is told as if the change had been made on B.
 */
class CatalogueFollowTest {
    static final String TB = "iqn.2026-11.io.stowage:tb";
    @TempDir Path dir;

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("node B did not follow within 10 s: " + what);
            Thread.sleep(50);
        }
    }


    /** Node gw-X on the shared directory backend, serving target tX (LUN 0 = volume vX), polling every {@code poll} s. */
    private static Daemon node(Path dir, String x, int id, String poll) throws Exception {
        return LoopbackDaemon.start(dir, Map.of("node.name", "gw-" + x, "catalogue.poll-interval", poll,
                "node.id", Integer.toString(id), "target.t" + x + ".lun.0", "v" + x, "volume.v" + x + ".size", "16M"));
    }

    private static LogicalUnit lun(Daemon d, int lun) {
        ExportedTarget t = d.targets().find(TB);
        return t == null ? null : t.scsi().luns().get(lun);
    }

    @Test
    void nodeBServesWhatNodeAChangesInItsTargetsWithoutARestart() throws Exception {
        Daemon a = node(dir, "a", 1, "1");
        Daemon b = node(dir, "b", 2, "1");
        Operations onA = a.operations();
        try (TestInitiator t = new TestInitiator(b.portalAddress())) {
            assertNull(a.targets().find(TB), "tb is gw-b's");
            assertEquals(0, t.login(TB, Map.of()).bhs()[36]);
            assertEquals(0x2900, t.testUnitReady(0, 1), "POWER ON first");

            onA.createVolume("shared", 16L << 20);
            assertEquals(1, onA.addExport("tb", "shared", null).lun());
            assertNull(a.targets().find(TB), "A does not serve B's target");
            await(() -> lun(b, 1) != null, "LUN 1 added");
            assertEquals(0x3F0E, t.testUnitReady(0, 2), "REPORTED LUNS DATA HAS CHANGED on B's session");
            assertEquals(java.util.Set.of("va"), a.operations().openVolumes().keySet(), "A opened none of B's volumes");

            onA.resizeVolume("shared", 32L << 20);
            await(() -> lun(b, 1).volume().sizeBytes() == 32L << 20, "volume grown");

            onA.setChap("tb", "alice", "initiator-secret-1", null, null);
            await(() -> b.targets().find(TB).chap() != null, "CHAP required");
            assertEquals("alice", b.targets().find(TB).chap().user());
            onA.allowInitiator("tb", t.initiatorName);
            await(() -> b.targets().find(TB).allowedInitiators().contains(t.initiatorName), "ACL");

            onA.removeExport("tb", 1);
            await(() -> lun(b, 1) == null, "LUN 1 removed");
            assertEquals(0x3F0E, t.testUnitReady(0, 3), "told of the removal too");
            assertEquals(0, t.testUnitReady(0, 4), "the session logged in before all this still works");

            onA.deleteVolume("shared");
            await(() -> !b.operations().openVolumes().containsKey("shared"), "deleted volume closed");

            onA.removeExport("tb", 0);
            onA.deleteTarget("tb");
            await(() -> b.targets().find(TB) == null, "target deleted");
        } finally {
            b.close();
            a.close();
        }
    }

    /**
     * Each node's config file seeds the shared catalogue for itself: another node's start must not make this node's
     * reload take a LUN removed with the CLI for a new one in its file (the catalogue wins), nor report the other
     * node's targets as removed from this node's file.
     */
    @Test
    void anotherNodesStartDoesNotUndoWhatTheCliRemovedFromThisNodesSeed() throws Exception {
        Map<String, String> fileA = Map.of("node.name", "gw-a", "catalogue.poll-interval", "0", "node.id", "1",
                "target.ta.lun.0", "va", "volume.va.size", "16M");
        Daemon a = LoopbackDaemon.start(dir, fileA);
        try {
            a.operations().removeExport("ta", 0);
            node(dir, "b", 2, "0").close(); // B starts (seeding tb) and stops
            io.stowage.node.StowageConfig again = io.stowage.node.StowageConfig.from(fileA);
            again.overrideDataDir(dir);
            again.overridePort(0);
            again.overrideAdmin("127.0.0.1:0");
            java.util.List<String> report = a.reload(again);
            assertTrue(a.operations().target("ta").luns().isEmpty(), "LUN 0 stays removed: " + report);
            assertTrue(report.stream().noneMatch(l -> l.contains("tb")), "B's target is not A's file's: " + report);
        } finally {
            a.close();
        }
    }

    @Test
    void withPollingOffANodeFollowsAtItsOwnOperations() throws Exception {
        Daemon a = node(dir, "a", 1, "0");
        Daemon b = node(dir, "b", 2, "0");
        try {
            a.operations().createVolume("shared", 16L << 20);
            a.operations().addExport("tb", "shared", null);
            Thread.sleep(1500);
            assertNull(lun(b, 1), "no poll: not served yet");
            b.operations().follow();
            assertNotNull(lun(b, 1), "served at the next read of the catalogue");
        } finally {
            b.close();
            a.close();
        }
    }
}
