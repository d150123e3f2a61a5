package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsEndpointTest {
    @TempDir Path dir;

    private VolumeEngine engine() throws java.io.IOException {
        return new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")), VolumeConfig.DEFAULT);
    }

    @Test
    void servesPerVolumeCountersInPrometheusTextFormat() throws Exception {
        VolumeEngine engine = engine();
        engine.create("vol-a", 1 << 20);
        try (Volume v = engine.open("vol-a");
             MetricsEndpoint m = new MetricsEndpoint(new InetSocketAddress("127.0.0.1", 0),
                     () -> Map.of("vol-a", new VolumeBlockDevice(v, Runnable::run)), () -> 3, Map::of)) {
            v.write(0, ByteBuffer.allocate(8192), false);
            v.flush();
            v.read(0, ByteBuffer.allocate(4096));
            String body = new String(URI.create("http://127.0.0.1:" + m.address().getPort() + "/metrics").toURL()
                    .openStream().readAllBytes());
            assertTrue(body.contains("stowage_iscsi_sessions 3\n"), body);
            assertTrue(body.contains("stowage_volume_written_bytes_total{volume=\"vol-a\"} 8192\n"), body);
            assertTrue(body.contains("stowage_volume_read_bytes_total{volume=\"vol-a\"} 4096\n"), body);
            assertTrue(body.contains("stowage_volume_flushes_total{volume=\"vol-a\"} 1\n"), body);
            assertTrue(body.contains("stowage_volume_dirty_bytes{volume=\"vol-a\"} 8192\n"), body);
            assertTrue(body.contains("stowage_volume_halted{volume=\"vol-a\"} 0\n"), body);
            assertTrue(body.contains("stowage_volume_scrubbed_scos_total{volume=\"vol-a\"} 0\n"), body);
            assertTrue(body.contains("# TYPE stowage_volume_uploaded_bytes_total counter\n"), body);
            v.syncToBackend(30_000);
            body = MetricsEndpoint.render(Map.of("vol-a", new VolumeBlockDevice(v, Runnable::run)), 0, Map.of());
            assertTrue(body.contains("stowage_volume_dirty_bytes{volume=\"vol-a\"} 0\n"), body);
            assertTrue(body.contains("stowage_volume_uploaded_bytes_total{volume=\"vol-a\"} 8192\n"), body);
        }
    }

    /** An executor that runs nothing until told: I/O submitted to it is in flight (queue depth). */
    private static final class HeldExecutor implements Executor {
        final ArrayDeque<Runnable> held = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            held.add(r);
        }

        void runAll() {
            while (!held.isEmpty()) held.poll().run();
        }
    }

    private static long value(String body, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\d+(?:\\.\\d+)?(?:E-?\\d+)?)$").matcher(body);
        assertTrue(m.find(), series + " missing in\n" + body);
        return (long) Double.parseDouble(m.group(1));
    }

    /** What a dashboard shows: IOPS, latency histograms, queue depth, cache hits, cache and upload state, scrub. */
    @Test
    void servesTheDashboardsMetrics() throws Exception {
        VolumeEngine engine = engine();
        engine.create("vol-a", 1 << 20);
        HeldExecutor io = new HeldExecutor();
        try (Volume v = engine.open("vol-a")) {
            VolumeBlockDevice dev = new VolumeBlockDevice(v, io);
            Map<String, VolumeBlockDevice> vols = Map.of("vol-a", dev);
            // with FUA, so that it waits in the held executor: a plain write with nothing in flight would be done
            // at once on this thread (VolumeBlockDevice#write)
            CompletionStage<Void> w1 = dev.write(0, ByteBuffer.allocate(8192), true);
            CompletionStage<Void> w2 = dev.write(8192, ByteBuffer.allocate(4096), false);
            String body = MetricsEndpoint.render(vols, 2, Map.of("iqn.2026-11.io.stowage:a", 2, "iqn.2026-11.io.stowage:b", 0));
            assertEquals(2, value(body, "stowage_volume_queue_depth{volume=\"vol-a\"}"), "two writes in flight");
            io.runAll();
            w1.toCompletableFuture().join();
            w2.toCompletableFuture().join();
            dev.read(0, ByteBuffer.allocate(4096));
            io.runAll();
            body = MetricsEndpoint.render(vols, 2, Map.of("iqn.2026-11.io.stowage:a", 2, "iqn.2026-11.io.stowage:b", 0));
            assertEquals(0, value(body, "stowage_volume_queue_depth{volume=\"vol-a\"}"));
            assertEquals(2, value(body, "stowage_volume_write_ops_total{volume=\"vol-a\"}"));
            assertEquals(1, value(body, "stowage_volume_read_ops_total{volume=\"vol-a\"}"));
            assertEquals(2, value(body, "stowage_volume_write_latency_seconds_count{volume=\"vol-a\"}"));
            assertEquals(2, value(body, "stowage_volume_write_latency_seconds_bucket{volume=\"vol-a\",le=\"+Inf\"}"));
            assertEquals(1, value(body, "stowage_volume_read_latency_seconds_bucket{volume=\"vol-a\",le=\"+Inf\"}"));
            assertTrue(body.contains("# TYPE stowage_volume_read_latency_seconds histogram\n"), body);
            assertTrue(body.contains("stowage_volume_read_latency_seconds_sum{volume=\"vol-a\"} "), body);
            // buckets are cumulative: never decreasing towards +Inf
            Matcher b = Pattern.compile("stowage_volume_write_latency_seconds_bucket\\{volume=\"vol-a\",le=\"[^\"]+\"} (\\d+)")
                    .matcher(body);
            long last = 0;
            int buckets = 0;
            while (b.find()) {
                long n = Long.parseLong(b.group(1));
                assertTrue(n >= last, body);
                last = n;
                buckets++;
            }
            assertTrue(buckets > 5, "fixed buckets: " + buckets);
            assertEquals(1, value(body, "stowage_volume_cache_hit_clusters_total{volume=\"vol-a\"}"), "read from the cache");
            assertEquals(0, value(body, "stowage_volume_cache_miss_clusters_total{volume=\"vol-a\"}"));
            assertTrue(value(body, "stowage_volume_cached_bytes{volume=\"vol-a\"}") >= 12288, body);
            assertEquals(0, value(body, "stowage_volume_scrub_passes_total{volume=\"vol-a\"}"));
            assertEquals(0, value(body, "stowage_volume_scrub_pass_clusters{volume=\"vol-a\"}"));
            assertEquals(2, value(body, "stowage_target_sessions{target=\"iqn.2026-11.io.stowage:a\"}"));
            assertEquals(0, value(body, "stowage_target_sessions{target=\"iqn.2026-11.io.stowage:b\"}"));
            assertEquals(2, value(body, "stowage_iscsi_sessions"));
            v.flush();
            v.syncToBackend(30_000);
            body = MetricsEndpoint.render(vols, 0, Map.of());
            assertEquals(0, value(body, "stowage_volume_upload_lag_seconds{volume=\"vol-a\"}"), "nothing waits");
            v.scrub(0.5, 16);
            body = MetricsEndpoint.render(vols, 0, Map.of());
            assertEquals(1, value(body, "stowage_volume_scrub_passes_total{volume=\"vol-a\"}"));
        }
    }

    /** The daemon's wiring: its volumes (from the catalogue) and every served target are scraped. */
    @Test
    void theDaemonServesItsVolumesAndTargets() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        StowageConfig c = StowageConfig.from(Map.of("target.t.lun.0", "v", "volume.v.size", "16M",
                "metrics", "127.0.0.1:" + port, "admin.listen", "off"));
        c.overrideDataDir(dir);
        c.overridePort(0);
        try (Daemon d = new Daemon(c)) {
            String body = new String(URI.create("http://127.0.0.1:" + port + "/metrics").toURL().openStream()
                    .readAllBytes());
            assertEquals(0, value(body, "stowage_target_sessions{target=\"iqn.2026-11.io.stowage:t\"}"));
            assertEquals(0, value(body, "stowage_volume_write_ops_total{volume=\"v\"}"));
            assertEquals(0, value(body, "stowage_volume_queue_depth{volume=\"v\"}"));
        }
    }
}
