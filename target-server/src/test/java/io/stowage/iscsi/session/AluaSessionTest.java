package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ALUA over a real iSCSI session to a node with {@code node.id = 2}: the login's portal group tag, VPD 83h and
 * REPORT TARGET PORT GROUPS all name node 2; then another node takes the volume over (it opens it from the same
 * objects), and what the logged-in initiator sees is what dm-multipath needs to fail over: NOT READY / ASYMMETRIC
 * ACCESS STATE TRANSITION, ASYMMETRIC ACCESS STATE CHANGED, the group transitioning — never a MEDIUM ERROR.
 */
class AluaSessionTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir
    Path dir;
    private int itt = 1;

    /** Status, sense (fixed format, without the 2-byte length) and Data-In of one command. */
    record Answer(int status, byte[] sense, byte[] data) {
        int senseKeyAscAscq() {
            return sense == null ? -1 : (sense[2] & 0x0F) << 16 | (sense[12] & 0xFF) << 8 | (sense[13] & 0xFF);
        }
    }

    Answer run(TestInitiator t, String cdbHex, int dataIn, byte[] dataOut) throws Exception {
        byte[] cdb = java.util.Arrays.copyOf(java.util.HexFormat.ofDelimiter(" ").parseHex(cdbHex), 16);
        int task = itt++;
        t.command(task, cdb, dataOut != null ? dataOut.length : dataIn, dataIn > 0, dataOut != null, dataOut, true);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            TestInitiator.Rx r = t.next();
            assertEquals(task, r.itt());
            if (r.opcode() == 0x25) { // Data-In, perhaps with the status (S bit)
                data.writeBytes(r.data());
                if ((r.flags() & 0x01) != 0) return new Answer(r.bhs()[3] & 0xFF, null, data.toByteArray());
                continue;
            }
            assertEquals(0x21, r.opcode(), "SCSI Response");
            int status = r.bhs()[3] & 0xFF;
            byte[] sense = status == 0x02 ? java.util.Arrays.copyOfRange(r.data(), 2, r.data().length) : null;
            return new Answer(status, sense, data.toByteArray());
        }
    }

    /** Sends the command again while it meets a unit attention; returns the attentions seen and the final answer. */
    Answer pastAttentions(TestInitiator t, String cdb, int dataIn, byte[] dataOut, java.util.List<Integer> uas)
            throws Exception {
        Answer a = run(t, cdb, dataIn, dataOut);
        while (a.status() == 0x02 && (a.sense()[2] & 0x0F) == 0x6) {
            uas.add(a.senseKeyAscAscq());
            a = run(t, cdb, dataIn, dataOut);
        }
        return a;
    }

    ByteBuffer rtpgDescriptor(TestInitiator t) throws Exception {
        Answer a = run(t, "a3 2a 00 00 00 00 00 00 01 00 00 00", 256, null);
        assertEquals(0, a.status(), "REPORT TARGET PORT GROUPS is answered in every state");
        return ByteBuffer.wrap(a.data()).position(8).slice();
    }

    @Test
    void theNodesPortsOverTheWireAndAFencedVolumeTellsTheInitiatorToUseAnotherPath() throws Exception {
        Daemon daemon = LoopbackDaemon.start(dir, Map.of("node.id", "2", "target.demo.lun.0", "demo",
                "volume.demo.size", "16M"));
        Volume other = null;
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            assertEquals("2", t.loginAnswers.get("TargetPortalGroupTag"), "the node's portal group tag");
            java.util.List<Integer> uas = new java.util.ArrayList<>();
            assertEquals(0, pastAttentions(t, "00 00 00 00 00 00", 0, null, uas).status());

            byte[] vpd = run(t, "12 01 83 01 00 00", 256, null).data();
            int rel = -1;
            int group = -1;
            for (int at = 4; at + 4 <= vpd.length; at += 4 + (vpd[at + 3] & 0xFF)) {
                if ((vpd[at + 1] & 0x3F) == 0x14) rel = ByteBuffer.wrap(vpd).getShort(at + 6);
                if ((vpd[at + 1] & 0x3F) == 0x15) group = ByteBuffer.wrap(vpd).getShort(at + 6);
            }
            assertEquals(2, rel, "relative target port of node 2");
            assertEquals(2, group, "target port group of node 2");
            assertTrue(new String(vpd, StandardCharsets.ISO_8859_1).contains(IQN + ",t,0x0002"));
            ByteBuffer g = rtpgDescriptor(t);
            assertEquals(0x0, g.get(0) & 0x0F, "active/optimized on the owner");
            assertEquals(2, g.getShort(2));
            assertEquals(2, g.getShort(10));
            assertEquals(0, run(t, "2a 00 00 00 00 00 00 00 01 00", 0, new byte[512]).status());

            // another node opens the volume: the header's epoch moves on, this node is fenced at its next guarded
            // write — here the registration it must store with the volume (APTPL)
            other = new VolumeEngine(dir.resolve("other-node"), new DirectoryBackend(dir.resolve("objects")),
                    VolumeConfig.DEFAULT).open("demo");
            byte[] register = new byte[24];
            ByteBuffer.wrap(register).putLong(8, 0x1234);
            register[20] = 0x01; // APTPL
            Answer fenced = run(t, "5f 00 00 00 00 00 00 00 18 00", 0, register);
            assertEquals(0x02, fenced.status());
            assertEquals(0x02040A, fenced.senseKeyAscAscq(), "NOT READY / ASYMMETRIC ACCESS STATE TRANSITION");

            uas.clear();
            Answer tur = pastAttentions(t, "00 00 00 00 00 00", 0, null, uas);
            assertEquals(java.util.List.of(0x062A06), uas, "ASYMMETRIC ACCESS STATE CHANGED, once");
            assertEquals(0x02040A, tur.senseKeyAscAscq(), "the path checker's TUR: not this path");
            g = rtpgDescriptor(t);
            assertEquals(0xF, g.get(0) & 0x0F, "transitioning");
            assertEquals(0x02, g.get(5), "altered by implicit behaviour");
            assertEquals(0x02040A, run(t, "28 00 00 00 00 00 00 00 01 00", 512, null).senseKeyAscAscq());
            assertEquals(0x02040A, run(t, "2a 00 00 00 00 00 00 00 01 00", 0, new byte[512]).senseKeyAscAscq());
            assertEquals(0x02040A, run(t, "35 00 00 00 00 00 00 00 00 00", 0, null).senseKeyAscAscq());
            assertEquals(0, run(t, "12 00 00 00 60 00", 96, null).status(), "INQUIRY still answers");
        } finally {
            daemon.close();
            if (other != null) other.close();
        }
    }
}
