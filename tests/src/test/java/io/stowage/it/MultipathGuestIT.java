package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.rados.CephCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover as Linux sees it: two {@code ./stowage serve} nodes on one Ceph pool ({@code node.ownership = lease},
 * node ids 1 and 2) export one target; in a QEMU guest open-iscsi logs in on both portals and Debian's
 * dm-multipath (group_by_prio, alua, tur, no_path_retry queue) joins the paths ({@code tests/guest/multipath-test.sh}).
 * The guest checks the priorities (node A active/optimized, B standby), writes and fsyncs checksummed blocks
 * through the map; node A is SIGKILLed under that load. The guest must see no I/O error and every block its fsync
 * acknowledged must verify; the longest write+fsync (guest) and the time from the kill to a TEST UNIT READY answered
 * GOOD by B (host) are the failover times. Then A starts again, must come back standby, and {@code stowage volume
 * move} takes the volume back to A; the guest sees A's path active/optimized again, writes through it and verifies
 * everything once more. Figures go to {@code tests/target/reports/multipath-failover.txt}.
 */
class MultipathGuestIT {
    static final String IQN = "iqn.2026-11.io.stowage:mpath";
    static final String VOLUME = "mpdisk";
    /** The guest writer's pwrites (64 KiB, O_DIRECT) before each fsync. */
    static final int WRITES_PER_FSYNC = Integer.getInteger("stowage.multipath.writes-per-fsync", 8);
    @TempDir Path dir;

    private Path config(CephCluster ceph, String prefix, String node, int id) throws IOException {
        Path f = dir.resolve(node + ".conf");
        Files.writeString(f, String.join("\n", "backend = rados", "rados.conf = " + ceph.conf, "rados.pool = stowage",
                "rados.object-prefix = " + prefix, "rados.timeout-seconds = 5", "node.name = " + node,
                "node.id = " + id, "node.ownership = lease", "lease.duration = 15", "lease.renew-interval = 3",
                "lease.poll-interval = 2",
                "volume." + VOLUME + ".size = 2G",
                "target.mp.iqn = " + IQN, "target.mp.lun.0 = " + VOLUME, ""));
        return f;
    }

    private static String console(Path work) throws IOException {
        Path c = work.resolve("console.log");
        return Files.exists(c) ? Files.readString(c).replace("\r", "") : "";
    }

    /** Waits until the console holds a line matching {@code regex}; fails on a FAIL marker or when QEMU ended. */
    private static Matcher await(Path work, Process guest, String regex, int seconds) throws Exception {
        Pattern p = Pattern.compile("(?m)" + regex);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String c = console(work);
            Matcher m = p.matcher(c);
            if (m.find()) return m;
            Matcher f = Pattern.compile("(?m)^FAIL .*$").matcher(c);
            if (f.find()) fail("the guest failed: " + f.group() + "\n" + tail(c));
            if (!guest.isAlive()) fail("the guest ended before '" + regex + "':\n" + tail(c));
            if (System.nanoTime() > deadline) fail("no '" + regex + "' within " + seconds + " s:\n" + tail(c));
            Thread.sleep(200);
        }
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }

    /** A word to the guest's second serial port (through a shell with a timeout: a FIFO whose reader died blocks). */
    private static void tell(Path work, String word) throws Exception {
        Tools.run(10, "sh", "-c", "echo " + word + " > " + work.resolve("ctl.in")).ok();
    }

    private static void awaitLog(StowageProcess s, String text, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!s.output().contains(text)) {
            if (System.nanoTime() > deadline) fail(s.log + " has no '" + text + "':\n" + tail(s.output()));
            Thread.sleep(100);
        }
    }

    /**
     * A session of the host's own on node B; sends TEST UNIT READY every 100 ms until it is answered GOOD (after
     * the login's unit attention, the standby's 02/04/0B and the state change's 2A/06); returns when that was.
     */
    private static long untilServed(int port, long notBefore, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try (WireInitiator w = new WireInitiator(new InetSocketAddress("127.0.0.1", port), null)) {
            assertTrue(w.login(IQN, 0x400000000077L, Map.of()), "the probe's login to node B");
            int itt = 1;
            while (System.nanoTime() < deadline) {
                w.command(itt++, false, new byte[6], 0, false, null);
                WireInitiator.Rx r;
                do {
                    r = w.next();
                } while (r.opcode() != 0x21);
                if (r.bhs()[3] == 0 && System.nanoTime() >= notBefore) return System.nanoTime();
                Thread.sleep(100);
            }
        }
        fail("node B did not answer TEST UNIT READY with GOOD within " + seconds + " s");
        return 0;
    }

    @Test
    void dmMultipathRidesOutTheOwnersDeathAndTheMoveBack() throws Exception {
        CephCluster ceph = CephCluster.get();
        String prefix = CephCluster.uniquePrefix("mpath");
        Path confA = config(ceph, prefix, "gw-a", 1);
        Path confB = config(ceph, prefix, "gw-b", 2);
        Path work = Path.of(System.getProperty("user.home"), ".cache", "stowage", "multipath-guest");
        Files.createDirectories(work);
        Files.deleteIfExists(work.resolve("console.log"));
        StowageProcess a = StowageProcess.startWith("multipath-a", dir.resolve("a"), Map.of(), "--config", confA.toString());
        StowageProcess a2 = null;
        Process guest = null;
        StringBuilder report = new StringBuilder("# MultipathGuestIT: dm-multipath in a QEMU guest (TCG) across the owner's SIGKILL\n");
        try (StowageProcess b = StowageProcess.startWith("multipath-b", dir.resolve("b"), Map.of(), "--config",
                confB.toString())) {
            awaitLog(a, "volume " + VOLUME + ": served here", 60);
            awaitLog(b, "volume " + VOLUME + ": ALUA access state ACTIVE_OPTIMIZED -> STANDBY", 60);
            Path runLog = StowageProcess.LOGS.resolve("multipath-guest-run.log");
            ProcessBuilder pb = new ProcessBuilder(StowageProcess.REPO.resolve("tests/guest/multipath-test.sh").toString(),
                    Integer.toString(a.port), Integer.toString(b.port), IQN, work.toString())
                    .redirectErrorStream(true).redirectOutput(runLog.toFile());
            pb.environment().put("STOWAGE_GUEST_WRITES_PER_FSYNC", Integer.toString(WRITES_PER_FSYNC));
            guest = pb.start();

            // the map: A's path active/optimized (prio 50), B's standby (prio 1, ghost)
            Matcher owner = await(work, guest, "^MARK paths owner=(\\S+)$", 420);
            assertEquals("10.0.2.2:" + a.port, owner.group(1), "node A (the lease holder) is the active/optimized path");
            report.append("guest: the map's write cache: ").append(await(work, guest, "^CACHE (.*)$", 10).group(1))
                    .append('\n');
            await(work, guest, "^MARK load$", 120);
            Thread.sleep(8_000);
            long killed = System.nanoTime();
            a.process.destroyForcibly(); // SIGKILL: no lease release, no flush, no logout
            a.process.waitFor(30, TimeUnit.SECONDS);
            long served = untilServed(b.port, killed, 120);
            long failoverMs = TimeUnit.NANOSECONDS.toMillis(served - killed);
            report.append("host: SIGKILL of node A to TEST UNIT READY GOOD on node B: ").append(failoverMs).append(" ms\n");
            Thread.sleep(15_000); // the guest writes through B for a while
            tell(work, "stop");
            Matcher done = await(work, guest, "^STEP load\\n(?:.*\\n)*?WRITER done writes=(\\d+) seconds=(\\S+) longest_stall_ms=(\\d+) at_s=\\S+ at_wall=\\S+ acked_before=(\\d+) pwrite_ms=(\\d+) fsync_ms=(\\d+)$", 120);
            report.append("guest: ").append(done.group(1)).append(" writes of 64 KiB, ").append(WRITES_PER_FSYNC)
                    .append(" per fsync, in ").append(done.group(2)).append(" s, none failed; longest round (pwrites + fsync) ")
                    .append(done.group(3)).append(" ms (the failover, seen by the writer: ").append(done.group(5))
                    .append(" ms in pwrite, ").append(done.group(6)).append(" ms in fsync); writes 1-")
                    .append(done.group(4)).append(" were acknowledged before it (by node A)\n");
            // the bound: a dead owner's volume is served elsewhere within 30 s by default (lease 15 s here);
            // the guest adds replacement_timeout (5 s) and multipathd's path checks (1-2 s)
            assertTrue(failoverMs <= 30_000, "node B served within 30 s of the kill: " + failoverMs + " ms");
            assertTrue(Long.parseLong(done.group(3)) <= 40_000, "the writer's longest round: " + done.group(3) + " ms");
            Matcher verified = await(work, guest, "^STEP verify\\n(?:.*\\n)*?VERIFY blocks=(\\d+) bad=0$", 120);
            await(work, guest, "^MARK verified$", 60);
            report.append("guest: every block whose fsync was acknowledged verified after the failover (")
                    .append(verified.group(1)).append(" blocks of 64 KiB, none overwritten, CRC and content)\n");
            assertTrue(b.output().contains("volume " + VOLUME + ": lease taken, opening it (takeover)"), b.output());

            // A returns: standby, not owner
            a2 = StowageProcess.startOn(a.port, "multipath-a-restarted", dir.resolve("a"), Map.of(), "--config", confA.toString());
            awaitLog(a2, "volume " + VOLUME + ": ALUA access state ACTIVE_OPTIMIZED -> STANDBY", 60);
            tell(work, "returned");
            await(work, guest, "^MARK standby$", 120);
            assertFalse(a2.output().contains("volume " + VOLUME + ": served here"), "node A came back standby");

            // moved back on request
            long m0 = System.nanoTime();
            Tools.Result move = b.cli("volume", "move", VOLUME, "--to", "gw-a");
            long moveMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - m0);
            assertEquals(0, move.exit(), move.output());
            awaitLog(a2, "volume " + VOLUME + ": served here", 30);
            report.append("stowage volume move ").append(VOLUME).append(" --to gw-a: ").append(moveMs).append(" ms\n");
            tell(work, "moved");
            Matcher moved = await(work, guest, "^MOVED sectors written through \\S+ \\(\\S+\\): (\\d+)$", 180);
            report.append("guest: after the move, A's path active/optimized again; ").append(moved.group(1))
                    .append(" sectors written through it, everything verified\n");
            assertTrue(guest.waitFor(120, TimeUnit.SECONDS), "the guest powers off");
            String run = Files.readString(runLog);
            assertEquals(0, guest.exitValue(), run + "\n" + tail(console(work)));
            assertTrue(run.contains("guest-test: PASS"), run);
            report.append("PASS\n");
        } finally {
            // the figures so far, also when the test failed (then without the PASS line)
            System.out.print(report);
            Path r = StowageProcess.REPO.resolve("tests/target/reports/multipath-failover.txt");
            Files.createDirectories(r.getParent());
            Files.writeString(r, report.toString());
            if (guest != null && guest.isAlive()) guest.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            if (Files.exists(work.resolve("console.log"))) {
                Files.copy(work.resolve("console.log"), StowageProcess.LOGS.resolve("multipath-guest-console.log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            if (a2 != null) a2.close();
            if (a.process.isAlive()) a.close();
        }
    }
}
