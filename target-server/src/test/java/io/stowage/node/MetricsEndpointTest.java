package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsEndpointTest {
    @TempDir Path dir;

    @Test
    void servesPerVolumeCountersInPrometheusTextFormat() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                VolumeConfig.DEFAULT);
        engine.create("vol-a", 1 << 20);
        try (Volume v = engine.open("vol-a");
             MetricsEndpoint m = new MetricsEndpoint(new InetSocketAddress("127.0.0.1", 0), Map.of("vol-a", v),
                     () -> 3)) {
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
            body = MetricsEndpoint.render(Map.of("vol-a", v), 0);
            assertTrue(body.contains("stowage_volume_dirty_bytes{volume=\"vol-a\"} 0\n"), body);
            assertTrue(body.contains("stowage_volume_uploaded_bytes_total{volume=\"vol-a\"} 8192\n"), body);
        }
    }
}
