package io.stowage.node.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The options of {@code stowage serve}, the daemon itself: parsed with picocli by {@code io.stowage.node.Main} (which
 * runs the node, not this class), and so described by the same definitions in {@code --help}, the bash completion
 * and the man page as the admin subcommands.
 */
@Command(name = "serve", separator = " ", sortOptions = false, sortSynopsis = false,
        description = {"Run the iSCSI target. Without --config it serves the embedded default: target "
                + "iqn.2026-11.io.stowage:demo, LUN 0 = thin 8 GiB volume 'demo', portal 127.0.0.1:3260, "
                + "data in the directory var under the current one. Ctrl-C or SIGTERM stops it cleanly (volumes "
                + "flushed). The installed service runs "
                + "stowage serve --config /etc/stowage/stowage.conf --data-dir /var/lib/stowage as user stowage; "
                + "systemctl reload (SIGHUP) reads the config file again."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:a clean stop (SIGTERM, Ctrl-C)", "1:the daemon cannot start (a port taken, a volume that "
                + "cannot be opened) or fails", "2:a usage or configuration error (one line naming the key)"})
public final class ServeCommand {
    @Option(names = "--config", paramLabel = "FILE", description = "read settings from FILE (every key is in "
            + "/etc/stowage/stowage.conf and docs/configuration.md)")
    public Path config;

    @Option(names = "--port", paramLabel = "PORT",
            description = "listen on PORT (overrides the configured portal's port)")
    public String port;

    @Option(names = "--portal", paramLabel = "ADDRESS:PORT", description = "listen on ADDRESS:PORT (overrides portal)")
    public String portal;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "keep objects and the cache under DIR "
            + "(overrides data-dir)")
    public Path dataDir;

    @Option(names = "--admin", paramLabel = "ADDRESS:PORT|off", description = "serve the admin API there "
            + "(overrides admin.listen); off: no admin API")
    public String admin;

    @Option(names = "--help", usageHelp = true, hidden = true, description = "print this usage")
    public boolean help;
}
