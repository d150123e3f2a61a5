package io.stowage.rados;

import io.stowage.volume.engine.SnapshotTimings;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures on RADOS ({@link SnapshotTimings}): snapshot under write load, clone, the clone's first open on another
 * node from RADOS alone, rollback and scrub, for a volume with {@code stowage.snapshot.mib} MiB written (256 MiB by
 * default, so the suite's memstore OSD holds it; the 1 and 16 GiB figures in docs are taken with
 * {@code CEPH_STORE=bluestore} and {@code -Dstowage.snapshot.mib=1024|16384}).
 */
class RadosSnapshotTimingIT {
    @TempDir Path dir;
    private final List<RadosBackend> backends = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (RadosBackend b : backends) b.close();
    }

    @Test
    void snapshotCloneRollbackAndScrubOfAWrittenVolume() throws Exception {
        RadosBackendConfig rc = CephCluster.get().config(CephCluster.uniquePrefix("timing"));
        VolumeConfig c = VolumeConfig.DEFAULT;
        VolumeConfig config = new VolumeConfig(c.scoClusters(), c.scosPerTlog(), c.tlogMaxAgeMillis(),
                c.dirtyLimitBytes(), c.cacheLimitBytes(), c.metadataMapBytes(), c.uploadParallelism(), 0);
        new SnapshotTimings(cache -> {
            RadosBackend b = new RadosBackend(rc); // one client per node, as two daemons would have
            backends.add(b);
            return new VolumeEngine(cache, b, config);
        }, dir).run("rados", "v", Integer.getInteger("stowage.snapshot.mib", 256));
    }
}
