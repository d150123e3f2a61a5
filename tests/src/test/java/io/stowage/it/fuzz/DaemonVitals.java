package io.stowage.it.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The daemon's thread count and resident memory, from {@code /proc/PID/status}. */
record DaemonVitals(int threads, long rssKib) {
    static DaemonVitals of(long pid) throws IOException {
        int threads = -1;
        long rss = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring(8).trim());
            } else if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return new DaemonVitals(threads, rss);
    }

    long rssMib() {
        return rssKib / 1024;
    }

    @Override
    public String toString() {
        return threads + " threads, RSS " + rssMib() + " MiB";
    }
}
