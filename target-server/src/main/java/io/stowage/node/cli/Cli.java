package io.stowage.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.stowage.node.admin.AdminException;
import io.stowage.node.admin.Sizes;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code stowage} admin subcommands (picocli), each one request to the running daemon's admin API:
 * {@code volume create|list|show|resize|clone|rebuild|delete}, {@code snapshot create|list|delete|rollback} (names
 * {@code volume@snapshot}, as rbd), {@code target create|list|delete}, {@code acl}, {@code chap},
 * {@code export add|remove|list}, {@code scrub}, {@code job list|show}, {@code session list}, {@code status}.
 * Long operations (rollback, backend restart) are jobs the command follows to their end unless {@code --no-wait}.
 * Human tables by default, {@code --json} for scripts, sizes in K/M/G/T, and the exit codes of {@link ExitCode}.
 * {@code stowage serve} is run by {@code io.stowage.node.Main}; its options are {@link ServeCommand}'s, listed here so
 * that help, completion and the man page ({@link ManPage}) come from one set of definitions.
 */
@Command(name = "stowage", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Manage a running Stowage node: volumes, snapshots, targets, LUN exports, ACLs, CHAP, jobs, "
                + "sessions.%n"
                + "(`stowage serve` runs the node itself; see stowage serve --help.)",
        subcommands = {ServeCommand.class, Cli.VolumeCommands.class, Cli.SnapshotCommands.class,
                Cli.TargetCommands.class, Cli.AclCommands.class, ChapCommands.class, Cli.ExportCommands.class,
                Cli.ScrubCommands.class, JobCommands.class, Cli.SessionCommands.class, Cli.StatusCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the daemon failed the operation (or the job did)",
                "2:bad usage or a refused value (bad size, bad name)",
                "3:no such volume, target, LUN, snapshot or job", "4:the name (IQN, LUN, snapshot) is already taken",
                "5:in use (a volume exported or with clones, a target with LUNs, a volume a job works on)",
                "6:no token or a wrong one", "7:no daemon answers"},
        footer = {"%nSee docs/operations.md; the admin API's description: GET /v1/openapi.json."})
public final class Cli {
    /** The first words that are admin subcommands (anything else is Main's). */
    public static final Set<String> COMMANDS = Set.of("volume", "snapshot", "target", "acl", "chap", "export",
            "scrub", "job", "session", "status");
    static final String DEFAULT_URL = "http://127.0.0.1:7260";

    private Cli() {
    }

    /** Runs the subcommand; returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter o = new PrintWriter(out, true);
        PrintWriter e = new PrintWriter(err, true);
        CommandLine cl = commandLine();
        cl.setOut(o);
        cl.setErr(e);
        return cl.execute(args);
    }

    /** The usage of {@code stowage} and its subcommands, as --help prints it (no colours). */
    public static String usage() {
        return commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(Cli.class);
        cl.setExitCodeExceptionMapper(t -> t instanceof CliFailure f ? f.exitCode : ExitCode.FAILURE);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof CliFailure f) {
                line.getErr().println("stowage: " + f.getMessage());
                return f.exitCode;
            }
            if (ex instanceof AdminException a) { // a value refused before any request (a bad size)
                line.getErr().println("stowage: " + a.getMessage());
                return ExitCode.USAGE;
            }
            line.getErr().println("stowage: " + ex);
            return ExitCode.FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("stowage: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return ExitCode.USAGE;
        });
        return cl;
    }

    /** Where the daemon is and how to prove we may talk to it; and how to print. */
    static final class Client {
        @Option(names = "--url", paramLabel = "URL", description = "the admin API (default: $STOWAGE_ADMIN_URL, else "
                + DEFAULT_URL + ")")
        String url;

        @Option(names = "--token-file", paramLabel = "FILE", description = "the daemon's token file (default: "
                + "$STOWAGE_ADMIN_TOKEN_FILE, else /var/lib/stowage/admin.token, else ./var/admin.token)")
        Path tokenFile;

        @Option(names = "--json", description = "print JSON (the API's answer) instead of a table")
        boolean json;

        @Spec(Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        AdminClient api() {
            String u = url != null ? url : System.getenv().getOrDefault("STOWAGE_ADMIN_URL", DEFAULT_URL);
            URI base;
            try {
                base = URI.create(u.endsWith("/") ? u : u + "/");
            } catch (IllegalArgumentException e) {
                throw new CliFailure(ExitCode.USAGE, "--url: not a URL: '" + u + "'");
            }
            return new AdminClient(base, tokenFile());
        }

        private Path tokenFile() {
            if (tokenFile != null) return tokenFile;
            String env = System.getenv("STOWAGE_ADMIN_TOKEN_FILE");
            if (env != null) return Path.of(env);
            Path packaged = Path.of("/var/lib/stowage/admin.token");
            return Files.exists(packaged) ? packaged : Path.of("var/admin.token");
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Prints {@code answer} as JSON with --json, else as {@code human} says; returns 0. */
        int print(JsonNode answer, java.util.function.Consumer<PrintWriter> human) {
            PrintWriter o = out();
            if (json) {
                try {
                    o.println(AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
                } catch (java.io.IOException e) {
                    throw new CliFailure(ExitCode.FAILURE, e.getMessage());
                }
            } else {
                human.accept(o);
            }
            o.flush();
            return ExitCode.OK;
        }
    }

    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static long size(String option, String text) {
        return Sizes.parse(option, text); // refused here, before any request: exit 2
    }

    static void exportsTable(PrintWriter o, JsonNode exports) {
        Table t = new Table("TARGET", "LUN", "VOLUME", "IQN");
        for (JsonNode e : exports) {
            t.row(e.path("target").asText(), e.path("lun").asInt(), e.path("volume").asText(), e.path("iqn").asText());
        }
        t.print(o);
    }

    @Command(name = "volume", mixinStandardHelpOptions = true, description = "Create, list, show, grow and delete volumes.",
            subcommands = {CommandLine.HelpCommand.class, OwnershipCommands.Move.class, OwnershipCommands.Owner.class})
    static final class VolumeCommands {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a thin volume (not exported yet: see export add).")
        int create(@Mixin Client c, @Parameters(paramLabel = "NAME", description = "the volume's name") String name,
                   @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE",
                           description = "its size: bytes, or with K, M, G, T (binary), e.g. 10G") String size) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("size", size(name == null ? "--size" : "--size", size));
            JsonNode v = c.api().post("v1/volumes", body);
            return c.print(v, o -> o.println("volume " + v.path("name").asText() + " created ("
                    + v.path("size").asText() + ", thin)"));
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the volumes.")
        int list(@Mixin Client c) {
            JsonNode vs = c.api().get("v1/volumes");
            return c.print(vs, o -> {
                Table t = new Table("NAME", "SIZE", "EXPORTS");
                for (JsonNode v : vs) {
                    StringBuilder ex = new StringBuilder();
                    for (JsonNode e : v.path("exports")) {
                        if (ex.length() > 0) ex.append(',');
                        ex.append(e.path("target").asText()).append('/').append(e.path("lun").asInt());
                    }
                    t.row(v.path("name").asText(), v.path("size").asText(), ex.length() == 0 ? "-" : ex);
                }
                t.print(o);
            });
        }

        @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one volume and where it is exported.")
        int show(@Mixin Client c, @Parameters(paramLabel = "NAME") String name) {
            JsonNode v = c.api().get("v1/volumes/" + seg(name));
            return c.print(v, o -> {
                o.println("name:    " + v.path("name").asText());
                o.println("size:    " + v.path("size").asText() + " (" + v.path("sizeBytes").asLong() + " bytes)");
                o.println("uuid:    " + v.path("uuid").asText("-"));
                if (v.path("exports").isEmpty()) {
                    o.println("exports: none");
                } else {
                    o.println("exports:");
                    for (JsonNode e : v.path("exports")) {
                        o.println("  " + e.path("iqn").asText() + " LUN " + e.path("lun").asInt());
                    }
                }
            });
        }

        @Command(name = "resize", mixinStandardHelpOptions = true, description = "Grow a volume (never shrink); initiators get CAPACITY DATA HAS CHANGED.")
        int resize(@Mixin Client c, @Parameters(paramLabel = "NAME") String name,
                   @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE",
                           description = "the new size, e.g. 20G") String size) {
            JsonNode v = c.api().post("v1/volumes/" + seg(name) + "/resize", Map.of("size", size("--size", size)));
            return c.print(v, o -> o.println("volume " + v.path("name").asText() + " is now " + v.path("size").asText()));
        }

        @Command(name = "clone", mixinStandardHelpOptions = true, description = "Create a thin clone of a volume's snapshot (no data copied; the snapshot and the volume cannot be deleted while it exists).")
        int cloneVolume(@Mixin Client c, @Parameters(index = "0", paramLabel = "VOLUME@SNAPSHOT") String source,
                        @Parameters(index = "1", paramLabel = "NAME", description = "the clone's name") String name) {
            int at = source.lastIndexOf('@');
            if (at <= 0 || at == source.length() - 1) {
                throw new CliFailure(ExitCode.USAGE, "expected VOLUME@SNAPSHOT, got '" + source + "'");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("snapshot", source.substring(at + 1));
            body.put("clone", name);
            JsonNode v = c.api().post("v1/volumes/" + seg(source.substring(0, at)) + "/clone", body);
            return c.print(v, o -> o.println("volume " + v.path("name").asText() + " created as a clone of "
                    + source + " (" + v.path("size").asText() + ", thin)"));
        }

        @Command(name = "rebuild", mixinStandardHelpOptions = true, description = "Backend restart: flush and upload"
                + " VOLUME's writes, drop its local cache and open it again from the backend alone (as after a lost "
                + "cache disk). Refused while exported. A job, followed as rollback's.")
        int rebuild(@Mixin Client c, @Parameters(paramLabel = "NAME") String name, @Mixin NoWait noWait) {
            AdminClient api = c.api();
            JsonNode job = api.post("v1/volumes/" + seg(name) + "/rebuild", Map.of());
            return noWait.finish(c, api, job, "backend restart of " + name, done -> "volume " + name
                    + " opened again from the backend in " + done.path("result").path("openMillis").asLong() + " ms");
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a volume and its data (refused while exported).")
        int delete(@Mixin Client c, @Parameters(paramLabel = "NAME") String name) {
            JsonNode r = c.api().delete("v1/volumes/" + seg(name));
            return c.print(r, o -> o.println("volume " + name + " deleted"));
        }
    }

    /** A long operation's command: follow its job to the end (progress on stderr), unless --no-wait. */
    static final class NoWait {
        @Option(names = "--no-wait", description = "answer with the job at once instead of following it "
                + "(stowage job show ID --wait)")
        boolean noWait;

        int finish(Client c, AdminClient api, JsonNode job, String what,
                   java.util.function.Function<JsonNode, String> doneLine) {
            if (noWait) return c.print(job, o -> o.println(JobWaiter.started(what, job)));
            JsonNode done = JobWaiter.follow(api, job, what, c.spec.commandLine().getErr(), c.json,
                    JobWaiter.terminal());
            return c.print(done, o -> o.println(doneLine.apply(done)));
        }
    }

    /** {@code volume@snapshot}, as rbd writes it: [volume, snapshot], or exit 2. */
    static String[] snapshotName(String text) {
        int at = text.indexOf('@');
        if (at <= 0 || at == text.length() - 1 || text.indexOf('@', at + 1) >= 0) {
            throw new CliFailure(ExitCode.USAGE, "expected VOLUME@SNAPSHOT, got '" + text + "'");
        }
        return new String[] {text.substring(0, at), text.substring(at + 1)};
    }

    @Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Create, list, delete and roll back "
            + "snapshots, named VOLUME@SNAPSHOT (as rbd).", subcommands = CommandLine.HelpCommand.class)
    static final class SnapshotCommands {
        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Snapshot everything written to VOLUME so far (no data is copied).")
        int create(@Mixin Client c, @Parameters(paramLabel = "VOLUME@SNAPSHOT") String name) {
            String[] n = snapshotName(name);
            JsonNode s = c.api().post("v1/volumes/" + seg(n[0]) + "/snapshots", Map.of("name", n[1]));
            return c.print(s, o -> o.println("snapshot " + name + " created"));
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List a volume's snapshots, oldest first.")
        int list(@Mixin Client c, @Parameters(paramLabel = "VOLUME") String volume) {
            JsonNode ss = c.api().get("v1/volumes/" + seg(volume) + "/snapshots");
            return c.print(ss, o -> {
                Table t = new Table("NAME", "CREATED", "WRITTEN-SINCE-PREVIOUS", "CLONES", "IN-BACKEND");
                for (JsonNode s : ss) {
                    long b = s.path("bytesSincePrevious").asLong();
                    t.row(s.path("volume").asText() + "@" + s.path("name").asText(), s.path("created").asText(),
                            b < 0 ? "-" : Sizes.format(b), s.path("clones").asInt(),
                            s.path("onBackend").asBoolean() ? "yes" : "not yet");
                }
                t.print(o);
            });
        }

        @Command(name = "delete", mixinStandardHelpOptions = true,
                description = "Delete a snapshot (refused while a clone depends on it).")
        int delete(@Mixin Client c, @Parameters(paramLabel = "VOLUME@SNAPSHOT") String name) {
            String[] n = snapshotName(name);
            JsonNode r = c.api().delete("v1/volumes/" + seg(n[0]) + "/snapshots/" + seg(n[1]));
            return c.print(r, o -> o.println("snapshot " + name + " deleted"));
        }

        @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Roll VOLUME back to the snapshot "
                + "while it stays exported; initiators get a unit attention; later snapshots are dropped. A job: "
                + "followed to its end with a progress line on stderr unless --no-wait.")
        int rollback(@Mixin Client c, @Parameters(paramLabel = "VOLUME@SNAPSHOT") String name,
                     @Mixin NoWait noWait) {
            String[] n = snapshotName(name);
            AdminClient api = c.api();
            JsonNode job = api.post("v1/volumes/" + seg(n[0]) + "/snapshots/" + seg(n[1]) + "/rollback", Map.of());
            return noWait.finish(c, api, job, "rollback of " + name, done -> "volume " + n[0] + " rolled back to "
                    + name + " in " + done.path("result").path("millis").asLong() + " ms");
        }
    }

    @Command(name = "target", mixinStandardHelpOptions = true, description = "Create, list and delete iSCSI targets.",
            subcommands = CommandLine.HelpCommand.class)
    static final class TargetCommands {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a target, served at once (with no LUN until export add).")
        int create(@Mixin Client c, @Parameters(paramLabel = "NAME") String name,
                   @Option(names = "--iqn", paramLabel = "IQN", description = "its iSCSI name (default "
                           + "iqn.2026-11.io.stowage:NAME)") String iqn) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            if (iqn != null) body.put("iqn", iqn);
            JsonNode t = c.api().post("v1/targets", body);
            return c.print(t, o -> o.println("target " + t.path("name").asText() + " created ("
                    + t.path("iqn").asText() + ")"));
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the targets.")
        int list(@Mixin Client c) {
            JsonNode ts = c.api().get("v1/targets");
            return c.print(ts, o -> {
                Table t = new Table("NAME", "IQN", "LUNS", "SESSIONS", "NODE");
                for (JsonNode x : ts) {
                    t.row(x.path("name").asText(), x.path("iqn").asText(), x.path("luns").size(),
                            x.path("sessions").asInt(), x.path("node").asText("-"));
                }
                t.print(o);
            });
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a target (refused while it exports LUNs); its sessions end.")
        int delete(@Mixin Client c, @Parameters(paramLabel = "TARGET", description = "name or IQN") String name) {
            JsonNode r = c.api().delete("v1/targets/" + seg(name));
            return c.print(r, o -> o.println("target " + name + " deleted"));
        }
    }

    static int printAcl(Client c, JsonNode acl) {
        return c.print(acl, o -> {
            String src = acl.path("source").asText();
            if (src.equals("everyone")) {
                o.println(acl.path("iqn").asText() + " admits every initiator");
            } else {
                o.println(acl.path("iqn").asText() + " admits (" + (src.equals("config") ? "from the config file"
                        : "set with the CLI") + "):");
                for (JsonNode i : acl.path("initiators")) o.println("  " + i.asText());
            }
        });
    }

    @Command(name = "acl", mixinStandardHelpOptions = true, description = "Which initiators may see and log in to a "
            + "target (default: every one).", subcommands = CommandLine.HelpCommand.class)
    static final class AclCommands {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "The initiators TARGET admits.")
        int list(@Mixin Client c, @Parameters(paramLabel = "TARGET") String target) {
            return printAcl(c, c.api().get("v1/targets/" + seg(target) + "/acl"));
        }

        @Command(name = "add", mixinStandardHelpOptions = true, description = "Admit INITIATOR to TARGET (once a list "
                + "exists, only those on it are admitted).")
        int add(@Mixin Client c, @Parameters(index = "0", paramLabel = "TARGET") String target,
                @Parameters(index = "1", paramLabel = "INITIATOR", description = "its iSCSI name") String initiator) {
            return printAcl(c, c.api().post("v1/targets/" + seg(target) + "/acl", Map.of("initiator", initiator)));
        }

        @Command(name = "remove", mixinStandardHelpOptions = true, description = "Stop admitting INITIATOR; its "
                + "sessions are closed (refused for the last one: see clear).")
        int remove(@Mixin Client c, @Parameters(index = "0", paramLabel = "TARGET") String target,
                   @Parameters(index = "1", paramLabel = "INITIATOR") String initiator) {
            return printAcl(c, c.api().delete("v1/targets/" + seg(target) + "/acl/" + seg(initiator)));
        }

        @Command(name = "clear", mixinStandardHelpOptions = true, description = "Admit every initiator to TARGET.")
        int clear(@Mixin Client c, @Parameters(paramLabel = "TARGET") String target) {
            return printAcl(c, c.api().delete("v1/targets/" + seg(target) + "/acl"));
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Export volumes as LUNs of targets, and unexport them.",
            subcommands = CommandLine.HelpCommand.class)
    static final class ExportCommands {
        @Command(name = "add", mixinStandardHelpOptions = true, description = "Export VOLUME as a LUN of TARGET; logged-in initiators get REPORTED "
                + "LUNS DATA HAS CHANGED.")
        int add(@Mixin Client c, @Parameters(index = "0", paramLabel = "TARGET", description = "name or IQN") String target,
                @Parameters(index = "1", paramLabel = "VOLUME") String volume,
                @Option(names = "--lun", paramLabel = "N", description = "the LUN (default: the lowest free)") Integer lun) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("target", target);
            body.put("volume", volume);
            if (lun != null) body.put("lun", lun);
            JsonNode e = c.api().post("v1/exports", body);
            return c.print(e, o -> o.println("volume " + volume + " is LUN " + e.path("lun").asInt() + " of "
                    + e.path("iqn").asText()));
        }

        @Command(name = "remove", mixinStandardHelpOptions = true, description = "Unexport LUN of TARGET; its sessions get REPORTED LUNS DATA HAS CHANGED.")
        int remove(@Mixin Client c, @Parameters(index = "0", paramLabel = "TARGET") String target,
                   @Parameters(index = "1", paramLabel = "LUN") int lun) {
            JsonNode r = c.api().delete("v1/exports/" + seg(target) + "/" + lun);
            return c.print(r, o -> o.println("LUN " + lun + " of " + target + " removed"));
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the LUN mappings.")
        int list(@Mixin Client c, @Option(names = "--target", paramLabel = "TARGET",
                description = "only this target's (name or IQN)") String target) {
            JsonNode all = c.api().get("v1/exports");
            com.fasterxml.jackson.databind.node.ArrayNode shown = AdminClient.JSON.createArrayNode();
            for (JsonNode e : all) {
                if (target == null || target.equals(e.path("target").asText()) || target.equals(e.path("iqn").asText())) {
                    shown.add(e);
                }
            }
            return c.print(shown, o -> exportsTable(o, shown));
        }
    }

    @Command(name = "scrub", mixinStandardHelpOptions = true, description = "Garbage collection of overwritten data "
            + "(also run by the daemon every engine.scrub-interval).", subcommands = CommandLine.HelpCommand.class)
    static final class ScrubCommands {
        @Command(name = "start", mixinStandardHelpOptions = true, description = "Start one scrub pass of VOLUME as a "
                + "job; with --wait, follow it to the end.")
        int start(@Mixin Client c, @Parameters(paramLabel = "VOLUME") String volume,
                  @Option(names = "--wait", description = "wait for the job, showing its progress") boolean wait) {
            AdminClient api = c.api();
            JsonNode job = api.post("v1/volumes/" + seg(volume) + "/scrub", Map.of());
            if (!wait) {
                return c.print(job, o -> o.println("scrub of " + volume + " started: job " + job.path("id").asLong()
                        + " (stowage scrub status " + volume + ")"));
            }
            JsonNode done = JobWaiter.follow(api, job, "scrub of " + volume, c.spec.commandLine().getErr(), c.json,
                    JobWaiter.terminal());
            return c.print(done, o -> {
                JsonNode r = done.path("result");
                o.println("scrub of " + volume + " done: " + r.path("victims").asInt() + " SCOs examined as victims, "
                        + r.path("scosDeleted").asInt() + " deleted, " + Sizes.format(r.path("bytesReclaimed").asLong())
                        + " reclaimed");
            });
        }

        @Command(name = "status", mixinStandardHelpOptions = true, description = "What scrubbing did on VOLUME since it "
                + "was opened, and its scrub jobs.")
        int status(@Mixin Client c, @Parameters(paramLabel = "VOLUME") String volume) {
            JsonNode s = c.api().get("v1/volumes/" + seg(volume) + "/scrub");
            return c.print(s, o -> {
                if (s.path("open").asBoolean()) {
                    o.println(volume + ": " + s.path("scrubbedScos").asLong() + " SCOs deleted, "
                            + Sizes.format(s.path("examinedBytes").asLong()) + " examined, "
                            + Sizes.format(s.path("reclaimedBytes").asLong()) + " reclaimed since it was opened");
                } else {
                    o.println(volume + ": not open on this node (not exported): not scrubbed here");
                }
                Table t = new Table("JOB", "STATE", "STARTED", "FINISHED", "MESSAGE");
                for (JsonNode j : s.path("jobs")) {
                    t.row(j.path("id").asLong(), j.path("state").asText(), j.path("started").asText("-"),
                            j.path("finished").asText("-"), j.path("message").asText("-"));
                }
                if (!s.path("jobs").isEmpty()) t.print(o);
            });
        }
    }

    @Command(name = "session", mixinStandardHelpOptions = true, description = "iSCSI sessions.", subcommands = CommandLine.HelpCommand.class)
    static final class SessionCommands {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the live sessions.")
        int list(@Mixin Client c) {
            JsonNode ss = c.api().get("v1/sessions");
            return c.print(ss, o -> {
                Table t = new Table("TSIH", "INITIATOR", "ISID", "TARGET");
                for (JsonNode s : ss) {
                    t.row(s.path("tsih").asInt(), s.path("initiator").asText(), s.path("isid").asText(),
                            s.path("discovery").asBoolean() ? "(discovery)" : s.path("target").asText());
                }
                t.print(o);
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The node at a glance.")
    static final class StatusCommand implements java.util.concurrent.Callable<Integer> {
        @Mixin Client c;

        @Override
        public Integer call() {
            JsonNode s = c.api().get("v1/status");
            return c.print(s, o -> {
                o.println("version:   " + s.path("version").asText());
                o.println("node:      " + s.path("node").asText());
                o.println("portal:    " + s.path("portal").asText());
                o.println("backend:   " + s.path("backend").asText());
                o.println("volumes:   " + s.path("volumes").asInt());
                o.println("targets:   " + s.path("targets").asInt() + " (" + s.path("exports").asInt() + " LUNs)");
                o.println("sessions:  " + s.path("sessions").asInt());
                o.println("catalogue: version " + s.path("catalogueVersion").asLong());
                o.println("uptime:    " + s.path("uptimeSeconds").asLong() + " s");
            });
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"stowage " + (v == null ? "dev" : v)};
        }
    }
}
