package io.stowage.it.fuzz;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.it.StowageProcess;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protocol fuzzer over real TCP against {@code ./stowage serve} (issue 12, "a fuzzer that runs in CI"). Several
 * {@link FuzzWorker}s hammer one target (LUN 0, a 32 MiB volume) with correct and mutated logins and full-feature
 * PDUs while three things run beside them on other targets of the same daemon:
 * <ul>
 *   <li>a well-behaved session (CRC32C digests) writes and reads back random extents of its own volume, checking
 *       every byte against a copy, for the whole run;</li>
 *   <li>a probe logs in, sends TEST UNIT READY twice and logs out every second, each round within a deadline;</li>
 *   <li>a guard volume, filled with seeded data before the run, must be unchanged after it: no write may land
 *       outside what a valid command asked for.</li>
 * </ul>
 * The daemon must stay up; its thread count and anonymous RSS ({@link DaemonVitals}) after the run (workers gone, a few seconds to settle) must stay
 * within a bound of what they were after the warm-up. Every distinct rejection path hit is printed.
 *
 * <p>{@code -Dstowage.fuzz.seconds} (default 100) and {@code -Dstowage.fuzz.workers} (3) make longer or wider
 * runs; {@code -Dstowage.fuzz.seed} repeats a seed (the threads' interleaving still differs from run to run).
 */
class PduFuzzIT {
    static final long SEED = Long.getLong("stowage.fuzz.seed", System.nanoTime());
    static final int SECONDS = Integer.getInteger("stowage.fuzz.seconds", 100);
    static final int WORKERS = Integer.getInteger("stowage.fuzz.workers", 3);
    /** A CI run must fuzz at least this many PDUs (a longer run, proportionally more). */
    static final long MIN_FUZZED = Long.getLong("stowage.fuzz.min-pdus", 100_000L * SECONDS / 100);
    static final int PROBE_DEADLINE_MS = 10_000;
    static final long RSS_GROWTH_LIMIT_MIB = 192;
    static final int THREAD_GROWTH_LIMIT = 6;
    static final String FUZZ = "iqn.2026-11.io.stowage:fuzz";
    static final String GOOD = "iqn.2026-11.io.stowage:good";
    static final String GUARD = "iqn.2026-11.io.stowage:guard";
    static final int GOOD_BLOCKS = 16 << 11;
    static final int GUARD_BLOCKS = 8 << 11;

    @TempDir Path dir;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    @Test
    void hostileInitiatorsCannotHurtTheDaemonOrOtherSessions() throws Exception {
        System.out.println("PduFuzzIT: seed " + SEED + " (-Dstowage.fuzz.seed=" + SEED + "), " + SECONDS + " s, "
                + WORKERS + " workers");
        Path conf = dir.resolve("fuzz.conf");
        Files.writeString(conf, """
                target.fuzz.iqn = %s
                target.fuzz.lun.0 = fuzzvol
                volume.fuzzvol.size = 32M
                target.good.iqn = %s
                target.good.lun.0 = goodvol
                volume.good.size = 16M
                volume.goodvol.size = 16M
                target.guard.iqn = %s
                target.guard.lun.0 = guardvol
                volume.guardvol.size = 8M
                iscsi.nop-in-interval = 5
                """.formatted(FUZZ, GOOD, GUARD).replace("volume.good.size = 16M\n", ""));
        // the whole heap committed and touched at start: the RSS bound then sees what grows besides the heap
        // (buffers, threads), not G1 growing the heap towards -Xmx after the warm-up (CI, 2026-12-04: RssAnon
        // 208 MiB after the warm-up, 345 MiB after the run, the heap still growing)
        try (StowageProcess s = StowageProcess.startWith("pdu-fuzz", dir.resolve("var"),
                Map.of("STOWAGE_JAVA_OPTS", "-Xms384m -Xmx384m -XX:+AlwaysPreTouch -XX:MaxDirectMemorySize=768m"),
                "--config", conf.toString())) {
            try {
                run(s);
            } catch (Throwable t) {
                throw new AssertionError("PduFuzzIT failed with seed " + SEED + " (-Dstowage.fuzz.seed=" + SEED
                        + "); daemon log " + s.log + ": " + t.getMessage(), t);
            }
        }
    }

    private void run(StowageProcess s) throws Exception {
        InetSocketAddress portal = new InetSocketAddress("127.0.0.1", s.port);
        long pid = s.process.pid();
        Random seeded = new Random(SEED);
        byte[] guard = new byte[GUARD_BLOCKS * WireInitiator.BLOCK];
        seeded.nextBytes(guard);
        try (WireInitiator g = new WireInitiator(portal, "iqn.2026-11.io.stowage:guard-writer", 0x0100L << 32, 30_000)) {
            g.login(GUARD, false);
            g.testUnitReady(0);
            for (int at = 0; at < guard.length; at += 256 << 10) {
                g.write(0, at / WireInitiator.BLOCK, Arrays.copyOfRange(guard, at, at + (256 << 10)));
            }
            g.logout();
        }

        byte[] shadow = new byte[GOOD_BLOCKS * WireInitiator.BLOCK];
        AtomicLong goodOps = new AtomicLong();
        Thread good = new Thread(() -> wellBehaved(portal, shadow, new Random(SEED + 1000), goodOps), "good-session");
        AtomicLong probes = new AtomicLong();
        AtomicLong slowestProbe = new AtomicLong();
        Thread probe = new Thread(() -> probe(portal, s, probes, slowestProbe), "probe");
        good.start();
        probe.start();

        FuzzOutcomes outcomes = new FuzzOutcomes();
        long start = System.nanoTime();
        long stopAt = start + SECONDS * 1_000_000_000L;
        List<FuzzWorker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            FuzzWorker w = new FuzzWorker(portal, FUZZ, i, SEED + i, outcomes, stopAt);
            workers.add(w);
            Thread t = new Thread(w, "fuzz-" + i);
            threads.add(t);
            t.start();
        }
        long warmUpEnd = start + Math.min(20, Math.max(5, SECONDS / 5)) * 1_000_000_000L;
        DaemonVitals baseline = null;
        DaemonVitals peak = DaemonVitals.of(pid);
        int stalls = 0;
        long nextReport = System.nanoTime() + 10_000_000_000L;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(500);
            assertTrue(s.process.isAlive(), "the daemon died (exit " + (s.process.isAlive() ? "" : s.process.exitValue())
                    + "); see " + s.log);
            DaemonVitals v = DaemonVitals.of(pid);
            peak = new DaemonVitals(Math.max(peak.threads(), v.threads()), Math.max(peak.anonKib(), v.anonKib()),
                    Math.max(peak.rssKib(), v.rssKib()));
            if (baseline == null && System.nanoTime() > warmUpEnd) {
                baseline = v;
            }
            for (FuzzWorker w : workers) { // a connection the target stopped reading: close it, count it
                java.net.Socket c = w.current;
                if (c != null && System.nanoTime() - w.episodeStarted > 20_000_000_000L) {
                    stalls++;
                    c.close();
                }
            }
            if (System.nanoTime() > nextReport) {
                nextReport += 10_000_000_000L;
                System.out.printf("PduFuzzIT: %d s, %d PDUs (%d fuzzed), %d episodes, %d good-session ops, %d probes,"
                                + " daemon %s%n", (System.nanoTime() - start) / 1_000_000_000L, outcomes.pdus.sum(),
                        outcomes.fuzzedPdus.sum(), outcomes.episodes.sum(), goodOps.get(), probes.get(), v);
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        stop.set(true);
        good.join(60_000);
        probe.join(60_000);
        Thread.sleep(5000); // the fuzz connections' sessions end, their tasks and buffers go
        assertTrue(s.process.isAlive(), "the daemon died; see " + s.log);
        DaemonVitals after = DaemonVitals.of(pid);
        if (baseline == null) {
            baseline = after;
        }

        // the good volume holds exactly what the good session wrote, the guard volume what was put there
        try (WireInitiator v = new WireInitiator(portal, "iqn.2026-11.io.stowage:verifier", 0x0200L << 32, 30_000)) {
            v.login(GOOD, false);
            v.testUnitReady(0);
            for (int lba = 0; lba < GOOD_BLOCKS; lba += 512) {
                assertArrayEquals(Arrays.copyOfRange(shadow, lba * 512, (lba + 512) * 512), v.read(0, lba, 512),
                        "good volume at LBA " + lba + " after the run");
            }
            v.logout();
        }
        try (WireInitiator v = new WireInitiator(portal, "iqn.2026-11.io.stowage:verifier", 0x0300L << 32, 30_000)) {
            v.login(GUARD, true);
            v.testUnitReady(0);
            for (int lba = 0; lba < GUARD_BLOCKS; lba += 512) {
                assertArrayEquals(Arrays.copyOfRange(guard, lba * 512, (lba + 512) * 512), v.read(0, lba, 512),
                        "guard volume at LBA " + lba + " after the run");
            }
            v.logout();
        }

        String log = s.output();
        long errorLines = log.lines().filter(l -> l.contains(" ERROR ")).count();
        // a reset by the peer is what the fuzzer does on purpose (SO_LINGER 0); anything else is a finding
        List<String> exceptions = log.lines().filter(l -> l.contains("Exception") || l.contains("Error:"))
                .filter(l -> !l.contains("Connection reset") && !l.contains("Broken pipe")).toList();
        StringBuilder report = new StringBuilder();
        report.append(String.format("PduFuzzIT report: seed %d, %d s, %d workers%n", SEED, SECONDS, WORKERS));
        report.append(String.format("  PDUs sent %d (%.1f MiB), fuzzed %d (mutated %d, randomised CDBs %d)%n",
                outcomes.pdus.sum(), outcomes.bytesSent.sum() / 1048576.0, outcomes.fuzzedPdus.sum(),
                outcomes.mutatedPdus.sum(), outcomes.fuzzedCdbs.sum()));
        report.append(String.format("  connections %d, %d reached full feature phase, GOOD answers %d, stalls %d%n",
                outcomes.episodes.sum(), outcomes.fullFeatureEpisodes.sum(), outcomes.goodStatus.sum(), stalls));
        report.append(String.format("  good session: %d verified ops; probes: %d, slowest %d ms%n", goodOps.get(),
                probes.get(), slowestProbe.get()));
        report.append(String.format("  daemon: after warm-up %s, peak %s, after the run %s%n", baseline, peak, after));
        report.append(String.format("  daemon log: %d ERROR lines, %d unexpected exception lines%n", errorLines,
                exceptions.size()));
        Map<String, Long> rejections = outcomes.rejectionPaths();
        report.append(String.format("  distinct rejection paths: %d (reject %d, login %d, sense %d, drop %d, other %d)%n",
                rejections.size(), outcomes.distinct("reject"), outcomes.distinct("login"),
                outcomes.distinct("sense"), outcomes.distinct("drop"),
                rejections.size() - outcomes.distinct("reject") - outcomes.distinct("login")
                        - outcomes.distinct("sense") - outcomes.distinct("drop")));
        outcomes.allPaths().forEach((k, v) -> report.append(String.format("    %8d  %s%n", v, k)));
        System.out.print(report);
        Files.createDirectories(StowageProcess.REPO.resolve("tests/target/reports"));
        Files.writeString(StowageProcess.REPO.resolve("tests/target/reports/pdu-fuzz.txt"), report);

        assertTrue(failures.isEmpty(), "invariants broken: " + failures);
        assertTrue(outcomes.fuzzedPdus.sum() >= MIN_FUZZED, "only " + outcomes.fuzzedPdus.sum()
                + " fuzzed PDUs, want " + MIN_FUZZED);
        assertTrue(goodOps.get() >= 20, "the good session made progress: " + goodOps.get());
        assertTrue(probes.get() >= SECONDS / 4, "probes ran: " + probes.get());
        assertTrue(outcomes.goodStatus.sum() >= 10L * SECONDS, "fuzzed commands got past the checks too: "
                + outcomes.goodStatus.sum() + " GOOD answers");
        assertTrue(rejections.size() >= 20, "distinct rejection paths: " + rejections.keySet());
        assertTrue(after.threads() <= baseline.threads() + THREAD_GROWTH_LIMIT, "threads grew: after warm-up "
                + baseline + ", after the run " + after);
        assertTrue(after.anonMib() <= baseline.anonMib() + RSS_GROWTH_LIMIT_MIB, "anonymous RSS grew: after warm-up "
                + baseline + ", after the run " + after);
        assertFalse(log.contains("OutOfMemoryError"), "the daemon ran out of memory; see " + s.log);
        assertEquals(0, errorLines, "ERROR lines in " + s.log);
        assertTrue(exceptions.isEmpty(), "exceptions in the daemon log: " + exceptions.stream().limit(5).toList());
    }

    /** Writes random extents of its volume, reads each back, and now and then re-reads another: all must match. */
    private void wellBehaved(InetSocketAddress portal, byte[] shadow, Random rnd, AtomicLong ops) {
        try (WireInitiator w = new WireInitiator(portal, "iqn.2026-11.io.stowage:good-session", 0x0400L << 32,
                PROBE_DEADLINE_MS * 3)) {
            w.login(GOOD, true);
            if (w.testUnitReady(0) != 2) {
                failures.add("good session: no unit attention on its first command");
            }
            while (!stop.get()) {
                int blocks = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 1024 : 64); // up to 512 KiB: R2Ts too
                long lba = rnd.nextInt(GOOD_BLOCKS - blocks + 1);
                byte[] data = new byte[blocks * 512];
                rnd.nextBytes(data);
                w.write(0, lba, data);
                System.arraycopy(data, 0, shadow, (int) lba * 512, data.length);
                if (!Arrays.equals(data, w.read(0, lba, blocks))) {
                    failures.add("good session: read-back mismatch at LBA " + lba + " (" + blocks + " blocks)");
                    return;
                }
                if (rnd.nextInt(8) == 0) {
                    int n = 256;
                    long at = rnd.nextInt(GOOD_BLOCKS - n + 1);
                    if (!Arrays.equals(Arrays.copyOfRange(shadow, (int) at * 512, (int) (at + n) * 512),
                            w.read(0, at, n))) {
                        failures.add("good session: old data changed at LBA " + at);
                        return;
                    }
                }
                ops.incrementAndGet();
            }
            w.logout();
        } catch (Exception e) {
            failures.add("good session: " + e);
        }
    }

    /** Every second: connect, login, TEST UNIT READY (unit attention), TEST UNIT READY (GOOD), logout in time. */
    private void probe(InetSocketAddress portal, StowageProcess s, AtomicLong probes, AtomicLong slowest) {
        long isid = 0x0500L << 32;
        while (!stop.get()) {
            long t0 = System.nanoTime();
            try (WireInitiator p = new WireInitiator(portal, "iqn.2026-11.io.stowage:probe", isid++, PROBE_DEADLINE_MS)) {
                p.login(GOOD, false);
                int first = p.testUnitReady(0);
                int second = p.testUnitReady(0);
                if (first != 2 || second != 0) {
                    failures.add("probe: TEST UNIT READY answered " + first + " then " + second);
                }
                p.logout();
            } catch (Exception e) {
                failures.add("probe after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            slowest.accumulateAndGet(ms, Math::max);
            if (ms > PROBE_DEADLINE_MS) {
                failures.add("probe took " + ms + " ms");
            }
            probes.incrementAndGet();
            if (!s.process.isAlive()) {
                return;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
