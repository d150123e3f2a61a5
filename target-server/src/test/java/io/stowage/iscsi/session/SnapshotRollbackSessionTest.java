package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollback while the LU stays exported, through the iSCSI layer: write A, snapshot, write B, read B; roll back;
 * the logged-in session gets a unit attention (MEDIUM MAY HAVE CHANGED, 06/28/00) on its next command, then reads A.
 */
class SnapshotRollbackSessionTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir Path dir;

    private static void write(TestInitiator t, int itt, byte[] data) throws Exception {
        t.command(itt, ServerProtocolTest.write10(0, data.length / 512), data.length, false, true, data, true);
        TestInitiator.Rx r = t.next();
        assertEquals(0x21, r.opcode(), "SCSI Response");
        assertEquals(0, r.bhs()[3], "GOOD");
    }

    /** A READ(10) of the first 8 blocks: the data, or null after a CHECK CONDITION whose ASC/ASCQ goes to {@code ua}. */
    private static byte[] read(TestInitiator t, int itt, int[] ua) throws Exception {
        t.command(itt, ServerProtocolTest.read10(0, 8), 4096, true, false, null, true);
        byte[] out = new byte[4096];
        while (true) {
            TestInitiator.Rx r = t.next();
            assertEquals(itt, r.itt());
            if (r.opcode() == 0x25) {
                System.arraycopy(r.data(), 0, out, r.b().getInt(40), r.data().length);
                if ((r.flags() & 0x01) != 0) return out;
                continue;
            }
            assertEquals(0x21, r.opcode(), "SCSI Response");
            if (r.bhs()[3] == 0) return out;
            assertEquals(0x02, r.bhs()[3], "CHECK CONDITION");
            assertEquals(0x06, r.data()[2 + 2] & 0x0F, "UNIT ATTENTION");
            ua[0] = r.data()[2 + 12] & 0xFF;
            ua[1] = r.data()[2 + 13] & 0xFF;
            return null;
        }
    }

    private static byte[] filled(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void rollbackWhileExportedRaisesAUnitAttentionThenReadsTheSnapshot() throws Exception {
        Daemon daemon = LoopbackDaemon.start(dir, Map.of("target.demo.lun.0", "demo", "volume.demo.size", "16M"));
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            ServerProtocolTest.clearPowerOnAttention(t, 0);
            Volume volume = ((VolumeBlockDevice) daemon.targets().all().iterator().next().scsi().luns().get(0)
                    .device()).volume();
            int[] ua = new int[2];
            write(t, 1, filled('A'));
            volume.snapshots().create("a");
            write(t, 2, filled('B'));
            assertArrayEquals(filled('B'), read(t, 3, ua));

            volume.snapshots().rollback("a");
            assertNull(read(t, 4, ua), "the first command after the rollback gets a unit attention");
            assertEquals(0x28, ua[0], "NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED");
            assertEquals(0x00, ua[1]);
            assertArrayEquals(filled('A'), read(t, 5, ua), "then the snapshot's data");
            write(t, 6, filled('C'));
            assertArrayEquals(filled('C'), read(t, 7, ua), "and the volume goes on from there");
        } finally {
            daemon.close();
        }
    }
}
