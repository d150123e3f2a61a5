package io.stowage.node.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.stowage.node.Daemon;
import io.stowage.node.StowageConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against an in-process daemon: tables, --json, and the exit code of every error path. */
class CliTest {
    @TempDir Path dir;
    Daemon daemon;
    String url;

    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void start() throws Exception {
        StowageConfig c = StowageConfig.from(Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M"));
        c.overrideDataDir(dir);
        c.overridePort(0);
        c.overrideAdmin("127.0.0.1:0");
        daemon = new Daemon(c);
        url = "http://127.0.0.1:" + daemon.adminAddress().getPort();
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    Run cli(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--url", url, "--token-file", dir.resolve("admin.token").toString()));
        return raw(a.toArray(String[]::new));
    }

    static Run raw(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aVolumeIsCreatedExportedGrownAndDeleted() throws Exception {
        Run r = cli("volume", "create", "web", "--size", "2G");
        assertEquals(0, r.code(), r.err());
        assertEquals("volume web created (2G, thin)\n", r.out());
        r = cli("volume", "list");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("NAME"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("demo\\s+64M\\s+demo/0")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("web\\s+2G\\s+-")), r.out());
        assertEquals(0, cli("target", "create", "www").code());
        r = cli("export", "add", "www", "web", "--lun", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals("volume web is LUN 3 of iqn.2026-11.io.stowage:www\n", r.out());
        assertNotNull(daemon.targets().find("iqn.2026-11.io.stowage:www").scsi().luns().get(3));
        r = cli("export", "list", "--json", "--target", "www");
        JsonNode exports = AdminClient.JSON.readTree(r.out());
        assertEquals(1, exports.size());
        assertEquals("web", exports.get(0).path("volume").asText());
        assertEquals(0, cli("volume", "resize", "web", "-s", "3G").code());
        JsonNode shown = AdminClient.JSON.readTree(cli("volume", "show", "web", "--json").out());
        assertEquals(3L << 30, shown.path("sizeBytes").asLong());
        assertTrue(cli("volume", "show", "web").out().contains("iqn.2026-11.io.stowage:www LUN 3"));
        assertTrue(cli("target", "list").out().lines().anyMatch(l -> l.matches("www\\s+iqn.2026-11.io.stowage:www\\s+1\\s+0\\s+\\S+")));
        assertEquals(0, cli("session", "list").code());
        r = cli("status");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("volumes:   2"), r.out());
        assertEquals(0, cli("export", "remove", "www", "3").code());
        assertEquals(0, cli("volume", "delete", "web").code());
        assertEquals(0, cli("target", "delete", "www").code());
        assertEquals(List.of("demo"), daemon.operations().volumes().stream().map(v -> v.name()).toList());
    }

    @Test
    void everyErrorHasItsExitCodeAndSaysWhat() throws Exception {
        Run r = cli("volume", "show", "nope");
        assertEquals(ExitCode.NOT_FOUND, r.code());
        assertEquals("stowage: no volume named 'nope' (stowage volume list)\n", r.err());
        r = cli("volume", "clone", "nosnapshot", "c");
        assertEquals(ExitCode.USAGE, r.code());
        assertTrue(r.err().contains("VOLUME@SNAPSHOT"), r.err());
        r = cli("volume", "clone", "nope@s", "c");
        assertEquals(ExitCode.NOT_FOUND, r.code(), r.err());
        r = cli("volume", "create", "x", "--size", "12Q");
        assertEquals(ExitCode.USAGE, r.code());
        assertTrue(r.err().contains("expected a size such as 8G"), r.err());
        assertEquals(ExitCode.USAGE, cli("volume", "create", "x", "--size", "1000").code(), "not a multiple of 4K");
        r = cli("volume", "create", "demo", "--size", "1G");
        assertEquals(ExitCode.DUPLICATE, r.code());
        assertTrue(r.err().contains("already exists"), r.err());
        r = cli("volume", "delete", "demo");
        assertEquals(ExitCode.IN_USE, r.code());
        assertTrue(r.err().contains("stowage export remove demo 0"), r.err());
        assertEquals(ExitCode.USAGE, cli("volume", "create", "x").code(), "--size is required");
        assertEquals(ExitCode.USAGE, cli("volume", "frobnicate").code());
        assertEquals(ExitCode.NOT_FOUND, cli("export", "add", "nope", "demo").code());

        Path wrong = dir.resolve("wrong.token");
        Files.writeString(wrong, "0123456789abcdef0123456789abcdef\n");
        r = raw("volume", "list", "--url", url, "--token-file", wrong.toString());
        assertEquals(ExitCode.UNAUTHORIZED, r.code());
        assertTrue(r.err().contains("wrong token"), r.err());
        r = raw("volume", "list", "--url", url, "--token-file", dir.resolve("absent").toString());
        assertEquals(ExitCode.UNAUTHORIZED, r.code());
        assertTrue(r.err().contains("cannot read the token file"), r.err());

        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        r = raw("status", "--url", "http://127.0.0.1:" + free, "--token-file", wrong.toString());
        assertEquals(ExitCode.NO_DAEMON, r.code());
        assertTrue(r.err().contains("no Stowage daemon answers at http://127.0.0.1:" + free), r.err());
    }

    @Test
    void snapshotsAreNamedVolumeAtSnapshotAndRollBack() throws Exception {
        io.stowage.volume.BlockDevice dev = daemon.targets().find("iqn.2026-11.io.stowage:demo").scsi().luns().get(0)
                .device();
        java.nio.ByteBuffer a = java.nio.ByteBuffer.allocateDirect(4096);
        while (a.hasRemaining()) a.put((byte) 'A');
        dev.write(0, a.flip(), false).toCompletableFuture().join();
        Run r = cli("snapshot", "create", "demo@before");
        assertEquals(0, r.code(), r.err());
        assertEquals("snapshot demo@before created\n", r.out());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4096);
        while (b.hasRemaining()) b.put((byte) 'B');
        dev.write(0, b.flip(), false).toCompletableFuture().join();
        assertEquals(ExitCode.DUPLICATE, cli("snapshot", "create", "demo@before").code());
        assertEquals(ExitCode.USAGE, cli("snapshot", "create", "demo").code(), "no @");
        assertEquals(ExitCode.USAGE, cli("snapshot", "create", "demo@bad name").code());
        assertEquals(ExitCode.NOT_FOUND, cli("snapshot", "create", "nope@x").code());
        assertEquals(ExitCode.NOT_FOUND, cli("snapshot", "rollback", "demo@never").code());
        r = cli("snapshot", "list", "demo");
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("demo@before ")), r.out());
        JsonNode list = AdminClient.JSON.readTree(cli("snapshot", "list", "demo", "--json").out());
        assertEquals("before", list.get(0).path("name").asText());
        assertEquals(0, cli("snapshot", "rollback", "demo@before").code());
        java.nio.ByteBuffer back = java.nio.ByteBuffer.allocateDirect(4096);
        dev.read(0, back).toCompletableFuture().join();
        assertEquals('A', back.get(0), "rolled back to what the snapshot holds");
        assertEquals(0, cli("snapshot", "delete", "demo@before").code());
        assertEquals(ExitCode.NOT_FOUND, cli("snapshot", "delete", "demo@before").code());
        // an unexported volume is opened for its snapshots
        assertEquals(0, cli("volume", "create", "cold", "--size", "16M").code());
        assertEquals(0, cli("snapshot", "create", "cold@s1").code());
        assertEquals(1, AdminClient.JSON.readTree(cli("snapshot", "list", "cold", "--json").out()).size());
    }

    @Test
    void chapIsSetShownAndClearedAndNoSecretIsPrinted() throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "initiator-secret-1\n");
        Path mutual = dir.resolve("mutual");
        Files.writeString(mutual, "target-secret-of-demo\n");
        Run r = cli("chap", "set", "demo", "--user", "alice", "--secret-file", secret.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("demo (iqn.2026-11.io.stowage:demo): one-way CHAP (set with the CLI)"), r.out());
        r = cli("chap", "set", "demo", "--user", "alice", "--secret", "initiator-secret-1");
        assertEquals(0, r.code(), "the value may follow as the next word: " + r.err());
        r = cli("chap", "set", "demo", "--user", "alice", "--secret=initiator-secret-1", "--mutual-user", "demo-t",
                "--mutual-secret-file", mutual.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("mutual user: demo-t (secret set)"), r.out());
        r = cli("chap", "show", "demo");
        assertTrue(r.out().contains("user:        alice (secret set)"), r.out());
        r = cli("chap", "list");
        assertTrue(r.out().lines().anyMatch(l -> l.matches("demo\\s+mutual\\s+alice\\s+demo-t\\s+catalogue")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\(discovery\\)\\s+none\\s+-\\s+-\\s+none")), r.out());
        String everything = r.out() + cli("chap", "show", "demo", "--json").out() + cli("chap", "list", "--json").out();
        assertFalse(everything.contains("initiator-secret-1") || everything.contains("target-secret-of-demo"), everything);

        assertEquals(ExitCode.USAGE, cli("chap", "set", "demo", "--user", "alice", "--secret=short").code());
        r = cli("chap", "set", "demo", "--user", "alice", "--secret=initiator-secret-1", "--mutual-user", "t");
        assertEquals(ExitCode.USAGE, r.code());
        assertTrue(r.err().contains("mutualSecret"), r.err());
        assertEquals(ExitCode.USAGE, cli("chap", "set", "demo", "--user", "alice").code(), "no secret");
        assertEquals(ExitCode.USAGE, cli("chap", "show").code(), "neither TARGET nor --discovery");
        assertEquals(ExitCode.USAGE, cli("chap", "show", "demo", "--discovery").code(), "both");
        assertEquals(ExitCode.NOT_FOUND, cli("chap", "show", "nope").code());
        assertEquals(ExitCode.NOT_FOUND, cli("chap", "set", "nope", "--user", "a", "--secret-file", secret.toString()).code());

        assertEquals(0, cli("chap", "set", "--discovery", "--user", "scan", "--secret-file", secret.toString()).code());
        assertTrue(cli("chap", "show", "--discovery").out().startsWith("discovery sessions: one-way CHAP"));
        assertEquals(0, cli("chap", "clear", "--discovery").code());
        r = cli("chap", "clear", "demo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("demo (iqn.2026-11.io.stowage:demo): no CHAP (set with the CLI)"), r.out());
    }

    @Test
    void rollbackAndRebuildFollowTheirJobUnlessNoWait() throws Exception {
        assertEquals(0, cli("snapshot", "create", "demo@s").code());
        Run r = cli("snapshot", "rollback", "demo@s");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("volume demo rolled back to demo@s in \\d+ ms\n"), r.out());
        assertTrue(r.err().lines().anyMatch(l -> l.matches("rollback of demo@s: job \\d+ done after \\d+ s")),
                "plain progress lines off a terminal: " + r.err());
        r = cli("snapshot", "rollback", "demo@s", "--no-wait");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("rollback of demo@s started: job "), r.out());
        long id = Long.parseLong(r.out().replaceAll("(?s).*job (\\d+) .*", "$1"));
        r = cli("job", "show", Long.toString(id), "--wait");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("state:    DONE"), r.out());
        r = cli("job", "list");
        assertTrue(r.out().lines().filter(l -> l.contains("rollback")).count() >= 2, r.out());
        assertEquals(ExitCode.NOT_FOUND, cli("job", "show", "999").code());
        assertEquals(ExitCode.USAGE, cli("job", "show", "x").code());

        assertEquals(ExitCode.IN_USE, cli("volume", "rebuild", "demo").code(), "exported here");
        assertEquals(ExitCode.NOT_FOUND, cli("volume", "rebuild", "nope").code());
        assertEquals(0, cli("volume", "create", "cold", "--size", "16M").code());
        r = cli("volume", "rebuild", "cold", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err(), "no progress lines with --json");
        assertEquals("DONE", AdminClient.JSON.readTree(r.out()).path("state").asText());
    }

    /** On a terminal the progress is one line redrawn in place (carriage returns), ended by a newline. */
    @Test
    void onATerminalTheProgressIsOneLineRedrawn() throws Exception {
        AdminClient api = new AdminClient(java.net.URI.create(url + "/"), dir.resolve("admin.token"));
        assertEquals(0, cli("snapshot", "create", "demo@t").code());
        JsonNode job = api.post("v1/volumes/demo/snapshots/t/rollback", Map.of());
        java.io.StringWriter w = new java.io.StringWriter();
        JsonNode done = JobWaiter.follow(api, job, "rollback of demo@t", new java.io.PrintWriter(w), false, true);
        assertEquals("DONE", done.path("state").asText());
        String shown = w.toString();
        assertTrue(shown.startsWith("\rrollback of demo@t: "), shown);
        assertTrue(shown.endsWith(" s  \n") && shown.contains("\rrollback of demo@t: done "), shown);
        assertEquals(1, shown.chars().filter(ch -> ch == '\n').count(), "one line, redrawn: " + shown);
        JsonNode half = AdminClient.JSON.readTree("{\"state\":\"RUNNING\",\"progress\":0.5}");
        assertEquals("[##########..........]  50% ", JobWaiter.bar(half), "a bar when the job tells its progress");
        assertEquals("", JobWaiter.bar(AdminClient.JSON.readTree("{\"state\":\"RUNNING\",\"progress\":null}")));
    }

    @Test
    void anAclIsListedAddedRemovedAndCleared() throws Exception {
        assertEquals("iqn.2026-11.io.stowage:demo admits every initiator\n", cli("acl", "list", "demo").out());
        Run r = cli("acl", "add", "demo", "iqn.2026-11.io.stowage:host1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("set with the CLI") && r.out().contains("  iqn.2026-11.io.stowage:host1"), r.out());
        assertEquals(ExitCode.DUPLICATE, cli("acl", "add", "demo", "iqn.2026-11.io.stowage:host1").code());
        assertEquals(ExitCode.USAGE, cli("acl", "add", "demo", "not-an-iqn").code());
        r = cli("acl", "remove", "demo", "iqn.2026-11.io.stowage:host1");
        assertEquals(ExitCode.USAGE, r.code(), "the last one");
        assertTrue(r.err().contains("stowage acl clear demo"), r.err());
        assertEquals(ExitCode.NOT_FOUND, cli("acl", "remove", "demo", "iqn.2026-11.io.stowage:nobody").code());
        assertEquals(0, cli("acl", "clear", "iqn.2026-11.io.stowage:demo").code());
        JsonNode acl = AdminClient.JSON.readTree(cli("acl", "list", "demo", "--json").out());
        assertEquals("everyone", acl.path("source").asText());
    }

    @Test
    void aScrubRunsAsAJobAndReportsWhatItDid() throws Exception {
        Run r = cli("scrub", "start", "demo", "--wait");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("scrub of demo done: "), r.out());
        r = cli("scrub", "start", "demo", "--json");
        long id = AdminClient.JSON.readTree(r.out()).path("id").asLong();
        assertTrue(id >= 2, r.out());
        JsonNode status = null;
        for (int i = 0; i < 100; i++) {
            status = AdminClient.JSON.readTree(cli("scrub", "status", "demo", "--json").out());
            JsonNode last = status.path("jobs").get(status.path("jobs").size() - 1);
            if (last.path("state").asText().equals("DONE")) break;
            Thread.sleep(100);
        }
        assertTrue(status.path("open").asBoolean());
        assertEquals(2, status.path("jobs").size());
        assertEquals("DONE", status.path("jobs").get(1).path("state").asText());
        assertEquals(ExitCode.NOT_FOUND, cli("scrub", "start", "nope").code());
    }

    @Test
    void helpListsTheSubcommandsAndExitCodes() {
        Run r = raw("volume", "--help");
        assertEquals(0, r.code());
        for (String sub : List.of("create", "list", "show", "resize", "clone", "delete")) assertTrue(r.out().contains(sub), r.out());
    }
}
