package io.stowage.volume.engine;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures on the directory store ({@link SnapshotTimings}): snapshot, clone, the clone's first open on another
 * node, rollback and scrub of a volume with {@code stowage.snapshot.mib} MiB written (1 GiB by default;
 * {@code -Dstowage.snapshot.mib=16384} for the large case).
 */
class SnapshotTimingIT {
    @TempDir Path dir;

    /** The engine defaults, with no background scrub (the sequence runs its own pass). */
    static VolumeConfig config() {
        VolumeConfig c = VolumeConfig.DEFAULT;
        return new VolumeConfig(c.scoClusters(), c.scosPerTlog(), c.tlogMaxAgeMillis(), c.dirtyLimitBytes(),
                c.cacheLimitBytes(), c.metadataMapBytes(), c.uploadParallelism(), 0);
    }

    @Test
    void snapshotCloneRollbackAndScrubOfAWrittenVolume() throws Exception {
        Path objects = dir.resolve("objects");
        new SnapshotTimings(cache -> new VolumeEngine(cache, new DirectoryBackend(objects), config()), dir)
                .run("directory", "v", Integer.getInteger("stowage.snapshot.mib", 1024));
    }
}
