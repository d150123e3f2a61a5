package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code stowage} CLI against a real daemon started as a user starts it ({@code ./stowage serve}): volumes,
 * targets and exports made live and seen by an initiator tool without a restart, kept across a restart; every
 * error path with its exit code; and an initiator logged in keeps verified I/O while LUNs come and go around it.
 */
class AdminCliIT {
    @TempDir Path dir;

    @Test
    void volumesAndExportsMadeLiveAreSeenAtOnceAndKeptAcrossARestart() throws Exception {
        Path data = dir.resolve("var");
        int adminPort = StowageProcess.freePort();
        try (StowageProcess s = StowageProcess.start("admin-cli-1", data, "--admin", "127.0.0.1:" + adminPort)) {
            assertTrue(s.output().contains("Admin API on http://127.0.0.1:" + adminPort), s.output());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(data.resolve("admin.token"))));
            StowageProcess a = s;
            a.cli("volume", "create", "web", "--size", "256M").ok();
            a.cli("target", "create", "www").ok();
            assertEquals("volume web is LUN 0 of iqn.2026-11.io.stowage:www\n",
                    a.cli("export", "add", "www", "web").ok().output());
            String ls = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + s.portal()).ok().output();
            assertTrue(ls.contains("iqn.2026-11.io.stowage:www"), ls);
            String luns = Tools.run(30, "iscsi-ls", "-s", "-U", "iscsi://" + s.portal() + "/iqn.2026-11.io.stowage:www")
                    .output();
            String inq = Tools.run(30, "iscsi-inq", "iscsi://" + s.portal() + "/iqn.2026-11.io.stowage:www/0").ok().output();
            assertTrue(inq.contains("STOWAGE") || inq.toLowerCase().contains("stowage"), inq + luns);

            // the error paths, each with its exit code and a message saying what to do
            Tools.Result r = a.cli("volume", "show", "nope");
            assertEquals(3, r.exit(), r.output());
            assertTrue(r.output().contains("no volume named 'nope'"), r.output());
            r = a.cli("volume", "create", "x", "--size", "ten");
            assertEquals(2, r.exit(), r.output());
            assertTrue(r.output().contains("expected a size such as 8G"), r.output());
            r = a.cli("volume", "create", "web", "--size", "1G");
            assertEquals(4, r.exit(), r.output());
            assertTrue(r.output().contains("volume web already exists"), r.output());
            r = a.cli("volume", "delete", "web");
            assertEquals(5, r.exit(), r.output());
            assertTrue(r.output().contains("stowage export remove www 0"), r.output());
            Path wrong = dir.resolve("wrong.token");
            Files.writeString(wrong, "0123456789abcdef0123456789abcdef\n");
            r = Tools.run(60, "env", "STOWAGE_NO_BUILD=1", StowageProcess.REPO.resolve("stowage").toString(),
                    "volume", "list", "--url", a.adminUrl(), "--token-file", wrong.toString());
            assertEquals(6, r.exit(), r.output());
            assertTrue(r.output().contains("wrong token"), r.output());
            assertEquals("snapshot web@first created\n", a.cli("snapshot", "create", "web@first").ok().output());
            r = a.cli("snapshot", "create", "web@first");
            assertEquals(4, r.exit(), r.output());
            assertTrue(a.cli("snapshot", "list", "web").ok().output().contains("web@first"));
            String list = a.cli("volume", "list", "--json").ok().output();
            assertTrue(list.contains("\"name\" : \"web\""), list);
        }
        // stopped: no daemon answers
        Tools.Result r = Tools.run(60, "env", "STOWAGE_NO_BUILD=1", StowageProcess.REPO.resolve("stowage").toString(),
                "status", "--url", "http://127.0.0.1:" + adminPort, "--token-file", data.resolve("admin.token").toString());
        assertEquals(7, r.exit(), r.output());
        assertTrue(r.output().contains("no Stowage daemon answers"), r.output());

        try (StowageProcess s = StowageProcess.start("admin-cli-2", data)) {
            String exports = s.cli("export", "list").ok().output();
            assertTrue(exports.lines().anyMatch(l -> l.matches("www\\s+0\\s+web\\s+iqn.2026-11.io.stowage:www")), exports);
            String ls = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + s.portal()).ok().output();
            assertTrue(ls.contains("iqn.2026-11.io.stowage:www"), "a restart keeps what the CLI made: " + ls);
        }
    }

    /**
     * The newer commands on a real daemon: CHAP set and cleared live (an initiator tool must prove it at once, the
     * secret never printed, read from stdin when no value follows), rollback and a backend restart as jobs the CLI
     * follows (plain progress lines off a terminal) or leaves with --no-wait, their error paths, and a second daemon
     * refused at start because the admin port is taken.
     */
    @Test
    void chapRollbackAndBackendRestartWithTheirErrorPaths() throws Exception {
        try (StowageProcess s = StowageProcess.start("admin-cli-chap", dir.resolve("var"))) {
            String lun0 = "iscsi://" + s.portal() + "/" + StowageProcess.IQN + "/0";
            String withChap = "iscsi://alice%initiator-secret@" + s.portal() + "/" + StowageProcess.IQN + "/0";
            assertTrue(Tools.run(30, "iscsi-inq", lun0).ok().output().contains("DIRECT_ACCESS"));
            // the secret from stdin: no value after --secret and no terminal
            Tools.Result r = Tools.run(60, "bash", "-c", "printf 'initiator-secret\\n' | STOWAGE_NO_BUILD=1 "
                    + StowageProcess.REPO.resolve("stowage") + " chap set demo --user alice --secret --url "
                    + s.adminUrl() + " --token-file " + s.dataDir.resolve("admin.token"));
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("one-way CHAP (set with the CLI)"), r.output());
            assertNotEquals(0, Tools.run(30, "iscsi-inq", lun0).exit(), "no credentials, no login: applied live");
            assertTrue(Tools.run(30, "iscsi-inq", withChap).ok().output().contains("DIRECT_ACCESS"));
            String shown = s.cli("chap", "show", "demo").ok().output() + s.cli("chap", "list", "--json").ok().output();
            assertTrue(shown.contains("alice (secret set)"), shown);
            assertFalse(shown.contains("initiator-secret"), shown);
            r = s.cli("chap", "set", "demo", "--user", "alice", "--secret=short");
            assertEquals(2, r.exit(), r.output());
            assertTrue(r.output().contains("CHAP secret: must be 12 to 255 characters"), r.output());
            r = s.cli("chap", "set", "demo", "--user", "alice", "--secret=initiator-secret", "--mutual-user", "t",
                    "--mutual-secret=initiator-secret");
            assertEquals(2, r.exit(), r.output());
            assertTrue(r.output().contains("mutualSecret: must differ"), r.output());
            assertEquals(3, s.cli("chap", "show", "nope").exit());
            assertEquals(2, s.cli("chap", "show").exit(), "neither TARGET nor --discovery");
            s.cli("chap", "clear", "demo").ok();
            assertTrue(Tools.run(30, "iscsi-inq", lun0).ok().output().contains("DIRECT_ACCESS"), "cleared live");
            assertFalse(s.output().contains("initiator-secret"), "secrets are never logged");

            s.cli("snapshot", "create", "demo@s").ok();
            r = s.cli("snapshot", "rollback", "demo@s");
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().lines().anyMatch(l -> l.matches("volume demo rolled back to demo@s in \\d+ ms")),
                    r.output());
            assertTrue(r.output().lines().anyMatch(l -> l.matches("rollback of demo@s: job \\d+ done after \\d+ s")),
                    "plain progress lines off a terminal: " + r.output());
            r = s.cli("snapshot", "rollback", "demo@s", "--no-wait");
            assertEquals(0, r.exit(), r.output());
            String id = r.output().replaceAll("(?s).*started: job (\\d+) .*", "$1");
            assertTrue(s.cli("job", "show", id, "--wait").ok().output().contains("state:    DONE"));
            assertEquals(3, s.cli("snapshot", "rollback", "demo@never").exit());
            assertEquals(3, s.cli("snapshot", "rollback", "nope@s").exit());
            assertEquals(3, s.cli("job", "show", "999").exit());
            r = s.cli("volume", "rebuild", "demo");
            assertEquals(5, r.exit(), r.output());
            assertTrue(r.output().contains("remove the export first"), r.output());
            s.cli("volume", "create", "cold", "--size", "64M").ok();
            s.cli("snapshot", "create", "cold@kept").ok();
            r = s.cli("volume", "rebuild", "cold");
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("volume cold opened again from the backend in"), r.output());
            assertTrue(s.cli("snapshot", "list", "cold").ok().output().contains("cold@kept"));

            // a second daemon on the same admin port is refused at start, with one line naming the key
            int adminPort = Integer.parseInt(s.adminUrl().replaceAll(".*:(\\d+)/?$", "$1"));
            r = Tools.run(60, "env", "STOWAGE_NO_BUILD=1", StowageProcess.REPO.resolve("stowage").toString(), "serve",
                    "--port", Integer.toString(StowageProcess.freePort()), "--data-dir", dir.resolve("other").toString(),
                    "--admin", "127.0.0.1:" + adminPort);
            assertEquals(1, r.exit(), r.output());
            assertTrue(r.output().contains("stowage: config key 'admin.listen': cannot listen on 127.0.0.1:"
                    + adminPort), r.output());
        }
    }

    /** An initiator writing and reading back a pattern on LUN 0 while the CLI adds and removes other LUNs. */
    @Test
    void aLoggedInInitiatorKeepsVerifiedIoWhileOtherLunsComeAndGo() throws Exception {
        try (StowageProcess s = StowageProcess.start("admin-cli-io", dir.resolve("var"))) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong verified = new AtomicLong();
            AtomicLong lunsChanged = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread io = new Thread(() -> {
                try (WireInitiator t = new WireInitiator(new InetSocketAddress("127.0.0.1", s.port), null)) {
                    assertTrue(t.login(StowageProcess.IQN, 0x400000000011L, Map.of("ImmediateData", "Yes",
                            "InitialR2T", "No", "FirstBurstLength", "262144", "MaxRecvDataSegmentLength", "262144")));
                    int itt = 1;
                    for (long round = 0; !stop.get() || round < 50; round++) {
                        long lba = (round % 512) * 8;
                        byte[] pattern = new byte[4096];
                        Arrays.fill(pattern, (byte) (round * 31 + 7));
                        ByteBuffer.wrap(pattern).putLong(0, round).putLong(8, lba);
                        itt = untilNoAttention(t, itt, lunsChanged, true, lba, pattern);
                        byte[] back = new byte[4096];
                        itt = untilNoAttention(t, itt, lunsChanged, false, lba, back);
                        assertArrayEquals(pattern, back, "round " + round + " LBA " + lba);
                        verified.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "verified-io");
            io.start();
            for (int k = 0; k < 3; k++) {
                s.cli("volume", "create", "extra" + k, "--size", "64M").ok();
                s.cli("export", "add", StowageProcess.IQN, "extra" + k, "--lun", "1").ok();
                s.cli("export", "remove", "demo", "1").ok();
                s.cli("volume", "delete", "extra" + k).ok();
            }
            stop.set(true);
            io.join(120_000);
            assertFalse(io.isAlive(), "the I/O thread finished");
            if (failure.get() != null) throw new AssertionError("verified I/O failed", failure.get());
            assertTrue(verified.get() >= 50, "verified round trips: " + verified.get());
            assertTrue(lunsChanged.get() >= 1, "REPORTED LUNS DATA HAS CHANGED reached the session");
            System.out.println("AdminCliIT: " + verified.get() + " verified write+read round trips on LUN 0 while 3 LUNs"
                    + " were added and removed; " + lunsChanged.get() + " REPORTED LUNS DATA HAS CHANGED seen");
        }
    }

    /**
     * Runs one 4 KiB WRITE(10) or READ(10) at {@code lba} on LUN 0 until it completes without a unit attention
     * (counting REPORTED LUNS DATA HAS CHANGED); fills {@code buf} on a read. Returns the next ITT.
     */
    private static int untilNoAttention(WireInitiator t, int itt, AtomicLong lunsChanged, boolean write, long lba,
                                        byte[] buf) throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            int tag = itt++;
            t.command(tag, false, WireInitiator.rw10(write ? 0x2A : 0x28, lba, 8), 4096, write, write ? buf : null);
            int got = 0;
            while (true) {
                WireInitiator.Rx r = t.next();
                if (r.opcode() == 0x25) { // Data-In
                    int offset = r.b().getInt(40);
                    System.arraycopy(r.data(), 0, buf, offset, r.data().length);
                    got += r.data().length;
                    if ((r.bhs()[1] & 0x01) != 0) { // status in the last Data-In
                        assertEquals(0, r.bhs()[3] & 0xFF, "GOOD");
                        assertEquals(4096, got);
                        return itt;
                    }
                    continue;
                }
                assertEquals(0x21, r.opcode(), "SCSI Response");
                int status = r.bhs()[3] & 0xFF;
                if (status == 0) {
                    return itt;
                }
                assertEquals(0x02, status, "CHECK CONDITION");
                byte[] sense = Arrays.copyOfRange(r.data(), 2, r.data().length);
                assertEquals(0x06, sense[2] & 0x0F, "only UNIT ATTENTION may interrupt: " + Arrays.toString(sense));
                if ((sense[12] & 0xFF) == 0x3F && (sense[13] & 0xFF) == 0x0E) lunsChanged.incrementAndGet();
                break; // retry
            }
        }
        throw new AssertionError("still a unit attention after 10 attempts");
    }
}
