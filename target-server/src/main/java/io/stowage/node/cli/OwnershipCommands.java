package io.stowage.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stowage volume move} and {@code stowage volume owner}: who serves a volume under leases. */
final class OwnershipCommands {
    private OwnershipCommands() {
    }

    static void print(PrintWriter o, JsonNode v) {
        o.println("volume:  " + v.path("volume").asText());
        o.println("owner:   " + (v.path("owner").isNull() || v.path("owner").isMissingNode() ? "none"
                : v.path("owner").asText() + " (node.id " + v.path("ownerId").asInt() + ")"));
        o.println("here:    " + v.path("node").asText() + ": " + v.path("here").asText("not exported")
                + (v.path("since").isTextual() ? " (" + v.path("since").asText() + ")" : ""));
    }

    @Command(name = "move", mixinStandardHelpOptions = true, description = "Hand VOLUME over to another node "
            + "(node.ownership = lease): its owner flushes, closes and releases it, the named node takes it; "
            + "returns once that node serves it.")
    static final class Move implements Callable<Integer> {
        @Mixin Cli.Client c;
        @Parameters(paramLabel = "VOLUME") String volume;
        @Option(names = "--to", required = true, paramLabel = "NODE", description = "the node's node.name or node.id")
        String to;

        @Override
        public Integer call() {
            JsonNode v = c.api().post("v1/volumes/" + Cli.seg(volume) + "/move", Map.of("to", to));
            return c.print(v, o -> {
                o.println("volume " + volume + " is served by " + v.path("owner").asText() + " now");
            });
        }
    }

    @Command(name = "owner", mixinStandardHelpOptions = true, description = "Which node holds VOLUME's lease, and "
            + "this node's state for it (standby, active ...).")
    static final class Owner implements Callable<Integer> {
        @Mixin Cli.Client c;
        @Parameters(paramLabel = "VOLUME") String volume;

        @Override
        public Integer call() {
            JsonNode v = c.api().get("v1/volumes/" + Cli.seg(volume) + "/owner");
            return c.print(v, o -> print(o, v));
        }
    }
}
