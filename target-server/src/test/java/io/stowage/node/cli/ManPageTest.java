package io.stowage.node.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The man page is generated from the CLI's picocli definitions: it names every subcommand (serve included), and
 * under each one its arguments and options; the options all admin commands share are under OPTIONS; it is valid
 * roff (groff warns of nothing, when groff is installed).
 */
class ManPageTest {
    @TempDir Path dir;

    @Test
    void thePageListsEverySubcommandWithItsArgumentsAndOptions() {
        String page = ManPage.render("9.9");
        CommandSpec root = Cli.commandLine().getCommandSpec();
        List<CommandSpec> leaves = ManPage.leaves(root);
        Set<String> common = ManPage.commonOptions(leaves);
        assertTrue(common.containsAll(Set.of("--url", "--token-file", "--json")), common.toString());
        String commands = page.substring(page.indexOf(".SH COMMANDS"), page.indexOf(".SH OPTIONS"));
        String options = page.substring(page.indexOf(".SH OPTIONS"), page.indexOf(".SH EXIT STATUS"));
        for (String top : root.subcommands().keySet()) {
            if (top.equals("help")) continue;
            assertTrue(leaves.stream().anyMatch(l -> l.qualifiedName().startsWith("stowage " + top)), top);
        }
        assertTrue(leaves.size() >= 30, "every leaf command: " + leaves.size());
        for (int i = 0; i < leaves.size(); i++) {
            CommandSpec s = leaves.get(i);
            String header = ".TP\n\\fB" + ManPage.esc(s.qualifiedName()) + "\\fR";
            int at = commands.indexOf(header);
            assertTrue(at >= 0, "no entry for " + s.qualifiedName());
            int end = i + 1 < leaves.size() ? commands.indexOf(".TP\n\\fB" + ManPage.esc(leaves.get(i + 1)
                    .qualifiedName()) + "\\fR") : commands.length();
            String entry = commands.substring(at, end > at ? end : commands.length());
            assertTrue(page.substring(0, page.indexOf(".SH DESCRIPTION")).contains("\\fB"
                    + ManPage.esc(s.qualifiedName()) + "\\fR"), "not in the SYNOPSIS: " + s.qualifiedName());
            for (PositionalParamSpec p : s.positionalParameters()) {
                assertTrue(entry.contains("\\fI" + ManPage.esc(p.paramLabel()) + "\\fR"), s.qualifiedName() + " "
                        + p.paramLabel());
            }
            for (OptionSpec o : s.options()) {
                if (o.hidden()) continue;
                String where = common.contains(o.longestName()) ? options : entry;
                for (String name : o.names()) {
                    assertTrue(where.contains("\\fB" + ManPage.esc(name) + "\\fR"), s.qualifiedName() + " " + name);
                }
            }
        }
        for (String code : new String[] {"0", "1", "2", "3", "4", "5", "6", "7"}) {
            assertTrue(page.contains(".TP\n.B " + code + "\n"), "exit code " + code);
        }
        assertTrue(page.startsWith(".TH STOWAGE 1 \"\" \"stowage 9.9\""), page.substring(0, 60));
    }

    @Test
    void groffFindsNothingToWarnAbout() throws Exception {
        Path groff = Path.of("/usr/bin/groff");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(groff), "groff is not installed");
        Path page = dir.resolve("stowage.1");
        ManPage.main(new String[] {page.toString(), "9.9"});
        Process p = new ProcessBuilder(groff.toString(), "-man", "-ww", "-z", page.toString()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertEquals("", out, "groff warnings");
    }
}
