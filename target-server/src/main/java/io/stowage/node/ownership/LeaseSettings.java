package io.stowage.node.ownership;

import java.time.Duration;

/**
 * How volume leases are held (config keys {@code lease.*}). A lease taken or renewed by a request sent at time
 * {@code t} lets its holder serve until {@code t + duration - margin}; the holder renews every {@code renewInterval};
 * a standby tries to take a volume every {@code pollInterval}. Failing over a dead owner takes at most
 * {@link #failoverBound()} plus the time to open the volume (blocklisting, epoch bump, DTL replay).
 */
public record LeaseSettings(Duration duration, Duration renewInterval, Duration pollInterval) {
    public static final LeaseSettings DEFAULT = new LeaseSettings(Duration.ofSeconds(15), Duration.ofSeconds(3),
            Duration.ofSeconds(2));

    public LeaseSettings {
        if (renewInterval.multipliedBy(3).compareTo(duration) > 0) {
            throw new IllegalArgumentException("the renew interval (" + renewInterval.toMillis() + " ms) must be at"
                    + " most a third of the lease duration (" + duration.toMillis() + " ms)");
        }
    }

    /**
     * How long before the lease could expire the holder stops serving: a fifth of the duration (3 s by default), for
     * clock-rate differences and commands already admitted. At least one renew interval is left before it.
     */
    public Duration margin() {
        return duration.dividedBy(5);
    }

    /** The longest a volume stays unserved after its owner dies: the lease runs out, then one poll. */
    public Duration failoverBound() {
        return duration.plus(pollInterval);
    }
}
