package io.stowage.node.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes the {@code stowage(1)} man page (roff, the man macros) from the picocli definitions of the CLI
 * ({@link Cli}, with {@link ServeCommand}): every subcommand with its arguments, options and description, the options
 * every admin command shares, and the exit codes. The .deb build runs it ({@code packaging/pom.xml}), so the page
 * cannot drift from what {@code stowage --help} says. (picocli-codegen's generator writes AsciiDoc, which would need
 * asciidoctor to become a man page; this walks the same model straight to roff.)
 *
 * <p>{@code java io.stowage.node.cli.ManPage OUTPUT-FILE [VERSION]}
 */
public final class ManPage {
    private ManPage() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: ManPage OUTPUT-FILE [VERSION]");
            System.exit(2);
        }
        String version = args.length > 1 ? args[1] : new Cli.Version().getVersion()[0].replace("stowage ", "");
        Files.writeString(Path.of(args[0]), render(version), StandardCharsets.UTF_8);
    }

    /** Every command that does something (not the groups, not picocli's help), depth first in definition order. */
    static List<CommandSpec> leaves(CommandSpec spec) {
        List<CommandSpec> out = new ArrayList<>();
        for (CommandLine sub : spec.subcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.userObject() instanceof CommandLine.HelpCommand || out.contains(s)) continue;
            List<CommandSpec> below = leaves(s);
            if (below.isEmpty()) {
                out.add(s);
            } else {
                out.addAll(below);
            }
        }
        return out.stream().distinct().toList();
    }

    /** The options every admin command has (shown once, under OPTIONS): those of the first that all share. */
    static Set<String> commonOptions(List<CommandSpec> leaves) {
        Set<String> common = null;
        for (CommandSpec s : leaves) {
            if (s.userObject() instanceof ServeCommand) continue;
            Set<String> names = new LinkedHashSet<>();
            for (OptionSpec o : s.options()) names.add(o.longestName());
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        return common == null ? Set.of() : common;
    }

    static String render(String version) {
        CommandSpec root = Cli.commandLine().getCommandSpec();
        List<CommandSpec> leaves = leaves(root);
        Set<String> common = commonOptions(leaves);
        StringBuilder m = new StringBuilder();
        m.append(".TH STOWAGE 1 \"\" \"stowage ").append(esc(version)).append("\" \"User Commands\"\n");
        m.append(".SH NAME\nstowage \\- iSCSI target with log\\-structured volumes, and the CLI that manages it\n");
        m.append(".SH SYNOPSIS\n");
        for (CommandSpec s : leaves) {
            m.append(synopsis(s, common)).append("\n.br\n");
        }
        m.append("\\fBstowage\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n");
        m.append(".SH DESCRIPTION\n");
        for (String line : root.usageMessage().description()) paragraphs(m, line);
        m.append(".PP\nThe admin commands talk to the running daemon's admin API (127.0.0.1:7260 by default) and "
                + "change "
                + "its catalogue of volumes, snapshots, targets, LUN exports, ACLs and CHAP live, without a restart. "
                + "Sizes take K, M, G, T (binary). A TARGET is its name or IQN. Snapshots are named VOLUME@SNAPSHOT, "
                + "as with rbd. Long operations (a rollback, a backend restart, a scrub pass) are jobs: the command "
                + "follows the job with a progress line on stderr (redrawn on a terminal, one line per state "
                + "otherwise) unless \\fB\\-\\-no\\-wait\\fR.\n");
        m.append(".SH COMMANDS\n");
        String group = null;
        for (CommandSpec s : leaves) {
            CommandSpec parent = s.parent() == null || s.parent() == root ? s : s.parent();
            if (!parent.qualifiedName().equals(group)) {
                group = parent.qualifiedName();
                m.append(".SS \"").append(esc(group)).append("\"\n");
                if (parent != s) {
                    for (String line : parent.usageMessage().description()) paragraphs(m, line);
                }
            }
            m.append(".TP\n").append(synopsis(s, common)).append('\n');
            for (String line : s.usageMessage().description()) m.append(text(line)).append('\n');
            boolean first = true;
            for (ArgSpec a : args(s)) {
                if (a.isOption() && common.contains(((OptionSpec) a).longestName())) continue;
                if (a.description().length == 0) continue;
                m.append(first ? ".RS\n" : "");
                first = false;
                m.append(".TP\n").append(label(a)).append('\n').append(text(String.join(" ", a.description())))
                        .append('\n');
            }
            if (!first) m.append(".RE\n");
        }
        m.append(".SH OPTIONS\nEvery admin command (all but \\fBserve\\fR) takes:\n");
        CommandSpec any = leaves.stream().filter(s -> !(s.userObject() instanceof ServeCommand)).findFirst()
                .orElseThrow();
        for (OptionSpec o : any.options()) {
            if (!common.contains(o.longestName()) || o.hidden()) continue;
            m.append(".TP\n").append(label(o)).append('\n').append(text(String.join(" ", o.description())))
                    .append('\n');
        }
        m.append(".SH EXIT STATUS\n.B stowage serve:\n");
        for (CommandSpec s : leaves) {
            if (s.userObject() instanceof ServeCommand) exitCodes(m, s);
        }
        m.append(".PP\nAdmin commands:\n");
        exitCodes(m, root);
        m.append(".SH ENVIRONMENT\n.TP\n.B STOWAGE_ADMIN_URL\nthe admin API when \\fB\\-\\-url\\fR is not given\n"
                + ".TP\n.B STOWAGE_ADMIN_TOKEN_FILE\nthe token file when \\fB\\-\\-token\\-file\\fR is not given\n"
                + ".TP\n.B STOWAGE_HEAP\nthe daemon's Java heap (default 1g)\n");
        m.append(".SH FILES\n/etc/stowage/stowage.conf (every key documented), /var/lib/stowage (objects and cache of "
                + "the embedded backend), /var/lib/stowage/admin.token (the admin API's token, mode 0600)\n");
        m.append(".SH SEE ALSO\n.BR iscsiadm (8),\n.BR iscsi\\-ls (1)\n");
        return m.toString();
    }

    private static List<ArgSpec> args(CommandSpec s) {
        List<ArgSpec> out = new ArrayList<>(s.positionalParameters());
        for (OptionSpec o : s.options()) {
            if (!o.hidden()) out.add(o);
        }
        return out;
    }

    /** {@code stowage volume create NAME -s SIZE [--url URL] ...} in bold and italics (common options left out). */
    static String synopsis(CommandSpec s, Set<String> common) {
        StringBuilder b = new StringBuilder("\\fB").append(esc(s.qualifiedName())).append("\\fR");
        for (OptionSpec o : s.options()) {
            if (o.hidden() || o.usageHelp() || o.versionHelp() || common.contains(o.longestName())) continue;
            String one = "\\fB" + esc(o.longestName()) + "\\fR" + (o.arity().max() > 0
                    ? (o.arity().min() == 0 ? " [\\fI" + esc(o.paramLabel()) + "\\fR]"
                    : " \\fI" + esc(o.paramLabel()) + "\\fR") : "");
            b.append(' ').append(o.required() ? one : "[" + one + "]");
        }
        for (PositionalParamSpec p : s.positionalParameters()) {
            String one = "\\fI" + esc(p.paramLabel()) + "\\fR";
            b.append(' ').append(p.arity().min() == 0 ? "[" + one + "]" : one);
        }
        return b.toString();
    }

    private static String label(ArgSpec a) {
        if (a instanceof OptionSpec o) {
            StringBuilder b = new StringBuilder();
            for (String n : o.names()) {
                if (b.length() > 0) b.append(", ");
                b.append("\\fB").append(esc(n)).append("\\fR");
            }
            if (o.arity().max() > 0) b.append(" \\fI").append(esc(o.paramLabel())).append("\\fR");
            return b.toString();
        }
        return "\\fI" + esc(a.paramLabel()) + "\\fR";
    }

    private static void exitCodes(StringBuilder m, CommandSpec s) {
        s.usageMessage().exitCodeList().forEach((code, meaning) -> m.append(".TP\n.B ").append(esc(code.strip()))
                .append('\n').append(text(meaning)).append('\n'));
    }

    private static void paragraphs(StringBuilder m, String description) {
        for (String p : description.split("%n")) {
            if (p.isBlank()) continue;
            m.append(".PP\n").append(text(p)).append('\n');
        }
    }

    /** One filled line of text: escaped, and never starting with a control character. */
    private static String text(String s) {
        String t = esc(s.replace("%n", " ").strip());
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }

    /** Backslashes and hyphens as roff wants them (a plain '-' may print as a hyphen, not the minus of an option). */
    static String esc(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }
}
