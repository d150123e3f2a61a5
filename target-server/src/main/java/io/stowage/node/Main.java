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
    /** {@code stowage --help}: serve's usage, then the admin subcommands', both from their picocli definitions. */
    static String usage() {
        java.io.StringWriter w = new java.io.StringWriter();
        picocli.CommandLine serve = serveCommandLine(new io.stowage.node.cli.ServeCommand());
        w.append(serve.getUsageMessage(picocli.CommandLine.Help.Ansi.OFF)).append('\n');
        w.append(io.stowage.node.cli.Cli.usage());
        return w.toString();
    }

    private static picocli.CommandLine serveCommandLine(io.stowage.node.cli.ServeCommand options) {
        picocli.CommandLine cl = new picocli.CommandLine(options);
        cl.setCommandName("stowage serve");
        return cl;
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(usage());
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("serve") && java.util.Arrays.asList(args).contains("--help")) {
            out.print(serveCommandLine(new io.stowage.node.cli.ServeCommand()).getUsageMessage(
                    picocli.CommandLine.Help.Ansi.OFF));
            return 0;
        }
        if (io.stowage.node.cli.Cli.COMMANDS.contains(args[0])) {
            return io.stowage.node.cli.Cli.run(args, out, err);
        }
        if (!args[0].equals("serve")) {
            err.println("stowage: unknown command '" + args[0] + "'");
            err.print(usage());
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
        io.stowage.node.cli.ServeCommand o = new io.stowage.node.cli.ServeCommand();
        try {
            serveCommandLine(o).parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length));
        } catch (picocli.CommandLine.UnmatchedArgumentException e) {
            throw new ConfigException(e.getUnmatched().get(0), "unknown option (see 'stowage serve --help')");
        } catch (picocli.CommandLine.ParameterException e) {
            picocli.CommandLine.Model.ArgSpec at = e.getArgSpec();
            if (at == null && e instanceof picocli.CommandLine.MissingParameterException m
                    && !m.getMissing().isEmpty()) {
                at = m.getMissing().get(0);
            }
            String option = at instanceof picocli.CommandLine.Model.OptionSpec os ? os.longestName() : "serve";
            throw new ConfigException(option, e.getMessage());
        }
        if (o.help) throw new ConfigException("--help", "see 'stowage serve --help'");
        Path configFile = o.config;
        Integer port = o.port == null ? null : StowageConfig.intIn("--port", o.port, 1, 65535);
        String portal = o.portal;
        Path dataDir = o.dataDir;
        String admin = o.admin;
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
