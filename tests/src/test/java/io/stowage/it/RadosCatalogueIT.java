package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.rados.CephCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue in a RADOS pool: two nodes on one pool (distinct {@code node.name}) see the same catalogue; what the
 * CLI made on one node is listed on the other, and each node serves only its own targets (a volume has one owner).
 * A change made through node A to node B's target (a LUN, CHAP) is served by B without a restart and without a
 * request to B: B polls the catalogue's version ({@code catalogue.poll-interval}).
 */
class RadosCatalogueIT {
    @TempDir Path dir;

    private Path config(CephCluster ceph, String prefix, String node) throws Exception {
        Path f = dir.resolve(node + ".conf");
        Files.writeString(f, String.join("\n", "backend = rados", "rados.conf = " + ceph.conf, "rados.pool = stowage",
                "rados.object-prefix = " + prefix, "rados.timeout-seconds = 5", "node.name = " + node,
                "catalogue.poll-interval = 1",
                "volume." + node + "-boot.size = 64M", "target." + node + ".lun.0 = " + node + "-boot", ""));
        return f;
    }

    @Test
    void aSecondNodeSeesWhatTheCliMadeOnTheFirstAndServesOnlyItsOwn() throws Exception {
        CephCluster ceph = CephCluster.get();
        String prefix = CephCluster.uniquePrefix("catalogue");
        try (StowageProcess a = StowageProcess.start("rados-catalogue-a", dir.resolve("a"), "--config",
                config(ceph, prefix, "gw-a").toString());
             StowageProcess b = StowageProcess.start("rados-catalogue-b", dir.resolve("b"), "--config",
                config(ceph, prefix, "gw-b").toString())) {
            a.cli("volume", "create", "shared", "--size", "128M").ok();
            a.cli("target", "create", "web").ok();
            a.cli("export", "add", "web", "shared").ok();
            String onB = b.cli("export", "list").ok().output();
            assertTrue(onB.lines().anyMatch(l -> l.matches("web\\s+0\\s+shared\\s+iqn.2026-11.io.stowage:web")),
                    "node B lists the export node A made: " + onB);
            String targets = b.cli("target", "list").ok().output();
            assertTrue(targets.lines().anyMatch(l -> l.startsWith("web ") && l.endsWith("gw-a")), targets);
            assertTrue(targets.lines().anyMatch(l -> l.startsWith("gw-b ") && l.endsWith("gw-b")), targets);
            // each node serves its own targets only
            String lsA = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + a.portal()).ok().output();
            String lsB = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + b.portal()).ok().output();
            assertTrue(lsA.contains("iqn.2026-11.io.stowage:web") && lsA.contains(":gw-a"), lsA);
            assertFalse(lsA.contains(":gw-b"), lsA);
            assertTrue(lsB.contains(":gw-b") && !lsB.contains("iqn.2026-11.io.stowage:web"), lsB);
            // a duplicate made on the other node is refused: the catalogue is one
            Tools.Result dup = b.cli("volume", "create", "shared", "--size", "1G");
            assertEquals(4, dup.exit(), dup.output());

            // node B follows node A's changes to B's target live: nothing is asked of B
            String gwB = "iqn.2026-11.io.stowage:gw-b";
            a.cli("volume", "create", "for-b", "--size", "32M").ok();
            a.cli("export", "add", "gw-b", "for-b", "--lun", "1").ok();
            long t0 = System.nanoTime();
            // libiscsi prints 32M as 31M (it rounds down)
            String seen = awaitOutput(() -> Tools.run(30, "iscsi-ls", "-s", "iscsi://" + b.portal()).output(),
                    out -> out.matches("(?s).*Lun:1\\s+Type:DIRECT_ACCESS \\(Size:3[12]M\\).*"));
            System.out.printf("RadosCatalogueIT: node B served node A's new LUN after %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            assertTrue(seen.contains("Lun:0"), seen);
            a.cli("chap", "set", "gw-b", "--user", "alice", "--secret=initiator-secret").ok();
            String lun0 = "iscsi://alice%initiator-secret@" + b.portal() + "/" + gwB + "/0";
            awaitOutput(() -> Tools.run(30, "iscsi-inq", "iscsi://" + b.portal() + "/" + gwB + "/0").output(),
                    out -> !out.contains("DIRECT_ACCESS"));
            assertTrue(Tools.run(30, "iscsi-inq", lun0).ok().output().contains("DIRECT_ACCESS"),
                    "node B asks for the CHAP node A set");
            a.cli("export", "remove", "gw-b", "1").ok();
            awaitOutput(() -> Tools.run(30, "iscsi-ls", "-s", "iscsi://alice%initiator-secret@" + b.portal())
                    .output(), out -> out.contains("Lun:0") && !out.contains("Lun:1"));
            assertFalse(b.output().contains("initiator-secret"), "secrets are never logged");
            assertFalse(b.cli("chap", "show", "gw-b").ok().output().contains("initiator-secret"));
        }
    }

    /** Runs {@code probe} until {@code done} holds for its output (20 s at most); returns that output. */
    private static String awaitOutput(java.util.concurrent.Callable<String> probe,
                                      java.util.function.Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        String out = probe.call();
        while (!done.test(out)) {
            if (System.nanoTime() > deadline) fail("node B did not follow within 20 s: " + out);
            Thread.sleep(200);
            out = probe.call();
        }
        return out;
    }
}
