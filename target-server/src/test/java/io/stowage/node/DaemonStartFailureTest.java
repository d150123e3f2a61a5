package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start that fails half-way closes what it had opened, in reverse order: no thread, socket or open volume is
 * left behind, so the same process (a test, a retry) can start again on the same data and ports.
 */
class DaemonStartFailureTest {
    @TempDir Path dir;

    /**
     * One start and stop first, so that threads a library starts once per JVM (LMDB's native binding keeps a
     * finalizer and a cleaner) exist before the threads are counted.
     */
    @org.junit.jupiter.api.BeforeAll
    static void warmUp(@TempDir Path warm) throws Exception {
        StowageConfig c = StowageConfig.from(Map.of("target.t.lun.0", "v", "volume.v.size", "16M"));
        c.overrideDataDir(warm);
        c.overrideAdmin("127.0.0.1:0"); // a free port: the default 7260 may be taken, which refuses the start
        c.overridePort(0);
        new Daemon(c).close();
    }

    private StowageConfig config(Map<String, String> keys, int portalPort) throws ConfigException {
        StowageConfig c = StowageConfig.from(keys);
        c.overrideDataDir(dir);
        c.overrideAdmin("127.0.0.1:0"); // a free port: the default 7260 may be taken, which refuses the start
        c.overridePort(portalPort);
        return c;
    }

    private static Set<Thread> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    /** Threads started since {@code before} that are still alive after a grace period (executors wind down). */
    private static Set<String> leakedThreads(Set<Thread> before) throws InterruptedException {
        Set<Thread> extra = null;
        for (int i = 0; i < 40; i++) {
            extra = liveThreads();
            extra.removeAll(before);
            if (extra.isEmpty()) break;
            Thread.sleep(50);
        }
        return extra.stream().map(Thread::getName).collect(Collectors.toSet());
    }

    @Test
    void portalPortTakenLeavesNothingOpen() throws Exception {
        Map<String, String> keys = Map.of("target.t.lun.0", "v", "volume.v.size", "16M");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Set<Thread> before = liveThreads();
            IOException e = assertThrows(IOException.class, () -> new Daemon(config(keys, taken.getLocalPort())));
            assertTrue(e.getMessage().startsWith("cannot listen on"), e.getMessage());
            assertEquals(Set.of(), leakedThreads(before), "threads left by the failed start");
        }
        try (Daemon d = new Daemon(config(keys, 0))) {
            assertNotNull(d.portalAddress(), "the volume was closed: a second start opens it");
        }
    }

    /** Metrics listen last: by then the backend, the volumes, the node's timers and the portal are open. */
    @Test
    void metricsPortTakenClosesThePortalAndTheVolumes() throws Exception {
        int portalPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            portalPort = probe.getLocalPort();
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Map<String, String> keys = Map.of("target.t.lun.0", "v", "volume.v.size", "16M",
                    "metrics", "127.0.0.1:" + taken.getLocalPort());
            Set<Thread> before = liveThreads();
            IOException e = assertThrows(IOException.class, () -> new Daemon(config(keys, portalPort)));
            assertTrue(e.getMessage().startsWith("config key 'metrics'"), e.getMessage());
            assertEquals(Set.of(), leakedThreads(before), "threads left by the failed start");
        }
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress("127.0.0.1", portalPort));
        }
        try (Daemon d = new Daemon(config(Map.of("target.t.lun.0", "v", "volume.v.size", "16M"), portalPort))) {
            assertEquals(portalPort, d.portalAddress().getPort());
        }
    }

    /**
     * The admin port already taken refuses the start with one line naming admin.listen (as for the portal and the
     * metrics), and leaves nothing open: before, the node logged an error and served iSCSI without the API.
     */
    @Test
    void adminPortTakenRefusesTheStartNamingTheKey() throws Exception {
        Map<String, String> keys = Map.of("target.t.lun.0", "v", "volume.v.size", "16M");
        int portalPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            portalPort = probe.getLocalPort();
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Set<Thread> before = liveThreads();
            IOException e = assertThrows(IOException.class, () -> {
                StowageConfig c = config(keys, portalPort);
                c.overrideAdmin("127.0.0.1:" + taken.getLocalPort());
                new Daemon(c).close();
            });
            assertTrue(e.getMessage().startsWith("config key 'admin.listen': cannot listen on 127.0.0.1:"
                    + taken.getLocalPort()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            assertEquals(Set.of(), leakedThreads(before), "threads left by the failed start");
        }
        StowageConfig c = config(keys, portalPort);
        c.overrideAdmin("127.0.0.1:0");
        try (Daemon d = new Daemon(c)) {
            assertEquals(portalPort, d.portalAddress().getPort(), "the portal was closed: a second start takes it");
            assertNotNull(d.adminAddress());
        }
    }
}
