package io.stowage.node;

import io.stowage.volume.engine.Snapshots;
import io.stowage.volume.engine.Snapshots.SnapshotInfo;
import io.stowage.volume.engine.Volume;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scheduled snapshots with retention, per volume ({@code volume.VOLUME.snapshot-every} minutes, keep
 * {@code volume.VOLUME.snapshot-keep}): a snapshot named {@code auto-<UTC time>} once the newest such snapshot is
 * that old, then the oldest {@code auto-} snapshots beyond the count are deleted, except one a clone depends on
 * (it stays until its clones are gone). Snapshots made by hand are never touched. Only volumes open on this node
 * are looked at, so on several nodes each volume is snapshotted by its owner alone.
 *
 * <p>Threads: one daemon thread of its own, which checks every {@code tickSeconds}; a failed create or delete is
 * logged and retried at the next tick. The policies are asked for at every tick, so a reload applies at once.
 */
public final class SnapshotSchedule implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SnapshotSchedule.class);
    static final String PREFIX = "auto-";
    private static final DateTimeFormatter NAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** Every {@code everyMinutes} minutes (0: none), keeping {@code keep} of them. */
    public record Policy(int everyMinutes, int keep) {
    }

    private final Supplier<Map<String, Policy>> policies;
    private final Supplier<Map<String, Volume>> volumes;
    private final Clock clock;
    private final ScheduledExecutorService timer;

    public SnapshotSchedule(Supplier<Map<String, Policy>> policies, Supplier<Map<String, Volume>> volumes,
                            Clock clock, long tickSeconds) {
        this.policies = policies;
        this.volumes = volumes;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stowage-snapshot-schedule");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, tickSeconds, tickSeconds, TimeUnit.SECONDS);
    }

    /** One look at every scheduled volume; public for tests, which drive it with their own clock. */
    public void tick() {
        Map<String, Volume> open = volumes.get();
        policies.get().forEach((name, policy) -> {
            Volume v = open.get(name);
            if (v == null || policy.everyMinutes() <= 0) return;
            try {
                apply(name, v.snapshots(), policy);
            } catch (Exception e) { // a halted volume, a backend outage: the next tick tries again
                log.warn("volume {}: scheduled snapshot: {}", name, e.getMessage());
            }
        });
    }

    private void apply(String volume, Snapshots snapshots, Policy policy) throws Exception {
        Instant now = clock.instant();
        List<SnapshotInfo> auto = new ArrayList<>();
        for (SnapshotInfo s : snapshots.list()) {
            if (s.name().startsWith(PREFIX)) auto.add(s);
        }
        auto.sort((a, b) -> a.created().compareTo(b.created()));
        Instant newest = auto.isEmpty() ? Instant.MIN : auto.get(auto.size() - 1).created();
        if (auto.isEmpty() || !newest.plusSeconds(60L * policy.everyMinutes()).isAfter(now)) {
            String name = PREFIX + NAME_TIME.format(now);
            if (auto.stream().noneMatch(s -> s.name().equals(name))) {
                auto.add(snapshots.create(name));
                log.info("volume {}: scheduled snapshot {}", volume, name);
            }
        }
        for (int i = 0; i < auto.size() - policy.keep(); i++) {
            SnapshotInfo old = auto.get(i);
            if (old.hasClones()) continue; // kept while a clone needs it
            try {
                snapshots.delete(old.name());
                log.info("volume {}: scheduled snapshot {} deleted (keep {})", volume, old.name(), policy.keep());
            } catch (Snapshots.SnapshotRefusedException e) {
                log.info("volume {}: scheduled snapshot {} kept: {}", volume, old.name(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
