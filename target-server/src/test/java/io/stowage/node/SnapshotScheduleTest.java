package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.Snapshots.SnapshotInfo;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduled snapshots: one per interval, named auto-<time>, the oldest beyond the count deleted, hand-made kept. */
class SnapshotScheduleTest {
    @TempDir
    Path dir;

    /** A clock the test moves; the snapshots' own creation times are the real time, as in the daemon. */
    static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void forwardMinutes(long m) {
            now.updateAndGet(t -> t.plusSeconds(60 * m));
        }
    }

    private static List<String> names(Volume v) {
        return v.snapshots().list().stream().map(SnapshotInfo::name).sorted().toList();
    }

    @Test
    void takesOnePerIntervalAndKeepsTheNewestOnesAndThoseMadeByHand() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                VolumeConfig.DEFAULT);
        engine.create("web", 1 << 20);
        engine.create("idle", 1 << 20);
        MovableClock clock = new MovableClock();
        try (Volume web = engine.open("web"); Volume idle = engine.open("idle");
             SnapshotSchedule schedule = new SnapshotSchedule(
                     () -> Map.of("web", new SnapshotSchedule.Policy(60, 2), "absent", new SnapshotSchedule.Policy(1, 1)),
                     () -> Map.of("web", web, "idle", idle), clock, 3600)) {
            web.snapshots().create("by-hand");
            schedule.tick();
            assertEquals(2, names(web).size(), "the first tick takes one: " + names(web));
            clock.forwardMinutes(30);
            schedule.tick();
            assertEquals(2, names(web).size(), "not yet an hour: " + names(web));
            for (int i = 0; i < 3; i++) {
                clock.forwardMinutes(61);
                web.write(0, ByteBuffer.wrap(new byte[4096]), false);
                schedule.tick();
            }
            List<String> left = names(web);
            assertEquals(3, left.size(), "two scheduled ones and the one made by hand: " + left);
            assertTrue(left.contains("by-hand"), left.toString());
            String newest = SnapshotSchedule.PREFIX + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                    .withZone(ZoneOffset.UTC).format(clock.instant());
            assertTrue(left.contains(newest), "the newest is named after the time it was taken: " + left);
            assertTrue(names(idle).isEmpty(), "a volume without a policy gets none");
        }
    }
}
