package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, bounded resources: the real daemon under a storm of bad logins (endless continued login text,
 * trickled logins, wrong CHAP) and of writes that never send their data (full windows, immediate commands,
 * EDTLs above 4 MiB), from other source addresses, while a normal session writes beside it. The daemon's RSS must
 * stay within a stated bound and the normal session keep a fair share of its throughput.
 */
class HostileInitiatorsIT {
    static final long MIB = 1 << 20;
    /** Heap 384 MiB + Data-Out budget 64 MiB + pooled and Data-In buffers + JVM: the bound the RSS must stay under. */
    static final long RSS_BOUND = 1024 * MIB;
    static final int STORM_SECONDS = 20;
    static final AtomicLong NORMAL_TASK_SET_FULL = new AtomicLong();
    @TempDir Path dir;

    @Test
    void rssStaysBoundedAndANormalSessionKeepsItsThroughput() throws Exception {
        Path conf = dir.resolve("hostile.conf");
        Files.writeString(conf, String.join("\n",
                "volume.demo.size = 256M", "target.demo.lun.0 = demo",
                "volume.guarded.size = 16M", "target.guarded.lun.0 = guarded",
                "target.guarded.chap.user = alice", "target.guarded.chap.secret = a-secret-of-some-length",
                "iscsi.data-out-budget = 64M", "iscsi.login-timeout = 3", "iscsi.data-out-timeout = 5", ""));
        // it holds a CHAP secret: the daemon refuses a config that every user can read
        Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        try (StowageProcess s = StowageProcess.startWith("hostile", dir.resolve("data"),
                Map.of("STOWAGE_JAVA_OPTS", "-Xmx384m"), "--config", conf.toString())) {
            InetSocketAddress portal = new InetSocketAddress("127.0.0.1", s.port);
            RssSampler rss = new RssSampler(s.process.pid());
            rss.start();
            try (WireInitiator normal = new WireInitiator(portal, null)) {
                assertTrue(normal.login(StowageProcess.IQN, 0x400000000001L, Map.of("ImmediateData", "Yes",
                        "FirstBurstLength", "262144", "MaxRecvDataSegmentLength", "262144")));
                clearUnitAttention(normal);
                writeFor(normal, 2); // warm up
                double baseline = writeFor(normal, 4);
                long rssBefore = rss.current();
                AtomicBoolean stop = new AtomicBoolean();
                Storm storm = new Storm(portal, stop);
                storm.start();
                Thread.sleep(3000); // let the storm fill the windows and the budget
                double during = writeFor(normal, 8);
                Thread.sleep(Math.max(0, (STORM_SECONDS - 11) * 1000L));
                stop.set(true);
                storm.join();
                double after = writeFor(normal, 2);
                rss.stop = true;
                rss.join();
                String figures = String.format("normal session 256 KiB writes: %.1f MiB/s before, %.1f during the"
                                + " storm, %.1f after (%d TASK SET FULL); anonymous RSS %d MiB before the storm, peak %d MiB (bound %d MiB);"
                        + " storm: %s", baseline, during, after, NORMAL_TASK_SET_FULL.get(), rssBefore / MIB,
                        rss.peak / MIB, RSS_BOUND / MIB, storm.summary());
                System.out.println("HostileInitiatorsIT: " + figures);
                Files.writeString(StowageProcess.LOGS.resolve("hostile-figures.txt"), figures + "\n");
                assertTrue(s.process.isAlive(), "the daemon survived");
                assertTrue(rss.peak < RSS_BOUND, figures);
                // the storm's seven client threads share the 2 CPUs with the daemon, and the machine is shared
                // (the rate after the storm varied 122..252 MiB/s): measured 24..46 % of the rate before; a fifth of
                // the lesser of before and after is the floor that says "not starved"
                assertTrue(during > Math.min(baseline, after) / 5, "the normal session kept a fair share: " + figures);
                assertTrue(storm.refusedLogins.get() > 0 && storm.taskSetFull.get() > 0, figures);
                assertFalse(s.output().contains("OutOfMemoryError"), "no OutOfMemoryError in the log");
            }
        }
    }

    static void clearUnitAttention(WireInitiator t) throws IOException {
        t.command(0x7777, false, new byte[16], 0, false, null);
        assertEquals(0x21, t.next().opcode());
    }

    /** 256 KiB writes, all immediate data, 8 outstanding, for {@code seconds}; returns MiB/s. */
    static double writeFor(WireInitiator t, int seconds) throws IOException {
        byte[] data = new byte[256 * 1024];
        Arrays.fill(data, (byte) 0x5A);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        long done = 0;
        int outstanding = 0;
        int itt = 0;
        while (System.nanoTime() < end || outstanding > 0) {
            while (outstanding < 8 && System.nanoTime() < end) {
                t.command(itt, false, WireInitiator.rw10(0x2A, (itt % 512) * 512L, 512), data.length, true, data);
                itt++;
                outstanding++;
            }
            WireInitiator.Rx r = t.next();
            assertEquals(0x21, r.opcode(), "SCSI Response");
            int status = r.bhs()[3] & 0xFF;
            assertTrue(status == 0 || status == 0x28, "GOOD or TASK SET FULL, got " + status);
            if (status == 0) done += data.length;
            else NORMAL_TASK_SET_FULL.incrementAndGet();
            outstanding--;
        }
        return done / (double) MIB / ((System.nanoTime() - start) / 1e9);
    }

    /** Hostile initiators from 127.0.0.2..5 until {@code stop}. */
    static final class Storm {
        final AtomicLong refusedLogins = new AtomicLong();
        final AtomicLong taskSetFull = new AtomicLong();
        final AtomicLong r2ts = new AtomicLong();
        final AtomicLong rejects = new AtomicLong();
        final AtomicLong checkConditions = new AtomicLong();
        final List<Thread> threads = new ArrayList<>();
        final InetSocketAddress portal;
        final AtomicBoolean stop;

        Storm(InetSocketAddress portal, AtomicBoolean stop) {
            this.portal = portal;
            this.stop = stop;
            threads.add(new Thread(() -> loop(this::endlessLoginText), "storm-login-text"));
            threads.add(new Thread(() -> loop(this::endlessLoginText), "storm-login-text-2"));
            threads.add(new Thread(() -> loop(this::trickledLogins), "storm-trickle"));
            threads.add(new Thread(() -> loop(this::wrongChap), "storm-chap"));
            for (int i = 0; i < 3; i++) {
                long isid = 0x400000009000L + i;
                threads.add(new Thread(() -> loop(() -> writesWithoutData(isid)), "storm-writes-" + i));
            }
        }

        interface Attack {
            void run() throws Exception;
        }

        void loop(Attack a) {
            while (!stop.get()) {
                try {
                    a.run();
                } catch (Exception e) {
                    // the target closing on us is the point; go again
                }
            }
        }

        void start() {
            threads.forEach(Thread::start);
        }

        void join() throws InterruptedException {
            for (Thread t : threads) t.join(30_000);
        }

        String summary() {
            return String.format("%d logins refused, %d TASK SET FULL, %d R2Ts, %d Rejects, %d CHECK CONDITIONs",
                    refusedLogins.get(), taskSetFull.get(), r2ts.get(), rejects.get(), checkConditions.get());
        }

        /** 8 KiB Login Requests with C=1 and one key that never ends. */
        void endlessLoginText() throws Exception {
            try (WireInitiator t = new WireInitiator(portal, WireInitiator.loopback(2))) {
                byte[] chunk = new byte[8192];
                Arrays.fill(chunk, (byte) 'k');
                for (int i = 0; i < 1000 && !stop.get(); i++) {
                    java.nio.ByteBuffer h = WireInitiator.bhs(0x43, 0x40 | (1 << 2), chunk.length);
                    h.putLong(8, 0x400000000001L << 16);
                    t.send(h, chunk);
                    WireInitiator.Rx r = t.next();
                    if (r.bhs()[36] != 0) {
                        refusedLogins.incrementAndGet();
                        return;
                    }
                }
            }
        }

        /** 70 connections (the per-address limit is 64) that each promise a login and send a byte now and then. */
        void trickledLogins() throws Exception {
            List<WireInitiator> open = new ArrayList<>();
            try {
                for (int i = 0; i < 70 && !stop.get(); i++) {
                    try {
                        WireInitiator t = new WireInitiator(portal, WireInitiator.loopback(3));
                        open.add(t);
                        t.send(WireInitiator.bhs(0x43, 0x80 | (1 << 2) | 3, 4096), null);
                    } catch (IOException e) {
                        // over the per-address limit: closed at accept
                    }
                }
                for (int round = 0; round < 10 && !stop.get(); round++) {
                    for (WireInitiator t : open) {
                        try {
                            t.raw(new byte[] {'x'});
                        } catch (IOException e) {
                            // closed: at accept (over the per-address limit) or at the login deadline
                        }
                    }
                    Thread.sleep(500);
                }
            } finally {
                for (WireInitiator t : open) t.close();
            }
        }

        /** Logins to the CHAP target that offer no CHAP: authentication failures, then the throttle. */
        void wrongChap() throws Exception {
            try (WireInitiator t = new WireInitiator(portal, WireInitiator.loopback(4))) {
                if (!t.login("iqn.2026-11.io.stowage:guarded", 0x400000000002L, Map.of())) {
                    refusedLogins.incrementAndGet();
                }
            }
        }

        /** A session that keeps its window full of writes that never send data, and immediate ones too. */
        void writesWithoutData(long isid) throws Exception {
            try (WireInitiator t = new WireInitiator(portal, WireInitiator.loopback(5))) {
                if (!t.login(StowageProcess.IQN, isid, Map.of("InitialR2T", "Yes", "ImmediateData", "No",
                        "MaxBurstLength", "16776192"))) {
                    return;
                }
                int itt = 1;
                long end = System.nanoTime() + 8_000_000_000L; // then a fresh session (reinstatement)
                while (!stop.get() && System.nanoTime() < end) {
                    for (int i = 0; i < 160; i++) { // more than the window: the rest is ignored
                        boolean huge = i % 10 == 9;
                        t.command(itt++, i % 20 == 0, WireInitiator.rw10(0x2A, 0, huge ? 0xFFFF : 8192),
                                huge ? 16 << 20 : 4 << 20, true, null);
                    }
                    for (WireInitiator.Rx r; (r = t.nextWithin(200)) != null; ) {
                        switch (r.opcode()) {
                            case 0x31 -> r2ts.incrementAndGet();
                            case 0x3F -> rejects.incrementAndGet();
                            case 0x21 -> {
                                int status = r.bhs()[3] & 0xFF;
                                if (status == 0x28) taskSetFull.incrementAndGet();
                                else if (status == 0x02) checkConditions.incrementAndGet();
                            }
                            default -> { }
                        }
                    }
                }
            }
        }
    }

    /**
     * The daemon's anonymous resident memory ({@code RssAnon}: heap, direct buffers, stacks), sampled every 100 ms.
     * Not VmRSS: that also counts the file-backed pages of LMDB's map and of the sealed SCOs' read-only maps, which
     * are page cache (shared, reclaimable) and not what a hostile client could make the daemon allocate.
     */
    static final class RssSampler extends Thread {
        final Path status;
        volatile boolean stop;
        volatile long peak;

        RssSampler(long pid) {
            super("rss-sampler");
            setDaemon(true);
            status = Path.of("/proc/" + pid + "/status");
        }

        long current() {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("RssAnon:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
            return 0;
        }

        @Override
        public void run() {
            while (!stop) {
                peak = Math.max(peak, current());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
