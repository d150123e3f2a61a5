package io.stowage.node;

import com.sun.net.httpserver.HttpServer;
import io.stowage.volume.engine.LatencyHistogram;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * {@code GET /metrics} in the Prometheus text format (docs/metrics.md lists every series): per volume the I/O
 * counts, bytes and latency histograms, queue depth, cache hits and misses, dirty and cached bytes, upload counters
 * and lag, scrub progress and whether it halted; the iSCSI sessions, in all and per target. Served by the JDK's own
 * HTTP server on one thread; a scrape sums counters and takes no lock the data path needs.
 */
final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer server;

    /**
     * @param volumes the node's open volumes by name, asked at each scrape (volumes a reload opens appear)
     * @param sessions the node's sessions, discovery sessions included
     * @param sessionsPerTarget normal sessions per target IQN
     */
    MetricsEndpoint(InetSocketAddress address, Supplier<Map<String, VolumeBlockDevice>> volumes, IntSupplier sessions,
                    Supplier<Map<String, Integer>> sessionsPerTarget) throws IOException {
        server = HttpServer.create(address, 8);
        server.createContext("/metrics", exchange -> {
            byte[] body = render(volumes.get(), sessions.getAsInt(), sessionsPerTarget.get())
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    static String render(Map<String, VolumeBlockDevice> volumes, int sessions, Map<String, Integer> perTarget) {
        StringBuilder sb = new StringBuilder();
        metric(sb, "stowage_iscsi_sessions", "gauge", "iSCSI sessions logged in (normal and discovery)");
        sb.append("stowage_iscsi_sessions ").append(sessions).append('\n');
        metric(sb, "stowage_target_sessions", "gauge", "normal iSCSI sessions logged in to the target");
        new TreeMap<>(perTarget).forEach((target, n) -> sb.append("stowage_target_sessions{target=\"")
                .append(escape(target)).append("\"} ").append(n).append('\n'));

        Map<String, VolumeBlockDevice> devices = new TreeMap<>(volumes);
        Map<String, Volume.Stats> stats = new TreeMap<>();
        devices.forEach((name, d) -> stats.put(name, d.volume().stats()));
        family(sb, devices, "stowage_volume_read_ops_total", "counter", "reads completed (IOPS: its rate)",
                d -> d.readLatency().snapshot().count());
        family(sb, devices, "stowage_volume_write_ops_total", "counter", "writes completed (IOPS: its rate)",
                d -> d.writeLatency().snapshot().count());
        family(sb, stats, "stowage_volume_read_bytes_total", "counter", "bytes read by initiators",
                Volume.Stats::bytesRead);
        family(sb, stats, "stowage_volume_written_bytes_total", "counter", "bytes written by initiators",
                Volume.Stats::bytesWritten);
        histogram(sb, devices, "stowage_volume_read_latency_seconds", "reads from submission to completion",
                VolumeBlockDevice::readLatency);
        histogram(sb, devices, "stowage_volume_write_latency_seconds", "writes from submission to completion",
                VolumeBlockDevice::writeLatency);
        family(sb, devices, "stowage_volume_queue_depth", "gauge", "operations submitted and not completed",
                VolumeBlockDevice::queueDepth);
        family(sb, stats, "stowage_volume_flushes_total", "counter", "flushes (SYNCHRONIZE CACHE, FUA)",
                Volume.Stats::flushes);
        family(sb, stats, "stowage_volume_cache_hit_clusters_total", "counter",
                "4 KiB clusters read from the local cache", Volume.Stats::cacheHitClusters);
        family(sb, stats, "stowage_volume_cache_miss_clusters_total", "counter",
                "4 KiB clusters read from the backend (evicted from the cache)", Volume.Stats::cacheMissClusters);
        family(sb, stats, "stowage_volume_cached_bytes", "gauge", "SCO bytes in the local cache (dirty included)",
                Volume.Stats::cachedBytes);
        family(sb, stats, "stowage_volume_dirty_bytes", "gauge", "data written but not yet committed to the backend",
                Volume.Stats::dirtyBytes);
        family(sb, stats, "stowage_volume_uploaded_bytes_total", "counter", "SCO bytes committed to the backend",
                Volume.Stats::uploadedBytes);
        family(sb, stats, "stowage_volume_uploaded_tlogs_total", "counter", "TLogs committed to the backend",
                Volume.Stats::uploadedTlogs);
        family(sb, stats, "stowage_volume_upload_failures_total", "counter", "upload attempts that failed and were retried",
                Volume.Stats::uploadFailures);
        family(sb, stats, "stowage_volume_pending_uploads", "gauge", "closed TLogs waiting for upload",
                Volume.Stats::pendingUploads);
        gauge(sb, stats, "stowage_volume_upload_lag_seconds", "how long the oldest closed TLog not yet committed has waited",
                s -> s.uploadLagNanos() / 1e9);
        family(sb, stats, "stowage_volume_scrubbed_scos_total", "counter",
                "SCOs deleted from the backend by scrubbing (their live data moved first)", Volume.Stats::scrubbedScos);
        family(sb, stats, "stowage_volume_scrub_examined_bytes_total", "counter",
                "bytes of committed SCOs scrubbing looked at", Volume.Stats::scrubExaminedBytes);
        family(sb, stats, "stowage_volume_scrub_reclaimed_bytes_total", "counter",
                "bytes of SCOs scrubbing deleted from the backend", Volume.Stats::scrubReclaimedBytes);
        family(sb, stats, "stowage_volume_scrub_passes_total", "counter", "scrub passes run",
                s -> s.scrub().passes());
        family(sb, stats, "stowage_volume_scrub_moved_clusters_total", "counter", "live clusters moved by scrubbing",
                s -> s.scrub().movedClusters());
        family(sb, stats, "stowage_volume_scrub_pass_clusters", "gauge", "clusters the running scrub pass moves (0: idle)",
                s -> s.scrub().passClusters());
        family(sb, stats, "stowage_volume_scrub_pass_moved_clusters", "gauge", "clusters the running scrub pass has moved",
                s -> s.scrub().passMoved());
        family(sb, stats, "stowage_volume_snapshots", "gauge", "snapshots the volume keeps", Volume.Stats::snapshots);
        family(sb, stats, "stowage_volume_owner_epoch", "gauge", "the owner epoch this node holds the volume under",
                Volume.Stats::epoch);
        family(sb, stats, "stowage_volume_halted", "gauge", "1 if the volume halted (fenced or failed) and fails I/O",
                s -> s.halted() ? 1 : 0);
        return sb.toString();
    }

    private static <S> void family(StringBuilder sb, Map<String, S> of, String name, String type, String help,
                                   ToLongFunction<S> value) {
        metric(sb, name, type, help);
        of.forEach((volume, s) -> sb.append(name).append("{volume=\"").append(escape(volume)).append("\"} ")
                .append(value.applyAsLong(s)).append('\n'));
    }

    private static void gauge(StringBuilder sb, Map<String, Volume.Stats> stats, String name, String help,
                              java.util.function.ToDoubleFunction<Volume.Stats> value) {
        metric(sb, name, "gauge", help);
        stats.forEach((volume, s) -> sb.append(name).append("{volume=\"").append(escape(volume)).append("\"} ")
                .append(value.applyAsDouble(s)).append('\n'));
    }

    private static void histogram(StringBuilder sb, Map<String, VolumeBlockDevice> devices, String name, String help,
                                  Function<VolumeBlockDevice, LatencyHistogram> of) {
        metric(sb, name, "histogram", help);
        double[] bounds = LatencyHistogram.boundsSeconds();
        devices.forEach((volume, d) -> {
            LatencyHistogram.Snapshot h = of.apply(d).snapshot();
            String v = escape(volume);
            for (int i = 0; i < bounds.length; i++) {
                sb.append(name).append("_bucket{volume=\"").append(v).append("\",le=\"").append(bounds[i])
                        .append("\"} ").append(h.cumulative()[i]).append('\n');
            }
            sb.append(name).append("_bucket{volume=\"").append(v).append("\",le=\"+Inf\"} ").append(h.count())
                    .append('\n');
            sb.append(name).append("_sum{volume=\"").append(v).append("\"} ").append(h.sumNanos() / 1e9).append('\n');
            sb.append(name).append("_count{volume=\"").append(v).append("\"} ").append(h.count()).append('\n');
        });
    }

    private static void metric(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** A label value as the text format needs it (volume names and IQNs carry no quotes today; this keeps it so). */
    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
