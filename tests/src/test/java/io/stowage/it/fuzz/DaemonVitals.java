package io.stowage.it.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The daemon's thread count and resident memory, from {@code /proc/PID/status}. The bound is on anonymous memory
 * ({@code RssAnon}: heap, direct buffers, thread stacks, the JVM's own): file-backed pages the daemon maps (LMDB's
 * map, the read-only maps of sealed SCOs) are the kernel's page cache, shared and reclaimable, and count in
 * {@code VmRSS} as soon as they are read through the map, however much memory is free (docs/configuration.md,
 * "Memory"). {@code VmRSS} is kept for the report.
 */
record DaemonVitals(int threads, long anonKib, long rssKib) {
    static DaemonVitals of(long pid) throws IOException {
        int threads = -1;
        long anon = -1;
        long rss = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring(8).trim());
            } else if (line.startsWith("RssAnon:")) {
                anon = Long.parseLong(line.substring(8).trim().split("\\s+")[0]);
            } else if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return new DaemonVitals(threads, anon, rss);
    }

    /** Anonymous resident memory: what the memory bound is about. */
    long anonMib() {
        return anonKib / 1024;
    }

    @Override
    public String toString() {
        return threads + " threads, anonymous RSS " + anonMib() + " MiB (VmRSS " + rssKib / 1024
                + " MiB with file-backed maps)";
    }
}
