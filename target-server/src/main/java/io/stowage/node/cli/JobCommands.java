package io.stowage.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stowage job list|show}: the daemon's long operations (rollback, backend restart, scrub passes). */
@Command(name = "job", mixinStandardHelpOptions = true, description = "Long operations (rollback, backend restart, "
        + "scrub): the last 100 jobs of the running daemon.", subcommands = CommandLine.HelpCommand.class)
final class JobCommands {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the jobs, oldest first.")
    int list(@Mixin Cli.Client c) {
        JsonNode js = c.api().get("v1/jobs");
        return c.print(js, o -> {
            Table t = new Table("JOB", "KIND", "VOLUME", "STATE", "STARTED", "FINISHED", "MESSAGE");
            for (JsonNode j : js) {
                t.row(j.path("id").asLong(), j.path("kind").asText(), j.path("volume").asText(),
                        j.path("state").asText(), j.path("started").asText("-"), j.path("finished").asText("-"),
                        j.path("message").asText("-"));
            }
            t.print(o);
        });
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one job; with --wait, follow it to "
            + "its end (exit 1 if it failed).")
    int show(@Mixin Cli.Client c, @Parameters(paramLabel = "ID") long id,
             @Option(names = "--wait", description = "wait for the job to end, showing its progress") boolean wait) {
        AdminClient api = c.api();
        JsonNode j = api.get("v1/jobs/" + id);
        JsonNode shown = wait ? JobWaiter.follow(api, j, j.path("kind").asText() + " of " + j.path("volume").asText(),
                c.spec.commandLine().getErr(), c.json, JobWaiter.terminal()) : j;
        return c.print(shown, o -> {
            o.println("job:      " + shown.path("id").asLong() + " (" + shown.path("kind").asText() + " of "
                    + shown.path("volume").asText() + ")");
            o.println("state:    " + shown.path("state").asText());
            o.println("started:  " + shown.path("started").asText("-"));
            o.println("finished: " + shown.path("finished").asText("-"));
            if (!shown.path("result").isMissingNode() && !shown.path("result").isNull()) {
                o.println("result:   " + shown.path("result"));
            }
            if (!shown.path("message").isNull() && !shown.path("message").isMissingNode()) {
                o.println("message:  " + shown.path("message").asText());
            }
        });
    }
}
