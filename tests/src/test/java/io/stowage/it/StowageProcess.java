package io.stowage.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./stowage serve} as a child process, exactly as a user starts it: on a free port, with its data in a
 * directory of the test's. Its output goes to a log file under {@code tests/target/it-logs}.
 */
public final class StowageProcess implements AutoCloseable {
    public static final Path REPO = Path.of(System.getProperty("stowage.repo", "..")).toAbsolutePath().normalize();
    public static final Path LOGS = REPO.resolve("tests/target/it-logs");
    static final String IQN = "iqn.2026-11.io.stowage:demo";

    public final Process process;
    public final int port;
    /** The admin API's port (a free one, unless the caller gave --admin). */
    public final int adminPort;
    final Path dataDir;
    public final Path log;

    private StowageProcess(Process process, int port, int adminPort, Path dataDir, Path log) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
        this.dataDir = dataDir;
        this.log = log;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static StowageProcess start(String name, Path dataDir, String... extraArgs) throws Exception {
        return startWith(name, dataDir, java.util.Map.of(), extraArgs);
    }

    public static StowageProcess startWith(String name, Path dataDir, java.util.Map<String, String> env, String... extraArgs)
            throws Exception {
        return startOn(freePort(), name, dataDir, env, extraArgs);
    }

    /** As {@link #startWith}, on the given iSCSI port (a node restarted where its initiators look for it). */
    public static StowageProcess startOn(int port, String name, Path dataDir, java.util.Map<String, String> env,
            String... extraArgs) throws Exception {
        Files.createDirectories(LOGS);
        Path log = LOGS.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("stowage").toString(), "serve",
                "--port", Integer.toString(port), "--data-dir", dataDir.toString()));
        // a free admin port, so that tests (and other builds on this machine) never meet on the default one
        int adminPort;
        int given = List.of(extraArgs).indexOf("--admin");
        if (given < 0) {
            adminPort = freePort();
            cmd.addAll(List.of("--admin", "127.0.0.1:" + adminPort));
        } else {
            String a = extraArgs[given + 1];
            adminPort = a.equals("off") ? -1 : Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
        }
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("STOWAGE_NO_BUILD", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        StowageProcess s = new StowageProcess(p, port, adminPort, dataDir, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.readString(log).contains("Stowage is serving iSCSI")) {
            if (!p.isAlive()) {
                throw new IllegalStateException("stowage exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("stowage did not start:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return s;
    }

    String portal() {
        return "127.0.0.1:" + port;
    }

    String url(int lun) {
        return "iscsi://" + portal() + "/" + IQN + "/" + lun;
    }

    /** The admin API's URL. */
    public String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    /** The {@code stowage} CLI against this node's admin API (its URL and token file), with a 120 s timeout. */
    public Tools.Result cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "STOWAGE_NO_BUILD=1", REPO.resolve("stowage").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--url", adminUrl(), "--token-file", dataDir.resolve("admin.token").toString()));
        return Tools.run(120, cmd.toArray(String[]::new));
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    /** SIGTERM, as systemd and Ctrl-C do; returns the exit code. */
    public int stop() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("stowage did not stop on SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }
}
