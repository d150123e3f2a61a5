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
 * @param metadataMapBytes initial LMDB map size (address space, not disk), doubled whenever it fills;
 *                         {@link #METADATA_MAP_FROM_VOLUME_SIZE} (the default) sizes it from the volume
 * @param uploadParallelism SCOs put to the backend concurrently, over all the TLogs in flight (RADOS gains from
 *     many in flight); it also sets how many TLogs are uploaded at once (Uploader.tlogsInFlight)
 * @param scrubIntervalMillis a scrub pass (garbage collection of overwritten data) runs this often; 0 = never
 * @param dtl              a flush (and FUA, write-through) returns only once what it covers is also in the volume's
 *                         DTL objects in the backend (io.stowage.volume.dtl): it survives the loss of the node
 * @param readCacheBytes   local read cache of clusters read from the backend after eviction ({@link ClusterCache},
 *                         one file of at most this many bytes per volume); 0 = none
 */
public record VolumeConfig(int scoClusters, int scosPerTlog, long tlogMaxAgeMillis, long dirtyLimitBytes,
                           long cacheLimitBytes, long metadataMapBytes, int uploadParallelism,
                           long scrubIntervalMillis, boolean dtl, long readCacheBytes) {
    /** {@code metadataMapBytes} value: size the LMDB map from the volume's size ({@code ClusterMap.mapSizeFor}). */
    public static final long METADATA_MAP_FROM_VOLUME_SIZE = 0;
    public static final VolumeConfig DEFAULT = new VolumeConfig(1024, 8, 5000, 256L << 20, 2L << 30,
            METADATA_MAP_FROM_VOLUME_SIZE, 16, 60_000, false, 0);
    /** A scrub pass moves SCOs whose live share is at most this, ... */
    public static final double SCRUB_MAX_LIVE_RATIO = 0.5;
    /** ... at most this many per pass (bounds one pass's extra writes to 64 × 4 MiB / 2 by default). */
    public static final int SCRUB_MAX_VICTIMS = 64;

    public VolumeConfig {
        if (scoClusters < 1 || scoClusters > 16384) throw new IllegalArgumentException("scoClusters " + scoClusters);
        if (scosPerTlog < 1) throw new IllegalArgumentException("scosPerTlog " + scosPerTlog);
        if (metadataMapBytes < 0) throw new IllegalArgumentException("metadataMapBytes " + metadataMapBytes);
        if (scrubIntervalMillis < 0) throw new IllegalArgumentException("scrubIntervalMillis " + scrubIntervalMillis);
        if (uploadParallelism < 1 || uploadParallelism > 64) {
            throw new IllegalArgumentException("uploadParallelism " + uploadParallelism);
        }
        if (readCacheBytes < 0) throw new IllegalArgumentException("readCacheBytes " + readCacheBytes);
    }

    /** Without a read cache. */
    public VolumeConfig(int scoClusters, int scosPerTlog, long tlogMaxAgeMillis, long dirtyLimitBytes,
                        long cacheLimitBytes, long metadataMapBytes, int uploadParallelism, long scrubIntervalMillis,
                        boolean dtl) {
        this(scoClusters, scosPerTlog, tlogMaxAgeMillis, dirtyLimitBytes, cacheLimitBytes, metadataMapBytes,
                uploadParallelism, scrubIntervalMillis, dtl, 0);
    }

    public VolumeConfig(int scoClusters, int scosPerTlog, long tlogMaxAgeMillis, long dirtyLimitBytes,
                        long cacheLimitBytes, long metadataMapBytes, int uploadParallelism, long scrubIntervalMillis) {
        this(scoClusters, scosPerTlog, tlogMaxAgeMillis, dirtyLimitBytes, cacheLimitBytes, metadataMapBytes,
                uploadParallelism, scrubIntervalMillis, false);
    }

    public VolumeConfig(int scoClusters, int scosPerTlog, long tlogMaxAgeMillis, long dirtyLimitBytes,
                        long cacheLimitBytes, long metadataMapBytes) {
        this(scoClusters, scosPerTlog, tlogMaxAgeMillis, dirtyLimitBytes, cacheLimitBytes, metadataMapBytes, 4, 0);
    }

    /** This config with the DTL on or off. */
    public VolumeConfig withDtl(boolean on) {
        return new VolumeConfig(scoClusters, scosPerTlog, tlogMaxAgeMillis, dirtyLimitBytes, cacheLimitBytes,
                metadataMapBytes, uploadParallelism, scrubIntervalMillis, on, readCacheBytes);
    }
}
