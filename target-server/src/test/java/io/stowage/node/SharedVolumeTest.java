package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.scsi.Nexus;
import io.stowage.scsi.ScsiRequest;
import io.stowage.scsi.ScsiStatus;
import io.stowage.scsi.ScsiTarget;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume exported by two targets is one logical unit (review finding 8i): one NAA, so initiators see one device
 * on two paths, and therefore one set of reservations — a SCSI-2 reservation taken through one target conflicts
 * for another initiator coming through the other.
 */
class SharedVolumeTest {
    @TempDir
    Path dir;

    @Test
    void twoTargetsExportingOneVolumeShareItsLogicalUnit() throws Exception {
        StowageConfig c = StowageConfig.from(Map.of("target.a.lun.0", "v", "target.b.lun.2", "v",
                "volume.v.size", "16M"));
        c.overrideDataDir(dir);
        c.overrideAdmin("127.0.0.1:0"); // a free port: the default 7260 may be taken, which refuses the start
        c.overridePort(0);
        try (Daemon d = new Daemon(c)) {
            ScsiTarget a = d.targets().find(StowageConfig.DEFAULT_IQN_PREFIX + "a").scsi();
            ScsiTarget b = d.targets().find(StowageConfig.DEFAULT_IQN_PREFIX + "b").scsi();
            assertSame(a.luns().get(0), b.luns().get(2));
            Nexus viaA = new Nexus("iqn.x,i,0x1", a.port().portName());
            Nexus viaB = new Nexus("iqn.y,i,0x2", b.port().portName());
            byte[] reserve6 = {0x16, 0, 0, 0, 0, 0};
            assertEquals(ScsiStatus.GOOD, a.submit(new ScsiRequest(reserve6, 0, null, viaA)).toCompletableFuture()
                    .join().status());
            byte[] tur = new byte[6];
            assertEquals(ScsiStatus.RESERVATION_CONFLICT, b.submit(new ScsiRequest(tur, 2, null, viaB))
                    .toCompletableFuture().join().status());
        }
    }
}
