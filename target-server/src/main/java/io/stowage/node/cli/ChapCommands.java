package io.stowage.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code stowage chap list|show|set|clear}: the CHAP a target's logins (or, {@code --discovery}, discovery
 * sessions') must prove, one-way or mutual. Kept in the catalogue, where it wins over the config file's
 * {@code target.NAME.chap.*} and {@code discovery.chap.*} keys; applied to new logins at once (sessions logged in
 * stay). Secrets are read from a prompt, stdin or a file, never printed back.
 */
@Command(name = "chap", mixinStandardHelpOptions = true, description = "CHAP secrets that logins to a target, or "
        + "discovery sessions, must prove (one-way or mutual).", subcommands = CommandLine.HelpCommand.class)
final class ChapCommands {
    /** TARGET, or --discovery: exactly one. */
    static final class Which {
        @Parameters(paramLabel = "TARGET", arity = "0..1", description = "the target (name or IQN)")
        String target;

        @Option(names = "--discovery", description = "discovery sessions' CHAP instead of a target's")
        boolean discovery;

        String path() {
            if ((target == null) == !discovery) {
                throw new CliFailure(ExitCode.USAGE, "give a TARGET or --discovery (one of them)");
            }
            return discovery ? "v1/discovery/chap" : "v1/targets/" + Cli.seg(target) + "/chap";
        }
    }

    static int printChap(Cli.Client c, JsonNode v) {
        return c.print(v, o -> {
            String who = v.path("discovery").asBoolean() ? "discovery sessions" : v.path("target").asText() + " ("
                    + v.path("iqn").asText() + ")";
            String mode = v.path("mode").asText();
            o.println(who + ": " + switch (mode) {
                case "none" -> "no CHAP";
                case "one-way" -> "one-way CHAP";
                default -> "mutual CHAP";
            } + " (" + source(v.path("source").asText()) + ")");
            if (!mode.equals("none")) {
                o.println("  user:        " + v.path("user").asText() + (v.path("secretSet").asBoolean()
                        ? " (secret set)" : " (no secret)"));
            }
            if (mode.equals("mutual")) {
                o.println("  mutual user: " + v.path("mutualUser").asText() + (v.path("mutualSecretSet").asBoolean()
                        ? " (secret set)" : " (no secret)"));
            }
        });
    }

    private static String source(String s) {
        return switch (s) {
            case "catalogue" -> "set with the CLI";
            case "config" -> "from the config file";
            default -> "nothing set";
        };
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Discovery's CHAP and every target's.")
    int list(@Mixin Cli.Client c) {
        JsonNode all = c.api().get("v1/chap");
        return c.print(all, o -> {
            Table t = new Table("TARGET", "CHAP", "USER", "MUTUAL-USER", "SOURCE");
            for (JsonNode v : all) {
                t.row(v.path("target").asText(), v.path("mode").asText(), v.path("user").asText("-"),
                        v.path("mutualUser").asText("-"), v.path("source").asText());
            }
            t.print(o);
        });
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "The CHAP of TARGET (or --discovery): "
            + "mode, user names, whether each secret is set, and where it comes from. Secrets are never shown.")
    int show(@Mixin Cli.Client c, @Mixin Which which) {
        return printChap(c, c.api().get(which.path()));
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Require CHAP for new logins to TARGET "
            + "(or --discovery): one-way, or mutual with --mutual-user. Sessions logged in stay. Secrets are 12 to "
            + "255 characters; the mutual one must differ.")
    int set(@Mixin Cli.Client c, @Mixin Which which,
            @Option(names = "--user", required = true, paramLabel = "NAME",
                    description = "the name initiators log in with (CHAP_N)") String user,
            @Option(names = "--secret", arity = "0..1", interactive = true, paramLabel = "SECRET",
                    description = "their secret; without a value it is asked for (not echoed), or read from stdin")
            String secret,
            @Option(names = "--secret-file", paramLabel = "FILE", description = "read their secret from FILE "
                    + "(its first line)") Path secretFile,
            @Option(names = "--mutual-user", paramLabel = "NAME",
                    description = "mutual CHAP: the name the target answers with") String mutualUser,
            @Option(names = "--mutual-secret", arity = "0..1", interactive = true, paramLabel = "SECRET",
                    description = "mutual CHAP: the target's secret; without a value it is asked for")
            String mutualSecret,
            @Option(names = "--mutual-secret-file", paramLabel = "FILE",
                    description = "read the target's secret from FILE (its first line)") Path mutualSecretFile) {
        String path = which.path();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("user", user);
        body.put("secret", secret("--secret", secret, secretFile, true));
        if (mutualUser != null) body.put("mutualUser", mutualUser);
        String ms = secret("--mutual-secret", mutualSecret, mutualSecretFile, false);
        if (ms != null) body.put("mutualSecret", ms);
        return printChap(c, c.api().put(path, body));
    }

    @Command(name = "clear", mixinStandardHelpOptions = true, description = "Require no CHAP for new logins to "
            + "TARGET (or --discovery), whatever the config file says.")
    int clear(@Mixin Cli.Client c, @Mixin Which which) {
        return printChap(c, c.api().delete(which.path()));
    }

    /** The secret given inline or prompted for, or read from {@code file}; exit 2 for both or (required) neither. */
    private static String secret(String option, String given, Path file, boolean required) {
        if (given != null && file != null) {
            throw new CliFailure(ExitCode.USAGE, option + " and " + option + "-file: give one of them");
        }
        if (file != null) {
            try {
                return Files.readAllLines(file).stream().findFirst().orElse("");
            } catch (IOException e) {
                throw new CliFailure(ExitCode.USAGE, option + "-file: cannot read " + file + ": " + e.getMessage());
            }
        }
        if (given == null && required) {
            throw new CliFailure(ExitCode.USAGE, "give " + option + " (asked for if no value follows) or " + option
                    + "-file FILE");
        }
        return given;
    }
}
