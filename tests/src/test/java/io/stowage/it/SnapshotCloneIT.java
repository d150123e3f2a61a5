package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots, rollback, thin clones and scrubbing the way a user does them: {@code ./stowage serve}, the
 * {@code stowage} CLI, and QEMU's iSCSI block driver ({@code qemu-io}) as the initiator. Write A, snapshot, write B,
 * read B; roll back while the LUN stays exported: a session logged in across it gets 06/28/00 and reads A. A clone of
 * the snapshot, exported at once, reads A while the parent is overwritten; the snapshot cannot be deleted while the
 * clone exists. Then the parent is overwritten twice, partly discarded, a snapshot without clones is deleted, and a
 * scrub leaves measurably fewer bytes in the directory store, while the clone and the remaining snapshot still read
 * what they held.
 */
class SnapshotCloneIT {
    static final String TARGET = "iqn.2026-11.io.stowage:snap";
    static final String MIB16 = "16M";
    @TempDir Path dir;

    @Test
    void snapshotRollbackCloneAndScrubThroughIscsiAndTheCli() throws Exception {
        Path conf = dir.resolve("snap.conf");
        // no background scrub: the one this test starts is the only one, so the bytes before it are what it starts from
        Files.writeString(conf, "engine.scrub-interval = 0\nengine.tlog-max-age = 1\n");
        Path data = dir.resolve("var");
        try (StowageProcess s = StowageProcess.start("snapshot-clone", data, "--config", conf.toString())) {
            String vm = "iscsi://" + s.portal() + "/" + TARGET + "/0";
            String clone = "iscsi://" + s.portal() + "/" + TARGET + "/1";
            s.cli("volume", "create", "vm", "--size", "64M").ok();
            s.cli("target", "create", "snap").ok();
            s.cli("export", "add", "snap", "vm").ok();

            // 1. write A, snapshot, write B, read B; rollback while exported: the UA, then A
            qemuIo(vm, "write -P 0xa1 0 " + MIB16);
            long t0 = System.nanoTime();
            assertEquals("snapshot vm@s1 created\n", s.cli("snapshot", "create", "vm@s1").ok().output());
            long snapshotMs = (System.nanoTime() - t0) / 1_000_000;
            qemuIo(vm, "write -P 0xb2 0 " + MIB16, "read -P 0xb2 0 " + MIB16);
            long rollbackMs;
            try (WireInitiator session = new WireInitiator(new InetSocketAddress("127.0.0.1", s.port), null)) {
                assertTrue(session.login(TARGET, 0x400000000013L, Map.of()));
                int itt = 1;
                // whatever a new session is told first (power on, reset) is drained before the rollback
                for (int k = 0; k < 5 && testUnitReady(session, itt++) != null; k++) {
                    // again
                }
                assertNull(testUnitReady(session, itt++), "TEST UNIT READY is GOOD before the rollback");
                t0 = System.nanoTime();
                s.cli("snapshot", "rollback", "vm@s1").ok();
                rollbackMs = (System.nanoTime() - t0) / 1_000_000;
                byte[] sense = testUnitReady(session, itt++);
                assertNotNull(sense, "the first command after the rollback gets a CHECK CONDITION");
                assertEquals("06/28/00", String.format("%02X/%02X/%02X", sense[2] & 0x0F, sense[12] & 0xFF,
                        sense[13] & 0xFF), "UNIT ATTENTION, NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED: "
                        + Arrays.toString(sense));
                assertNull(testUnitReady(session, itt++), "the unit attention is reported once");
            }
            qemuIo(vm, "read -P 0xa1 0 " + MIB16);

            // 2. a clone of s1, exported at once, reads A while the parent is overwritten; s1 cannot be deleted
            t0 = System.nanoTime();
            s.cli("volume", "clone", "vm@s1", "vmc").ok();
            long cloneMs = (System.nanoTime() - t0) / 1_000_000;
            s.cli("export", "add", "snap", "vmc", "--lun", "1").ok();
            qemuIo(clone, "read -P 0xa1 0 " + MIB16, "read -P 0 " + MIB16 + " 48M");
            qemuIo(vm, "write -P 0xc3 0 " + MIB16);
            qemuIo(clone, "read -P 0xa1 0 " + MIB16);
            qemuIo(vm, "read -P 0xc3 0 " + MIB16);
            Tools.Result refused = s.cli("snapshot", "delete", "vm@s1");
            assertEquals(5, refused.exit(), "in use: " + refused.output());
            assertTrue(refused.output().contains("clone"), "the error says why: " + refused.output());

            // 3. scrub: s2 holds C; overwrite twice (D, E), discard the second half, s3, delete s2, scrub
            s.cli("snapshot", "create", "vm@s2").ok();
            qemuIo(vm, "write -P 0xd4 0 " + MIB16);
            qemuIo(vm, "write -P 0xe5 0 " + MIB16, "discard 8M 8M");
            s.cli("snapshot", "create", "vm@s3").ok();
            s.cli("snapshot", "delete", "vm@s2").ok();
            Path objects = data.resolve("objects/vm");
            long before = settledBytes(objects);
            t0 = System.nanoTime();
            String scrub = s.cli("scrub", "start", "vm", "--wait").ok().output();
            long scrubMs = (System.nanoTime() - t0) / 1_000_000;
            long after = settledBytes(objects);
            String log = s.output();
            System.out.printf("SnapshotCloneIT: data-dir/objects/vm held %d bytes before the scrub and %d after "
                    + "(%d reclaimed; %s in %d ms); with 16 MiB written, through the CLI (a JVM start each) / in the "
                    + "daemon: snapshot %d / %s ms, rollback %d / %s ms, clone %d / %s ms%n", before, after,
                    before - after, scrub.lines().reduce((a, b) -> b).orElse("").strip(), scrubMs, snapshotMs,
                    logged(log, "snapshot s1 created at TLog \\d+ in (\\d+) ms"), rollbackMs,
                    logged(log, "rolled back to snapshot s1 \\([^)]*\\) in (\\d+) ms"), cloneMs,
                    logged(log, "volume vmc created as a clone of vm@s1 \\([^)]*\\) in (\\d+) ms"));
            // B (rolled back), C (only s2 held it), D and half of E are garbage: 56 MiB, 14 SCOs of 4 MiB; at least
            // 12 must go (A stays: the clone reads s1; the first half of E stays: the volume and s3 point at it)
            assertTrue(before - after >= 48L << 20, "before " + before + ", after " + after + ": " + scrub);

            // what is left still verifies: the volume, the clone (s1's data), and s3 by rolling back to it
            qemuIo(vm, "read -P 0xe5 0 8M", "read -P 0 8M 8M");
            qemuIo(clone, "read -P 0xa1 0 " + MIB16);
            String snapshots = s.cli("snapshot", "list", "vm").ok().output();
            assertTrue(snapshots.contains("vm@s1") && snapshots.contains("vm@s3") && !snapshots.contains("vm@s2"),
                    snapshots);
            qemuIo(vm, "write -P 0xf6 0 " + MIB16);
            s.cli("snapshot", "rollback", "vm@s3").ok();
            qemuIo(vm, "read -P 0xe5 0 8M", "read -P 0 8M 8M");
            qemuIo(clone, "read -P 0xa1 0 " + MIB16);
            assertFalse(s.output().contains("halted"), s.output());
        }
    }

    /** The first group of {@code regex}'s first match in the daemon's log, or "?". */
    private static String logged(String log, String regex) {
        Matcher m = Pattern.compile(regex).matcher(log);
        return m.find() ? m.group(1) : "?";
    }

    /** TEST UNIT READY on LUN 0: null when GOOD, else the sense data of the CHECK CONDITION. */
    private static byte[] testUnitReady(WireInitiator t, int itt) throws IOException {
        t.command(itt, false, new byte[16], 0, false, null);
        WireInitiator.Rx r = t.next();
        assertEquals(0x21, r.opcode(), "SCSI Response");
        int status = r.bhs()[3] & 0xFF;
        if (status == 0) return null;
        assertEquals(0x02, status, "CHECK CONDITION");
        return Arrays.copyOfRange(r.data(), 2, r.data().length);
    }

    /**
     * The sum of the file sizes under {@code dir}, once uploads have settled: unchanged for two seconds (TLogs roll
     * after a second here; sealed SCOs upload at once).
     */
    private static long settledBytes(Path dir) throws Exception {
        long last = -1;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            long now = bytesUnder(dir);
            if (now == last || System.nanoTime() > deadline) return now;
            last = now;
            Thread.sleep(2000);
        }
    }

    private static long bytesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted while walking
                }
            }).sum();
        }
    }

    /** Runs qemu-io commands in one session; any failed command or pattern mismatch fails the test. */
    private static void qemuIo(String url, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", "-d", "unmap"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(url);
        String out = Tools.run(120, cmd.toArray(String[]::new)).ok().output();
        for (String line : out.lines().toList()) {
            assertFalse(line.contains("Pattern verification failed") || line.contains("failed:")
                    || line.contains("error"), line + "\n(" + String.join("; ", commands) + " on " + url + ")");
        }
        long done = out.lines().filter(l -> l.matches("(read|wrote|discard) \\d+/\\d+ bytes at offset \\d+")).count();
        assertEquals(commands.length, done, out);
    }
}
