package io.stowage.node;

import io.stowage.iscsi.session.ExportedTarget;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code stowage} command line. {@code stowage serve} runs the daemon; without a config it serves the
 * embedded default (one thin 8 GiB volume {@code demo} under {@code ./var}, portal 127.0.0.1:3260).
 * Exit codes: 0 clean stop, 1 runtime failure, 2 usage or configuration error.
 */
public final class Main {
    static final String USAGE = """
            Usage: stowage serve [--config FILE] [--port PORT] [--portal ADDRESS:PORT] [--data-dir DIR]
                                [--admin ADDRESS:PORT|off]
                   stowage volume|snapshot|target|export|session|status ...   (the admin CLI: docs/operations.md)
                   stowage --help

            serve      Run the iSCSI target. Without --config it serves the embedded default: target
                       iqn.2026-11.io.stowage:demo, LUN 0 = thin 8 GiB volume 'demo', data under ./var,
                       portal 127.0.0.1:3260. Ctrl-C or SIGTERM stops it cleanly (volumes flushed).
              --config FILE        read settings from FILE (see docs/configuration.md)
              --port PORT          listen on PORT (overrides the config's portal port)
              --portal ADDR:PORT   listen on ADDR:PORT
              --data-dir DIR       keep volumes under DIR (overrides the config's data-dir)
              --admin ADDR:PORT    serve the admin API there (overrides admin.listen; off: no API)
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        if (io.stowage.node.cli.Cli.COMMANDS.contains(args[0])) {
            return io.stowage.node.cli.Cli.run(args, out, err);
        }
        if (!args[0].equals("serve")) {
            err.println("stowage: unknown command '" + args[0] + "'");
            err.print(USAGE);
            return 2;
        }
        StowageConfig config;
        try {
            config = parseServe(args);
        } catch (ConfigException e) {
            err.println("stowage: " + e.getMessage());
            return 2;
        }
        return serve(config, args, out, err);
    }

    /**
     * Under systemd (Type=notify) the unit becomes active only now that the portal listens. systemd-notify runs
     * as our child, which the unit allows with NotifyAccess=all.
     */
    private static void notifySystemdReady() {
        if (System.getenv("NOTIFY_SOCKET") == null) return;
        try {
            new ProcessBuilder("systemd-notify", "--ready", "--pid=" + ProcessHandle.current().pid())
                    .inheritIO().start().waitFor();
        } catch (IOException e) {
            System.err.println("stowage: cannot notify systemd: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static StowageConfig parseServe(String[] args) throws ConfigException {
        Path configFile = null;
        Integer port = null;
        String portal = null;
        Path dataDir = null;
        String admin = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help")) {
                throw new ConfigException(a, "see 'stowage --help'");
            }
            if (i + 1 >= args.length) {
                throw new ConfigException(a, "unknown option or missing value");
            }
            String v = args[++i];
            switch (a) {
                case "--config" -> configFile = Path.of(v);
                case "--port" -> port = StowageConfig.intIn("--port", v, 1, 65535);
                case "--portal" -> portal = v;
                case "--data-dir" -> dataDir = Path.of(v);
                case "--admin" -> admin = v;
                default -> throw new ConfigException(a, "unknown option");
            }
        }
        StowageConfig config;
        if (configFile != null) {
            if (!Files.isReadable(configFile)) {
                throw new ConfigException("--config", "cannot read " + configFile);
            }
            config = StowageConfig.load(configFile);
        } else {
            config = StowageConfig.defaults();
        }
        if (portal != null) {
            config.overridePortal(portal);
        }
        if (port != null) {
            config.overridePort(port);
        }
        if (dataDir != null) {
            config.overrideDataDir(dataDir);
        }
        if (admin != null) {
            config.overrideAdmin(admin);
        }
        return config;
    }

    private static int serve(StowageConfig config, String[] args, PrintStream out, PrintStream err) {
        Daemon daemon;
        try {
            daemon = new Daemon(config);
        } catch (IOException | RuntimeException e) {
            err.println("stowage: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "stowage-shutdown"));
        // SIGTERM (systemd, kill) and SIGINT (Ctrl-C) are the normal way to stop: exit 0 after the orderly
        // shutdown above instead of the JVM's default 128+signal.
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> System.exit(0));
        }
        // SIGHUP (systemctl reload): read the config again and apply what can change while serving
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> new Thread(() -> {
            try {
                daemon.reload(parseServe(args));
            } catch (ConfigException e) {
                org.slf4j.LoggerFactory.getLogger(Main.class).error("reload refused, nothing changed: {}",
                        e.getMessage());
            }
        }, "stowage-reload").start());
        String host = daemon.portalAddress().getAddress().getHostAddress();
        int port = daemon.portalAddress().getPort();
        // the memory bound the operator set (STOWAGE_HEAP, docs/configuration.md), stated where they look first
        // (before the "serving" line, which tells scripts and tests that start-up is over)
        out.println("Java heap limit " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        if (daemon.adminAddress() != null) {
            out.println("Admin API on http://" + daemon.adminAddress().getHostString() + ":"
                    + daemon.adminAddress().getPort() + " (token in " + config.adminTokenFile().toAbsolutePath() + ")");
        }
        out.println("Stowage is serving iSCSI on " + host + ":" + port + " (data in " + config.dataDir().toAbsolutePath() + ")");
        for (ExportedTarget t : daemon.targets().all()) {
            for (var lun : t.scsi().luns().entrySet()) {
                out.println("  target " + t.name() + " LUN " + lun.getKey() + " = volume " + lun.getValue().volume().name()
                        + " (" + (lun.getValue().volume().sizeBytes() >> 20) + " MiB)");
            }
        }
        ExportedTarget first = daemon.targets().all().stream().findFirst().orElse(null);
        out.println("Connect with:");
        out.println("  iscsi-ls -s iscsi://" + host + ":" + port);
        if (first != null) {
            out.println("  iscsi-inq iscsi://" + host + ":" + port + "/" + first.name() + "/0");
        }
        out.println("  iscsiadm -m discovery -t sendtargets -p " + host + ":" + port);
        if (first != null) {
            out.println("  iscsiadm -m node -T " + first.name() + " -p " + host + ":" + port + " --login");
        }
        out.println("Stop with Ctrl-C.");
        out.flush();
        notifySystemdReady();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
