package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.rados.CephCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code ./stowage serve} daemons on one Ceph pool with {@code node.ownership = lease} (node.id 1 and 2, two
 * portals, one target): the first serves the volume active/optimized, the second standby. Data written and flushed
 * through the owner survives its SIGKILL: the other node takes the volume over by itself (the lease expires,
 * it blocklists the dead owner, bumps the epoch, replays the DTL) and serves every flushed block; the killed
 * node comes back as standby, and the CLI moves the volume back. A frozen owner (SIGSTOP) that wakes after a
 * takeover has its writes refused, and they are never visible.
 */
class RadosFailoverIT {
    static final String IQN = "iqn.2026-11.io.stowage:ha";
    // short enough for the suite; -Dstowage.failover.lease=15 -Dstowage.failover.renew=3 -Dstowage.failover.poll=2
    // measures the defaults
    static final int LEASE = Integer.getInteger("stowage.failover.lease", 9);
    static final int RENEW = Integer.getInteger("stowage.failover.renew", 3);
    static final int POLL = Integer.getInteger("stowage.failover.poll", 1);
    static final int BLOCK = 64 << 10;
    static final int BLOCKS = 48; // 3 MiB
    @TempDir Path dir;

    /** One iSCSI session to one node, driven command by command. */
    static final class Session implements AutoCloseable {
        final WireInitiator w;
        int itt = 1;

        Session(int port) throws IOException {
            w = new WireInitiator(new InetSocketAddress("127.0.0.1", port), null);
            // a command in flight when the cluster goes away is answered at the lease deadline at the latest, up to
            // 0.8 x the lease after the last renewal: longer than the 5 s a PDU is otherwise waited for
            w.answerTimeout((LEASE + 5) * 1000);
            Map<String, String> keys = new java.util.LinkedHashMap<>();
            keys.put("HeaderDigest", "None");
            keys.put("DataDigest", "None");
            keys.put("ImmediateData", "Yes");
            keys.put("InitialR2T", "No");
            keys.put("MaxRecvDataSegmentLength", "262144");
            keys.put("FirstBurstLength", "262144");
            keys.put("MaxBurstLength", "262144");
            assertTrue(w.login(IQN, 0x23_0000_0000L | port, keys), "login to port " + port);
        }

        /** Status and (sense key, ASC, ASCQ) as 0xKKAAQQ (or 0 with GOOD), and Data-In. */
        record Answer(int status, int sense, byte[] data) {
        }

        Answer run(byte[] cdb, int dataIn, byte[] dataOut) throws IOException {
            int task = itt++;
            w.command(task, false, cdb, dataOut != null ? dataOut.length : dataIn, dataOut != null, dataOut);
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            while (true) {
                WireInitiator.Rx r = w.next();
                if (r.opcode() == 0x25) {
                    data.writeBytes(r.data());
                    if ((r.bhs()[1] & 0x01) != 0) return new Answer(r.bhs()[3] & 0xFF, 0, data.toByteArray());
                    continue;
                }
                assertEquals(0x21, r.opcode(), "SCSI Response");
                int status = r.bhs()[3] & 0xFF;
                int sense = 0;
                if (status == 0x02 && r.data().length >= 16) {
                    byte[] s = r.data();
                    sense = (s[2 + 2] & 0x0F) << 16 | (s[2 + 12] & 0xFF) << 8 | (s[2 + 13] & 0xFF);
                }
                return new Answer(status, sense, data.toByteArray());
            }
        }

        /** The command again while it meets a unit attention. */
        Answer pastAttentions(byte[] cdb, int dataIn, byte[] dataOut) throws IOException {
            Answer a = run(cdb, dataIn, dataOut);
            for (int i = 0; i < 8 && a.status() == 0x02 && (a.sense() >> 16) == 0x6; i++) a = run(cdb, dataIn, dataOut);
            return a;
        }

        Answer tur() throws IOException {
            return pastAttentions(new byte[6], 0, null);
        }

        /** This node's ALUA state for the LU (REPORT TARGET PORT GROUPS) and its port group id. */
        int[] rtpg() throws IOException {
            byte[] cdb = {(byte) 0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
            Answer a = pastAttentions(cdb, 256, null);
            assertEquals(0, a.status(), "REPORT TARGET PORT GROUPS answers in every state");
            ByteBuffer d = ByteBuffer.wrap(a.data());
            return new int[] {d.get(4) & 0x0F, d.getShort(6)};
        }

        Answer write(int block, byte[] data) throws IOException {
            return pastAttentions(WireInitiator.rw10(0x2A, (long) block * (BLOCK / 512), BLOCK / 512), 0, data);
        }

        Answer flush() throws IOException {
            return pastAttentions(new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, null);
        }

        byte[] read(int block) throws IOException {
            Answer a = pastAttentions(WireInitiator.rw10(0x28, (long) block * (BLOCK / 512), BLOCK / 512), BLOCK,
                    null);
            assertEquals(0, a.status(), "READ answered " + Integer.toHexString(a.sense()));
            return a.data();
        }

        @Override
        public void close() throws IOException {
            w.close();
        }
    }

    static byte[] content(int block, int generation) {
        byte[] b = new byte[BLOCK];
        new Random(block * 1_000_003L + generation).nextBytes(b);
        return b;
    }

    private Path config(CephCluster ceph, String prefix, int id) throws IOException {
        Path f = dir.resolve("node" + id + ".conf");
        Files.writeString(f, String.join("\n", "backend = rados", "rados.conf = " + ceph.conf,
                "rados.pool = stowage", "rados.object-prefix = " + prefix, "rados.timeout-seconds = 5",
                "node.name = node" + id, "node.id = " + id, "node.ownership = lease", "lease.duration = " + LEASE,
                "lease.renew-interval = " + RENEW, "lease.poll-interval = " + POLL, "iscsi.nop-in-interval = 120",
                "volume.vol.size = 64M", "target.ha.iqn = " + IQN, "target.ha.lun.0 = vol", ""));
        return f;
    }

    private StowageProcess start(CephCluster ceph, String prefix, int id, String name) throws Exception {
        return StowageProcess.startWith(name, dir.resolve("node" + id), Map.of("STOWAGE_HEAP", "320m"),
                "--config", config(ceph, prefix, id).toString());
    }

    private static Tools.Result cli(StowageProcess s, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "STOWAGE_NO_BUILD=1",
                StowageProcess.REPO.resolve("stowage").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--url", s.adminUrl(), "--token-file", s.dataDir.resolve("admin.token").toString()));
        return Tools.run(120, cmd.toArray(String[]::new));
    }

    private static void signal(StowageProcess s, String sig) throws Exception {
        Tools.run(10, "kill", "-" + sig, Long.toString(s.process.pid())).ok();
    }

    /** Polls TUR + RTPG on {@code port} until the node serves the LU active/optimized; returns the ms it took. */
    private static long untilActive(int port, long fromNanos, long limitMillis) throws Exception {
        try (Session s = new Session(port)) {
            while (true) {
                Session.Answer tur = s.tur();
                if (tur.status() == 0 && s.rtpg()[0] == 0) return (System.nanoTime() - fromNanos) / 1_000_000;
                assertTrue(tur.status() == 0 || (tur.sense() >> 8) == 0x0204, "NOT READY while it is not served, never"
                        + " a medium error: " + Integer.toHexString(tur.sense()));
                assertTrue((System.nanoTime() - fromNanos) / 1_000_000 < limitMillis, "not active within "
                        + limitMillis + " ms");
                Thread.sleep(100);
            }
        }
    }

    @Test
    void theStandbyTakesOverAKilledOwnerWithEveryFlushedBlockAndTheVolumeMovesBack() throws Exception {
        CephCluster ceph = CephCluster.get();
        String prefix = CephCluster.uniquePrefix("failover");
        long bound = (LEASE + POLL + 5) * 1000L; // the lease runs out, one poll, then the takeover's open
        StowageProcess a = start(ceph, prefix, 1, "failover-node1");
        StowageProcess b = null;
        StowageProcess a2 = null;
        try {
            b = start(ceph, prefix, 2, "failover-node2");
            try (Session onA = new Session(a.port); Session onB = new Session(b.port)) {
                assertEquals(0, onA.tur().status(), "the first node took the lease at start");
                assertArrayEquals(new int[] {0, 1}, onA.rtpg(), "active/optimized in port group 1");
                assertEquals(0x02040B, onB.tur().sense(), "standby on the other node: TUR says so");
                assertArrayEquals(new int[] {2, 2}, onB.rtpg(), "standby in port group 2");
                assertEquals(0x02040B, onB.write(0, content(0, 9)).sense(), "a standby never writes");
                for (int i = 0; i < BLOCKS; i++) assertEquals(0, onA.write(i, content(i, 1)).status());
                assertEquals(0, onA.flush().status());
            }
            String owner = cli(b, "volume", "owner", "vol").ok().output();
            assertTrue(owner.contains("owner:   node1 (node.id 1)") && owner.contains("node2: standby"), owner);

            signal(a, "KILL");
            long killed = System.nanoTime();
            a.process.waitFor();
            long took = untilActive(b.port, killed, bound);
            System.out.println("failover after SIGKILL of the owner: " + took + " ms (lease " + LEASE + " s, renew "
                    + RENEW + " s, poll " + POLL + " s; bound asserted " + bound + " ms)");
            try (Session onB = new Session(b.port)) {
                assertArrayEquals(new int[] {0, 2}, onB.rtpg());
                for (int i = 0; i < BLOCKS; i++) {
                    assertArrayEquals(content(i, 1), onB.read(i), "flushed block " + i + " after the takeover");
                }
                for (int i = 0; i < BLOCKS; i += 2) assertEquals(0, onB.write(i, content(i, 2)).status());
                assertEquals(0, onB.flush().status());
            }
            assertTrue(b.output().contains("blocklist") || b.output().contains("takeover"), "the takeover is logged");

            a2 = start(ceph, prefix, 1, "failover-node1-again");
            Thread.sleep((RENEW + POLL) * 1000L);
            try (Session onA = new Session(a2.port)) {
                assertEquals(0x02040B, onA.tur().sense(), "the returning node is standby");
                assertArrayEquals(new int[] {2, 1}, onA.rtpg());
            }
            long moveStart = System.nanoTime();
            String moved = cli(a2, "volume", "move", "vol", "--to", "node1").ok().output();
            System.out.println("move back to node1 took " + (System.nanoTime() - moveStart) / 1_000_000 + " ms");
            assertTrue(moved.contains("served by node1"), moved);
            try (Session onA = new Session(a2.port); Session onB = new Session(b.port)) {
                assertEquals(0, onA.tur().status());
                assertArrayEquals(new int[] {0, 1}, onA.rtpg(), "active/optimized on node1 again");
                assertEquals(2, onB.rtpg()[0], "standby on node2");
                for (int i = 0; i < BLOCKS; i++) {
                    assertArrayEquals(content(i, i % 2 == 0 ? 2 : 1), onA.read(i), "block " + i + " after the move");
                }
            }
        } finally {
            for (StowageProcess p : new StowageProcess[] {a2, b, a}) {
                if (p != null && p.process.isAlive()) p.close();
            }
        }
    }

    @Test
    void aFrozenOwnerThatWakesAfterATakeoverHasItsWritesRefused() throws Exception {
        CephCluster ceph = CephCluster.get();
        String prefix = CephCluster.uniquePrefix("stale");
        StowageProcess a = start(ceph, prefix, 1, "stale-node1");
        StowageProcess b = null;
        try {
            b = start(ceph, prefix, 2, "stale-node2");
            try (Session onA = new Session(a.port)) {
                assertEquals(0, onA.write(0, content(0, 1)).status());
                assertEquals(0, onA.flush().status());
                signal(a, "STOP"); // frozen: it renews nothing, and knows nothing of it
                long frozen = System.nanoTime();
                untilActive(b.port, frozen, (LEASE + POLL + 5) * 1000L);
                signal(a, "CONT");
                Session.Answer stale = onA.write(0, content(0, 66));
                assertEquals(0x02, stale.status(), "the woken former owner does not acknowledge the write");
                assertEquals(0x0204, stale.sense() >> 8, "NOT READY / ASYMMETRIC ACCESS: "
                        + Integer.toHexString(stale.sense()));
                Session.Answer flush = onA.flush();
                assertEquals(0x02, flush.status(), "nor a flush");
                assertNotEquals(0, onA.rtpg()[0], "not active/optimized there");
            }
            try (Session onB = new Session(b.port)) {
                assertArrayEquals(content(0, 1), onB.read(0), "the stale write is never visible");
            }
        } finally {
            if (a.process.isAlive()) {
                signal(a, "CONT");
                a.close();
            }
            if (b != null) b.close();
        }
    }

    @Test
    void anOwnerThatCannotRenewStopsServingBeforeItsLeaseCanExpireAndTheVolumeComesBack() throws Exception {
        CephCluster ceph = CephCluster.get();
        String prefix = CephCluster.uniquePrefix("outage");
        StowageProcess a = start(ceph, prefix, 1, "outage-node1");
        StowageProcess b = null;
        try {
            b = start(ceph, prefix, 2, "outage-node2");
            long stoppedAfter;
            try (Session onA = new Session(a.port)) {
                assertEquals(0, onA.write(0, content(0, 1)).status());
                assertEquals(0, onA.flush().status());
                ceph.stopOsd(); // renewals go unanswered; nobody can take the lease either
                long down = System.nanoTime();
                Session.Answer last;
                int i = 0;
                do { // unflushed writes land in the cache while the owner may still serve
                    last = onA.write(1, content(1, 100 + i++));
                    stoppedAfter = (System.nanoTime() - down) / 1_000_000;
                    if (last.status() != 0) break;
                    Thread.sleep(200);
                } while (stoppedAfter < 3L * LEASE * 1000);
                System.out.println("the owner stopped serving " + stoppedAfter + " ms after the OSD stopped (lease "
                        + LEASE + " s: it stops by the last renewal sent + " + LEASE * 0.8 + " s)");
                assertEquals(0x0204, last.sense() >> 8, "NOT READY / ASYMMETRIC ACCESS, never a medium error: "
                        + Integer.toHexString(last.sense()));
                assertTrue(stoppedAfter < LEASE * 1000L, "stopped within the lease: " + stoppedAfter + " ms");
            } finally {
                ceph.startOsd();
            }
            long up = System.nanoTime();
            long served = -1;
            StowageProcess owner = null;
            while (served < 0 && (System.nanoTime() - up) / 1_000_000 < 90_000) {
                for (StowageProcess p : new StowageProcess[] {a, b}) {
                    try (Session s = new Session(p.port)) {
                        if (s.tur().status() == 0 && s.rtpg()[0] == 0) {
                            served = (System.nanoTime() - up) / 1_000_000;
                            owner = p;
                            break;
                        }
                    }
                }
                Thread.sleep(250);
            }
            assertNotNull(owner, "a node serves the volume again once the cluster is back");
            System.out.println("served again " + served + " ms after the OSD came back, by "
                    + (owner == a ? "node1" : "node2"));
            try (Session s = new Session(owner.port)) {
                assertArrayEquals(content(0, 1), s.read(0), "the flushed block");
            }
        } finally {
            if (b != null) b.close();
            a.close();
        }
    }
}
