package io.stowage.volume.engine;

/**
 * Tunables of the log-structured volume.
 *
 * @param scoClusters      clusters per SCO (1024 × 4 KiB = 4 MiB by default; 256..16384)
 * @param scosPerTlog      a TLog is closed and uploaded after this many sealed SCOs
 * @param tlogMaxAgeMillis ... or when it has been open this long with entries in it, so quiet volumes still
 *                         reach the backend
 * @param dirtyLimitBytes  data not yet uploaded above this slows writes down (they wait; they never fail)
 * @param cacheLimitBytes  uploaded SCOs are evicted least recently used first above this
 * @param metadataMapBytes LMDB map size (sparse; an upper bound)
 * @param uploadParallelism SCOs of one TLog put to the backend concurrently (RADOS gains from several in flight)
 */
public record VolumeConfig(int scoClusters, int scosPerTlog, long tlogMaxAgeMillis, long dirtyLimitBytes,
                           long cacheLimitBytes, long metadataMapBytes, int uploadParallelism) {
    public static final VolumeConfig DEFAULT = new VolumeConfig(1024, 8, 5000, 256L << 20, 2L << 30, 4L << 30);

    public VolumeConfig {
        if (scoClusters < 1 || scoClusters > 16384) throw new IllegalArgumentException("scoClusters " + scoClusters);
        if (scosPerTlog < 1) throw new IllegalArgumentException("scosPerTlog " + scosPerTlog);
        if (uploadParallelism < 1 || uploadParallelism > 64) {
            throw new IllegalArgumentException("uploadParallelism " + uploadParallelism);
        }
    }

    public VolumeConfig(int scoClusters, int scosPerTlog, long tlogMaxAgeMillis, long dirtyLimitBytes,
                        long cacheLimitBytes, long metadataMapBytes) {
        this(scoClusters, scosPerTlog, tlogMaxAgeMillis, dirtyLimitBytes, cacheLimitBytes, metadataMapBytes, 4);
    }
}
