package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.rados.CephCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue in a RADOS pool: two nodes on one pool (distinct {@code node.name}) see the same catalogue; what the
 * CLI made on one node is listed on the other, and each node serves only its own targets (a volume has one owner).
 */
class RadosCatalogueIT {
    @TempDir Path dir;

    private static Tools.Result cli(StowageProcess s, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "STOWAGE_NO_BUILD=1",
                StowageProcess.REPO.resolve("stowage").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--url", s.adminUrl(), "--token-file", s.dataDir.resolve("admin.token").toString()));
        return Tools.run(60, cmd.toArray(String[]::new));
    }

    private Path config(CephCluster ceph, String prefix, String node) throws Exception {
        Path f = dir.resolve(node + ".conf");
        Files.writeString(f, String.join("\n", "backend = rados", "rados.conf = " + ceph.conf, "rados.pool = stowage",
                "rados.object-prefix = " + prefix, "rados.timeout-seconds = 5", "node.name = " + node,
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
            cli(a, "volume", "create", "shared", "--size", "128M").ok();
            cli(a, "target", "create", "web").ok();
            cli(a, "export", "add", "web", "shared").ok();
            String onB = cli(b, "export", "list").ok().output();
            assertTrue(onB.lines().anyMatch(l -> l.matches("web\\s+0\\s+shared\\s+iqn.2026-11.io.stowage:web")),
                    "node B lists the export node A made: " + onB);
            String targets = cli(b, "target", "list").ok().output();
            assertTrue(targets.lines().anyMatch(l -> l.startsWith("web ") && l.endsWith("gw-a")), targets);
            assertTrue(targets.lines().anyMatch(l -> l.startsWith("gw-b ") && l.endsWith("gw-b")), targets);
            // each node serves its own targets only
            String lsA = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + a.portal()).ok().output();
            String lsB = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + b.portal()).ok().output();
            assertTrue(lsA.contains("iqn.2026-11.io.stowage:web") && lsA.contains(":gw-a"), lsA);
            assertFalse(lsA.contains(":gw-b"), lsA);
            assertTrue(lsB.contains(":gw-b") && !lsB.contains("iqn.2026-11.io.stowage:web"), lsB);
            // a duplicate made on the other node is refused: the catalogue is one
            Tools.Result dup = cli(b, "volume", "create", "shared", "--size", "1G");
            assertEquals(4, dup.exit(), dup.output());
        }
    }
}
