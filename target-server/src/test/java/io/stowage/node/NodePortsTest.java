package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.iscsi.session.ExportedTarget;
import io.stowage.scsi.TargetPortIdentity;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every node exports the same targets; ALUA tells the nodes apart by target port group and relative port, so those
 * come from the node's id ({@code node.id}): the same after a restart, whatever other targets the config lists and
 * in whatever order, and different on every node. The iSCSI portal group tag (SendTargets, login, the target port
 * name in VPD 83h) is the node's too, so each node is its own target port.
 */
class NodePortsTest {
    @TempDir
    Path dir;

    private Daemon start(Map<String, String> keys) throws Exception {
        StowageConfig c = StowageConfig.from(keys);
        c.overrideDataDir(dir);
        c.overrideAdmin("127.0.0.1:0"); // a free port: the default 7260 may be taken, which refuses the start
        c.overridePort(0);
        return new Daemon(c);
    }

    private static ExportedTarget target(Daemon d, String name) {
        return d.targets().find(StowageConfig.DEFAULT_IQN_PREFIX + name);
    }

    @Test
    void portIdentitiesComeFromTheNodeIdNotFromTheOrderOfTargets() throws Exception {
        Map<String, String> first = new LinkedHashMap<>();
        first.put("node.id", "2");
        first.put("target.a.lun.0", "va");
        first.put("target.b.lun.0", "vb");
        first.put("volume.va.size", "1M");
        first.put("volume.vb.size", "1M");
        TargetPortIdentity a;
        TargetPortIdentity b;
        try (Daemon d = start(first)) {
            a = target(d, "a").scsi().port();
            b = target(d, "b").scsi().port();
            assertEquals(TargetPortIdentity.ofNode(StowageConfig.DEFAULT_IQN_PREFIX + "a", 2), a);
            assertEquals(TargetPortIdentity.ofNode(StowageConfig.DEFAULT_IQN_PREFIX + "b", 2), b);
            assertEquals(2, target(d, "a").portalGroupTag(), "the iSCSI portal group tag is the node's");
            assertTrue(a.portName().endsWith(",t,0x0002"));
        }
        Map<String, String> reordered = new LinkedHashMap<>();
        reordered.put("target.c.lun.0", "vc"); // a target listed first now, and the others swapped
        reordered.put("target.b.lun.0", "vb");
        reordered.put("target.a.lun.0", "va");
        reordered.put("volume.va.size", "1M");
        reordered.put("volume.vb.size", "1M");
        reordered.put("volume.vc.size", "1M");
        reordered.put("node.id", "2");
        try (Daemon d = start(reordered)) {
            assertEquals(a, target(d, "a").scsi().port(), "same ports after a restart with the targets reordered");
            assertEquals(b, target(d, "b").scsi().port());
        }
    }

    @Test
    void nodeIdDefaultsToOneAndIsChecked() throws Exception {
        assertEquals(1, StowageConfig.from(Map.of()).nodeId());
        assertEquals(7, StowageConfig.from(Map.of("node.id", "7")).nodeId());
        ConfigException zero = assertThrows(ConfigException.class, () -> StowageConfig.from(Map.of("node.id", "0")));
        assertTrue(zero.getMessage().contains("node.id"), zero.getMessage());
        assertThrows(ConfigException.class, () -> StowageConfig.from(Map.of("node.id", "65536")));
    }
}
