package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code mkfs} does first on a big thin LUN: discard all of it. Through iSCSI (QEMU's block driver, UNMAP), a
 * 1 TiB volume, the daemon under {@code -Xmx512m}: the whole volume is discarded in 1 GiB commands, fresh and after
 * data was written scattered over it; peak RSS stays under 1 GiB and verified I/O works afterwards. (A per-cluster
 * discard marker made this 268 M heap entries: an OutOfMemoryError.) The scattered data is 256 MiB here to keep the
 * run short; {@code -Dstowage.it.scattered-mib=4096} runs the full 4 GiB.
 */
class ThinDiscardIT {
    static final long GIB = 1L << 30;
    static final long RSS_LIMIT_KIB = 1L << 20; // 1 GiB
    @TempDir Path dir;

    @Test
    void discardingA1TibVolumeStaysWithinMemoryAndLeavesItUsable() throws Exception {
        int scatteredMib = Integer.getInteger("stowage.it.scattered-mib", 256);
        Path conf = dir.resolve("thin.conf");
        Files.writeString(conf, "volume.demo.size = 1T\ntarget.demo.lun.0 = demo\n");
        try (StowageProcess s = StowageProcess.startWith("thin-discard", dir.resolve("var"),
                Map.of("STOWAGE_JAVA_OPTS", "-Xmx512m"), "--config", conf.toString())) {
            String url = s.url(0);
            long t0 = System.nanoTime();
            discardAll(url);
            long freshMs = (System.nanoTime() - t0) / 1_000_000;
            qemuIo(url, List.of("write -P 0x5a 100G 4M", "read -P 0x5a 100G 4M", "read -P 0 0 1M"));

            // scattered: 1 MiB every (1 TiB / count), each with its own pattern
            long stride = (1L << 40) / scatteredMib;
            List<String> writes = new ArrayList<>();
            List<String> reads = new ArrayList<>();
            List<String> zeros = new ArrayList<>();
            for (int i = 0; i < scatteredMib; i++) {
                long at = i * stride;
                writes.add("write -P " + (i % 250 + 1) + " " + at + " 1M");
                if (i % 16 == 0) {
                    reads.add("read -P " + (i % 250 + 1) + " " + at + " 1M");
                    zeros.add("read -P 0 " + at + " 1M");
                }
            }
            long t1 = System.nanoTime();
            qemuIo(url, writes);
            long writeMs = (System.nanoTime() - t1) / 1_000_000;
            qemuIo(url, reads);
            long t2 = System.nanoTime();
            discardAll(url);
            long afterDataMs = (System.nanoTime() - t2) / 1_000_000;
            qemuIo(url, zeros);
            qemuIo(url, List.of("read -P 0 100G 4M", "write -P 0x33 5G 8M", "read -P 0x33 5G 8M"));

            long peakKib = peakRssKib(s.process.pid());
            System.out.printf("ThinDiscardIT: 1 TiB discarded fresh in %d ms; %d MiB written scattered in %d ms, "
                    + "then 1 TiB discarded in %d ms; peak RSS %d MiB (-Xmx512m)%n", freshMs, scatteredMib, writeMs,
                    afterDataMs, peakKib >> 10);
            assertTrue(peakKib < RSS_LIMIT_KIB, "peak RSS " + (peakKib >> 10) + " MiB");
            String log = s.output();
            assertFalse(log.contains("OutOfMemoryError"), log);
            assertFalse(log.contains("halted"), log);
        }
    }

    /** The whole volume, 1 GiB per discard command (QEMU splits each into UNMAPs of the advertised maximum). */
    private static void discardAll(String url) throws Exception {
        List<String> commands = new ArrayList<>();
        for (int g = 0; g < 1024; g++) commands.add("discard " + g + "G 1G");
        qemuIo(url, commands);
    }

    /** Runs qemu-io commands in one session; any failed command or pattern mismatch fails the test. */
    private static void qemuIo(String url, List<String> commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", "-d", "unmap"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(url);
        String out = Tools.run(600, cmd.toArray(String[]::new)).ok().output();
        for (String line : out.lines().toList()) {
            assertFalse(line.contains("Pattern verification failed") || line.contains("failed:")
                    || line.contains("error"), line + "\n(in the output of " + commands.size() + " commands)");
        }
        long done = out.lines().filter(l -> l.matches("(read|wrote|discard) \\d+/\\d+ bytes at offset \\d+")).count();
        assertEquals(commands.size(), done, out);
    }

    /** VmHWM: the process's peak resident set, in KiB. */
    private static long peakRssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new AssertionError("no VmHWM for " + pid);
    }
}
