package io.stowage.volume.engine;

import java.util.concurrent.atomic.LongAdder;

/**
 * A latency histogram with fixed buckets (50 µs to 10 s, then +Inf), as Prometheus histograms are scraped:
 * recording is a short scan of a constant array and two {@link LongAdder} increments, so the data path takes no
 * lock and allocates nothing; a scrape sums the adders. Thread-safe; a scrape racing a record may see the count
 * and the sum one observation apart, which a rate over a scrape interval does not notice.
 */
public final class LatencyHistogram {
    /** Upper bounds of the buckets in nanoseconds (an observation lands in the first bucket it does not exceed). */
    private static final long[] BOUNDS_NANOS = {
        50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000,
        1_000_000_000, 2_500_000_000L, 5_000_000_000L, 10_000_000_000L};

    private final LongAdder[] counts = new LongAdder[BOUNDS_NANOS.length + 1]; // the last: above every bound
    private final LongAdder sumNanos = new LongAdder();

    public LatencyHistogram() {
        for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
    }

    /** Records one observation of {@code nanos}. */
    public void record(long nanos) {
        int i = 0;
        while (i < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[i]) i++;
        counts[i].increment();
        sumNanos.add(nanos);
    }

    /** The bucket bounds in seconds, as Prometheus {@code le} labels, without +Inf. */
    public static double[] boundsSeconds() {
        double[] s = new double[BOUNDS_NANOS.length];
        for (int i = 0; i < s.length; i++) s[i] = BOUNDS_NANOS[i] / 1e9;
        return s;
    }

    /** Cumulative counts per bound of {@link #boundsSeconds}, then the total (+Inf), and the sum in nanoseconds. */
    public Snapshot snapshot() {
        long[] cumulative = new long[counts.length];
        long n = 0;
        for (int i = 0; i < counts.length; i++) {
            n += counts[i].sum();
            cumulative[i] = n;
        }
        return new Snapshot(cumulative, sumNanos.sum());
    }

    /** What a scrape reads: {@code cumulative[i]} observations at most bound i; the last element is the count. */
    public record Snapshot(long[] cumulative, long sumNanos) {
        public long count() {
            return cumulative[cumulative.length - 1];
        }
    }
}
