package io.stowage.it.fuzz;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the fuzzer sent and what came back, shared by all fuzzing connections: counters, and every distinct answer
 * path (a Reject reason, a login status, a sense key/ASC/ASCQ, a TMF response, a dropped connection after a given
 * PDU and mutation ...) with how often it was hit.
 */
final class FuzzOutcomes {
    final LongAdder pdus = new LongAdder();
    final LongAdder mutatedPdus = new LongAdder();
    final LongAdder fuzzedCdbs = new LongAdder();
    /** PDUs mutated, or carrying a randomised CDB, or both: each counted once. */
    final LongAdder fuzzedPdus = new LongAdder();
    final LongAdder episodes = new LongAdder();
    final LongAdder fullFeatureEpisodes = new LongAdder();
    final LongAdder goodStatus = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    private final Map<String, LongAdder> paths = new ConcurrentHashMap<>();

    void hit(String path) {
        paths.computeIfAbsent(path, k -> new LongAdder()).increment();
    }

    /** Paths that are the target refusing or ending something (everything but plain success). */
    Map<String, Long> rejectionPaths() {
        Map<String, Long> m = new TreeMap<>();
        paths.forEach((k, v) -> {
            if (!k.startsWith("ok ")) {
                m.put(k, v.sum());
            }
        });
        return m;
    }

    Map<String, Long> allPaths() {
        Map<String, Long> m = new TreeMap<>();
        paths.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long distinct(String prefix) {
        return paths.keySet().stream().filter(k -> k.startsWith(prefix)).count();
    }
}
