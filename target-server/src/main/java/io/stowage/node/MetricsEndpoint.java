package io.stowage.node;

import com.sun.net.httpserver.HttpServer;
import io.stowage.volume.engine.Volume;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * {@code GET /metrics} in the Prometheus text format: per-volume I/O, flush and upload counters, the data waiting
 * for upload, whether a volume is halted, and the number of iSCSI sessions. Served by the JDK's own HTTP server on
 * one thread; a scrape reads counters and takes no lock the data path needs.
 */
final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer server;

    MetricsEndpoint(InetSocketAddress address, Map<String, Volume> volumes, IntSupplier sessions) throws IOException {
        server = HttpServer.create(address, 8);
        server.createContext("/metrics", exchange -> {
            byte[] body = render(volumes, sessions.getAsInt()).getBytes(StandardCharsets.UTF_8);
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

    static String render(Map<String, Volume> volumes, int sessions) {
        StringBuilder sb = new StringBuilder();
        metric(sb, "stowage_iscsi_sessions", "gauge", "iSCSI sessions logged in (normal and discovery)");
        sb.append("stowage_iscsi_sessions ").append(sessions).append('\n');
        Map<String, Volume.Stats> stats = new java.util.TreeMap<>();
        volumes.forEach((name, v) -> stats.put(name, v.stats()));
        family(sb, stats, "stowage_volume_written_bytes_total", "counter", "bytes written by initiators",
                Volume.Stats::bytesWritten);
        family(sb, stats, "stowage_volume_read_bytes_total", "counter", "bytes read by initiators",
                Volume.Stats::bytesRead);
        family(sb, stats, "stowage_volume_flushes_total", "counter", "flushes (SYNCHRONIZE CACHE, FUA)",
                Volume.Stats::flushes);
        family(sb, stats, "stowage_volume_dirty_bytes", "gauge", "data written but not yet committed to the backend",
                Volume.Stats::dirtyBytes);
        family(sb, stats, "stowage_volume_uploaded_bytes_total", "counter", "SCO bytes committed to the backend",
                Volume.Stats::uploadedBytes);
        family(sb, stats, "stowage_volume_uploaded_tlogs_total", "counter", "TLogs committed to the backend",
                Volume.Stats::uploadedTlogs);
        family(sb, stats, "stowage_volume_upload_failures_total", "counter", "upload attempts that failed and were retried",
                Volume.Stats::uploadFailures);
        family(sb, stats, "stowage_volume_scrubbed_scos_total", "counter",
                "SCOs deleted from the backend by scrubbing (their live data moved first)", Volume.Stats::scrubbedScos);
        family(sb, stats, "stowage_volume_pending_uploads", "gauge", "closed TLogs waiting for upload",
                Volume.Stats::pendingUploads);
        family(sb, stats, "stowage_volume_owner_epoch", "gauge", "the owner epoch this node holds the volume under",
                Volume.Stats::epoch);
        family(sb, stats, "stowage_volume_halted", "gauge", "1 if the volume halted (fenced or failed) and fails I/O",
                s -> s.halted() ? 1 : 0);
        return sb.toString();
    }

    private static void family(StringBuilder sb, Map<String, Volume.Stats> stats, String name, String type, String help,
                               java.util.function.ToLongFunction<Volume.Stats> value) {
        metric(sb, name, type, help);
        stats.forEach((volume, s) -> sb.append(name).append("{volume=\"").append(volume).append("\"} ")
                .append(value.applyAsLong(s)).append('\n'));
    }

    private static void metric(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
