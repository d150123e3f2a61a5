package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's user-facing behaviour: help, configuration errors, restart with the same identity. */
class CommandLineIT {
    @TempDir Path dir;

    private static String stowage() {
        return StowageProcess.REPO.resolve("stowage").toString();
    }

    @Test
    void badConfigValueIsAOneLineErrorNamingTheKey() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "portal = 127.0.0.1:notaport\n");
        Tools.Result r = Tools.run(60, "env", "STOWAGE_NO_BUILD=1", stowage(), "serve", "--config", conf.toString());
        assertEquals(2, r.exit(), r.output());
        assertEquals("stowage: config key 'portal': expected a number, got 'notaport'", r.output().strip());
    }

    /**
     * Under systemd (Type=notify) the daemon must report READY=1 only once the portal accepts connections. A
     * python listener stands in for systemd's notification socket.
     */
    @Test
    void readinessIsReportedOnlyOnceThePortalListens() throws Exception {
        Path socket = dir.resolve("notify.sock");
        Path script = dir.resolve("notify-listener.py");
        try (var in = CommandLineIT.class.getResourceAsStream("/notify-listener.py")) {
            Files.copy(in, script);
        }
        Process listener = new ProcessBuilder("/usr/bin/python3", script.toString(), socket.toString()).start();
        var lines = new java.io.BufferedReader(new java.io.InputStreamReader(listener.getInputStream()));
        try {
            assertEquals("LISTENING", lines.readLine());
            int port = StowageProcess.freePort();
            ProcessBuilder pb = new ProcessBuilder(stowage(), "serve", "--port", Integer.toString(port),
                    "--data-dir", dir.resolve("var").toString(), "--admin", "off").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("notify-serve.log").toFile());
            pb.environment().put("STOWAGE_NO_BUILD", "1");
            pb.environment().put("NOTIFY_SOCKET", socket.toString());
            Process serve = pb.start();
            try {
                String msg = lines.readLine(); // blocks until the daemon notifies
                assertNotNull(msg);
                assertTrue(msg.contains("READY=1"), msg);
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    assertTrue(s.isConnected(), "the portal accepts connections when READY=1 arrives");
                }
            } finally {
                serve.destroy();
                serve.waitFor();
            }
        } finally {
            listener.destroyForcibly();
        }
    }

    /** The launcher sets an explicit heap (docs/configuration.md, "Memory"); STOWAGE_HEAP overrides it. */
    @Test
    void theHeapIsBoundedByDefaultAndOverridable() throws Exception {
        try (StowageProcess s = StowageProcess.start("heap-default", dir.resolve("var-default"))) {
            assertTrue(s.output().contains("Java heap limit 1024 MiB"), s.output());
        }
        try (StowageProcess s = StowageProcess.startWith("heap-768m", dir.resolve("var-768m"),
                java.util.Map.of("STOWAGE_HEAP", "768m"))) {
            assertTrue(s.output().contains("Java heap limit 768 MiB"), s.output());
        }
    }

    @Test
    void helpDescribesServe() throws Exception {
        Tools.Result r = Tools.run(60, "env", "STOWAGE_NO_BUILD=1", stowage(), "--help");
        assertEquals(0, r.exit());
        assertTrue(r.output().contains("stowage serve [--config FILE] [--port PORT]"), r.output());
    }

    @Test
    void restartKeepsTheVolumeIdentityAndData() throws Exception {
        Path data = dir.resolve("var");
        String inq1;
        try (StowageProcess s = StowageProcess.start("restart-1", data)) {
            inq1 = Tools.run(30, "iscsi-inq", "-e", "1", "-c", "131", s.url(0)).ok().output();
            Files.write(dir.resolve("block"), "stowage-restart-check".repeat(100).getBytes());
            Tools.run(60, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", dir.resolve("block").toString(),
                    s.url(0)).ok();
        }
        try (StowageProcess s = StowageProcess.start("restart-2", data)) {
            assertEquals(inq1, Tools.run(30, "iscsi-inq", "-e", "1", "-c", "131", s.url(0)).ok().output(),
                    "same NAA and designators after a restart");
            Path back = dir.resolve("back");
            String json = "json:{\"driver\":\"raw\",\"size\":4096,\"file\":{\"driver\":\"iscsi\",\"transport\":\"tcp\","
                    + "\"portal\":\"" + s.portal() + "\",\"target\":\"" + StowageProcess.IQN + "\",\"lun\":0}}";
            Tools.run(60, "qemu-img", "dd", "-f", "raw", "-O", "raw", "bs=4096", "count=1", "if=" + json,
                    "of=" + back).ok();
            assertTrue(new String(Files.readAllBytes(back)).startsWith("stowage-restart-check"));
        }
    }
}
