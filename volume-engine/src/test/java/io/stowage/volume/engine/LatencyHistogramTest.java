package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void anObservationCountsInTheFirstBucketItDoesNotExceedAndInEveryLaterOne() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(50_000);       // exactly the first bound (le = 0.00005)
        h.record(50_001);       // just above it: the second bucket
        h.record(3_000_000);    // 3 ms: the 5 ms bucket
        h.record(60_000_000_000L); // a minute: only +Inf
        LatencyHistogram.Snapshot s = h.snapshot();
        double[] b = LatencyHistogram.boundsSeconds();
        assertEquals(b.length + 1, s.cumulative().length);
        assertEquals(0.00005, b[0]);
        assertEquals(1, s.cumulative()[0]);
        assertEquals(2, s.cumulative()[1]);
        int fiveMs = java.util.Arrays.binarySearch(b, 0.005);
        assertEquals(2, s.cumulative()[fiveMs - 1], "2.5 ms: the 3 ms observation is above it");
        assertEquals(3, s.cumulative()[fiveMs]);
        assertEquals(3, s.cumulative()[b.length - 1], "10 s: the minute is above every bound");
        assertEquals(4, s.count());
        assertEquals(50_000 + 50_001 + 3_000_000 + 60_000_000_000L, s.sumNanos());
    }
}
