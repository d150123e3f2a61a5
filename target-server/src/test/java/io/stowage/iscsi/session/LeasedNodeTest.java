package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import io.stowage.node.admin.AdminException;
import io.stowage.node.ownership.VolumeOwnership;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with {@code node.ownership = lease} (on the directory store, whose lease is trivially its own) over a real
 * session: it takes the lease at start and serves active/optimized; handing the volume over (a move to another
 * node) turns the LU standby — ASYMMETRIC ACCESS STATE CHANGED, then TEST UNIT READY and media commands answer
 * NOT READY / TARGET PORT IN STANDBY STATE (02/04/0B), REPORT TARGET PORT GROUPS says standby, admin operations that
 * need the open volume are refused naming the owner — and it serves again, with its data, once it takes it back.
 */
class LeasedNodeTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir Path dir;

    /**
     * Under leases a volume's writes are acknowledged only once durable (WCE = 0): a write-back cache lives on one
     * node, so when that node dies after GOOD for a write and before the FLUSH that covers it, the initiator's
     * retry of the FLUSH on the new owner answers GOOD for a write it never saw (MultipathGuestIT lost such writes).
     */
    @Test
    void aLeasedVolumeIsWriteThrough() throws Exception {
        Daemon daemon = LoopbackDaemon.start(dir, Map.of("node.ownership", "lease", "lease.duration", "3",
                "lease.renew-interval", "1", "lease.poll-interval", "1", "target.demo.lun.0", "demo",
                "volume.demo.size", "16M"));
        AluaSessionTest w = new AluaSessionTest();
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            List<Integer> uas = new ArrayList<>();
            assertEquals(0, w.pastAttentions(t, "00 00 00 00 00 00", 0, null, uas).status());
            AluaSessionTest.Answer caching = w.run(t, "1a 08 08 00 ff 00", 255, null); // MODE SENSE(6), DBD, page 08h
            assertEquals(0, caching.status());
            byte[] page = caching.data();
            assertEquals(0x08, page[4] & 0x3F, "the caching page");
            assertEquals(0, page[6] & 0x04, "WCE = 0: no write-back cache to lose in a failover");
        } finally {
            daemon.close();
        }
    }

    @Test
    void aLeasedVolumeIsActiveOnTheHolderAndStandbyOnceHandedOver() throws Exception {
        Daemon daemon = LoopbackDaemon.start(dir, Map.of("node.id", "3", "node.name", "gamma", "node.ownership",
                "lease", "lease.duration", "3", "lease.renew-interval", "1", "lease.poll-interval", "1",
                "target.demo.lun.0", "demo", "volume.demo.size", "16M"));
        AluaSessionTest w = new AluaSessionTest();
        try (TestInitiator t = new TestInitiator(daemon.portalAddress())) {
            assertNull(daemon.operations().targets().get(0).node(), "a target made under leases is every node's");
            assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
            List<Integer> uas = new ArrayList<>();
            assertEquals(0, w.pastAttentions(t, "00 00 00 00 00 00", 0, null, uas).status(), "served at once");
            ByteBuffer g = w.rtpgDescriptor(t);
            assertEquals(0x0, g.get(0) & 0x0F, "active/optimized on the lease holder");
            assertEquals(3, g.getShort(2), "its port group is its node.id");
            byte[] block = new byte[512];
            java.util.Arrays.fill(block, (byte) 0x5A);
            assertEquals(0, w.run(t, "2a 00 00 00 00 00 00 00 01 00", 0, block).status());
            assertEquals(0, w.run(t, "35 00 00 00 00 00 00 00 00 00", 0, null).status());

            var owner = daemon.operations().ownership();
            // a move to node delta, which does not run: this node hands over, and nobody takes it while it stands
            owner.of("demo").lease().requestMove(new io.stowage.volume.store.Lease.MoveRequest("delta",
                    System.currentTimeMillis() + 60_000));
            long handing = System.nanoTime() + 5_000_000_000L;
            while (owner.of("demo").phase() != VolumeOwnership.Phase.STANDBY && System.nanoTime() < handing) {
                Thread.sleep(50);
            }
            assertEquals(VolumeOwnership.Phase.STANDBY, owner.of("demo").phase());
            uas.clear();
            AluaSessionTest.Answer tur = w.pastAttentions(t, "00 00 00 00 00 00", 0, null, uas);
            assertTrue(uas.contains(0x062A06), "ASYMMETRIC ACCESS STATE CHANGED: " + uas);
            assertEquals(0x02040B, tur.senseKeyAscAscq(), "the tur checker's answer on a standby path");
            g = w.rtpgDescriptor(t);
            assertEquals(0x2, g.get(0) & 0x0F, "standby");
            assertEquals(0x02040B, w.run(t, "2a 00 00 00 00 00 00 00 01 00", 0, block).senseKeyAscAscq());
            assertEquals(0x02040B, w.run(t, "28 00 00 00 00 00 00 00 01 00", 512, null).senseKeyAscAscq());
            assertEquals(0, w.run(t, "25 00 00 00 00 00 00 00 00 00", 8, null).status(), "READ CAPACITY answers");
            AdminException refused = assertThrows(AdminException.class,
                    () -> daemon.operations().createSnapshot("demo", "s1"));
            assertEquals(AdminException.Kind.IN_USE, refused.kind());
            assertTrue(refused.getMessage().contains("stowage volume move demo --to gamma"), refused.getMessage());

            owner.of("demo").lease().requestMove(null); // the request withdrawn: the lease is free, it takes it
            long until = System.nanoTime() + 5_000_000_000L;
            AluaSessionTest.Answer a;
            do {
                Thread.sleep(200);
                uas.clear();
                a = w.pastAttentions(t, "00 00 00 00 00 00", 0, null, uas);
            } while (a.status() != 0 && System.nanoTime() < until);
            assertEquals(0, a.status(), "active again");
            AluaSessionTest.Answer read = w.run(t, "28 00 00 00 00 00 00 00 01 00", 512, null);
            assertArrayEquals(block, read.data(), "what was flushed before the hand-over");

            // through the API's path: the named node never takes it, so the request is withdrawn and this node
            // serves again at its next poll instead of leaving the volume unserved until the request lapses
            assertTrue(owner.move("demo", "delta", 1500).isEmpty(), "nobody took it");
            assertTrue(owner.of("demo").lease().moveRequest().isEmpty(), "withdrawn");
            until = System.nanoTime() + 5_000_000_000L;
            while (owner.of("demo").phase() != VolumeOwnership.Phase.ACTIVE && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertEquals(VolumeOwnership.Phase.ACTIVE, owner.of("demo").phase());
        } finally {
            daemon.close();
        }
    }

    @Test
    void aStaticNodeNeverServesASharedTargetItWouldTakeVolumesFromTheLeaseHolder() throws Exception {
        Map<String, String> keys = new java.util.HashMap<>(Map.of("node.name", "gamma", "node.ownership", "lease",
                "target.demo.lun.0", "demo", "volume.demo.size", "16M"));
        LoopbackDaemon.start(dir, keys).close(); // the shared target is in the catalogue now
        keys.put("node.ownership", "static");
        keys.put("node.name", "epsilon");
        Daemon staticNode = LoopbackDaemon.start(dir, keys);
        try {
            assertNull(staticNode.targets().find(IQN), "a static node serves its own targets only: opening the volume"
                    + " here would fence the lease holder");
            assertTrue(staticNode.operations().openVolumes().isEmpty());
            keys.put("node.ownership", "lease"); // a reload cannot switch it: it would serve without leases
            io.stowage.node.StowageConfig fresh = io.stowage.node.StowageConfig.from(keys);
            fresh.overrideDataDir(dir);
            fresh.overridePort(0);
            assertTrue(staticNode.reload(fresh).contains("node.ownership or lease.* changed: needs a restart"));
            assertNull(staticNode.targets().find(IQN), "still not served after the reload");
            assertTrue(staticNode.operations().openVolumes().isEmpty());
        } finally {
            staticNode.close();
        }
    }
}
