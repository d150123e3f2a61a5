package io.stowage.rados;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's upload rate to RADOS under a 1 MiB write load (8 writers, as bench.py's upload measurement), in
 * process (no iSCSI), beside {@code rados bench} 4 MiB writes x16 on the same pool: from the first write until all
 * of it is committed. {@code -Dstowage.upload.mib} (default 512) and {@code -Dstowage.upload.parallelism} (default
 * the server's, 16). For figures, with {@code CEPH_STORE=bluestore CEPH_STORE_BYTES=16000000000}; the assertion is
 * only that everything arrives.
 */
class RadosUploadThroughputIT {
    @TempDir Path dir;

    @Test
    void uploadRateUnderWriteLoadBesideRadosBench() throws Exception {
        CephCluster cluster = CephCluster.get();
        RadosBackendConfig rc = cluster.config(CephCluster.uniquePrefix("upload"));
        int mib = Integer.getInteger("stowage.upload.mib", 512);
        VolumeConfig d = VolumeConfig.DEFAULT;
        VolumeConfig config = new VolumeConfig(d.scoClusters(), d.scosPerTlog(), d.tlogMaxAgeMillis(),
                d.dirtyLimitBytes(), d.cacheLimitBytes(), d.metadataMapBytes(),
                Integer.getInteger("stowage.upload.parallelism", d.uploadParallelism()), 0);
        byte[] chunk = new byte[1 << 20];
        new Random(7).nextBytes(chunk);
        try (RadosBackend backend = new RadosBackend(rc)) {
            VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend, config);
            e.create("v", (long) mib << 20);
            Volume v = e.open("v");
            long t0 = System.nanoTime();
            AtomicLong next = new AtomicLong();
            ExecutorService writers = Executors.newFixedThreadPool(8);
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                fs.add(writers.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < mib; ) {
                        ByteBuffer b = ByteBuffer.wrap(chunk);
                        b.putInt(0, (int) i); // every MiB differs
                        v.write(i << 20, b, false);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
            writers.shutdown();
            double written = (System.nanoTime() - t0) / 1e9;
            v.syncToBackend(600_000);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Volume.Stats s = v.stats();
            assertEquals(0, s.dirtyBytes());
            assertTrue(s.uploadedBytes() >= (long) mib << 20);
            double engine = s.uploadedBytes() / seconds / 1e6;
            v.close();
            double bench = radosBench(cluster);
            System.out.printf("upload to RADOS (in process, upload-parallelism %d): engine %.1f MB/s (%d MiB, "
                            + "written in %.1f s, committed in %.1f s, %d TLogs), rados bench write 4 MiB x16: %.1f "
                            + "MB/s, ratio %.2f%n", config.uploadParallelism(), engine, s.uploadedBytes() >> 20,
                    written, seconds, s.uploadedTlogs(), bench, engine / bench);
        }
    }

    /** {@code rados bench 5 write -t 16} (4 MiB objects) on the pool, in its "MB/sec" (as bench.py takes it). */
    private static double radosBench(CephCluster cluster) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("rados", "-c", cluster.conf.toString(), "-p", "stowage", "bench", "5", "write",
                "-t", "16", "--run-name", "stowage-upload-it").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        new ProcessBuilder("rados", "-c", cluster.conf.toString(), "-p", "stowage", "cleanup", "--run-name",
                "stowage-upload-it").redirectErrorStream(true).start().waitFor();
        for (String line : out.split("\n")) {
            if (line.startsWith("Bandwidth (MB/sec):")) return Double.parseDouble(line.split(":")[1].trim());
        }
        throw new IOException("rados bench printed no bandwidth: " + out);
    }
}
