package io.stowage.rados;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Ceph cluster for integration tests (this module's and, through its test jar, the tests
 * module's), started once per test JVM by
 * {@code tests/ceph/cluster.sh} in {@code target/ceph} and torn down by its pid files when the JVM exits (also when
 * tests fail; a cluster left by a killed run is stopped by the next {@code up}).
 */
public final class CephCluster {
    static final Path SCRIPT = Path.of("..", "tests", "ceph", "cluster.sh").toAbsolutePath().normalize();
    private static CephCluster instance;

    public final Path dir;
    public final Path conf;

    private CephCluster(Path dir, Path conf) {
        this.dir = dir;
        this.conf = conf;
    }

    public static synchronized CephCluster get() throws IOException, InterruptedException {
        if (instance == null) {
            Path dir = Path.of("target", "ceph").toAbsolutePath();
            run(180, "up", dir.toString(), System.getProperty("stowage.ceph.port", "46800"));
            CephCluster c = new CephCluster(dir, dir.resolve("ceph.conf"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    run(60, "down", dir.toString());
                } catch (Exception e) {
                    System.err.println("ceph teardown failed: " + e);
                }
            }));
            instance = c;
        }
        return instance;
    }

    public RadosBackendConfig config(String prefix) {
        return new RadosBackendConfig(conf, "admin", "stowage", prefix, 5);
    }

    public void stopOsd() throws IOException, InterruptedException {
        run(60, "osd-stop", dir.toString());
    }

    public void startOsd() throws IOException, InterruptedException {
        run(120, "osd-start", dir.toString());
    }

    /** An object-name prefix no other test uses, so tests share the pool without seeing each other's objects. */
    public static String uniquePrefix(String kind) {
        return kind + "-" + java.util.UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    private static void run(int timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("ceph-cluster", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("cluster.sh " + args[0] + " timed out: " + Files.readString(log));
        }
        if (p.exitValue() != 0) {
            throw new IOException("cluster.sh " + args[0] + " failed: " + Files.readString(log));
        }
        Files.delete(log);
    }
}
