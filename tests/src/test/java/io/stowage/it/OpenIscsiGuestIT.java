package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux kernel's own initiator (open-iscsi, iscsi_tcp, sd, ext4) in a QEMU guest against {@code ./stowage
 * serve}: discovery, login, mkfs.ext4, mount, files, sync, fstrim, logout, login, fsck, checksums
 * ({@code tests/guest/open-iscsi-test.sh}), then a second pass whose node record insists on CRC32C header and data
 * digests (read back the checksums, write more, relogin, verify all). Records which SCSI commands Linux sent, from Stowage's debug log, in
 * {@code tests/target/reports/linux-scsi-commands.txt}.
 */
class OpenIscsiGuestIT {
    static final String IQN = "iqn.2026-11.io.stowage:guest-disk";
    @TempDir Path dir;

    @Test
    void linuxFormatsMountsTrimsAndVerifiesAFilesystem() throws Exception {
        Path conf = dir.resolve("guest.conf");
        Files.writeString(conf, """
                target.guest.iqn = %s
                target.guest.lun.0 = gdisk
                volume.gdisk.size = 256M
                """.formatted(IQN));
        Path work = Path.of(System.getProperty("user.home"), ".cache", "stowage", "guest");
        Files.createDirectories(work);
        try (StowageProcess s = StowageProcess.startWith("open-iscsi-guest", dir.resolve("var"),
                Map.of("STOWAGE_JAVA_OPTS", "-Dstowage.log.level=DEBUG"), "--config", conf.toString())) {
            Tools.Result r = Tools.run(900, StowageProcess.REPO.resolve("tests/guest/open-iscsi-test.sh").toString(),
                    Integer.toString(s.port), IQN, work.toString());
            Files.writeString(StowageProcess.LOGS.resolve("open-iscsi-guest-run.log"), r.output());
            Files.copy(work.resolve("console.log"), StowageProcess.LOGS.resolve("open-iscsi-guest-console.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("guest-test: PASS"), r.output());
            for (String step : new String[] {"discovery", "login", "mkfs", "write", "fstrim", "relogin", "fsck", "verify", "digests", "verifydigests"}) {
                assertTrue(r.output().contains("STEP " + step), "step " + step + " ran:\n" + r.output());
            }
            // the second pass logged in with CRC32C insisted on: the daemon must have agreed to both digests
            assertTrue(s.output().contains("digests true/true"),
                    "a session with HeaderDigest and DataDigest CRC32C: " + s.output().lines()
                            .filter(l -> l.contains("full feature phase")).toList());
            Map<String, Integer> commands = new TreeMap<>();
            Matcher m = Pattern.compile("CDB ([0-9a-f]{2})( ([0-9a-f]{2}))?").matcher(s.output());
            while (m.find()) {
                String op = m.group(1);
                String key = switch (op) {
                    case "9e", "a3", "83", "84" -> op + "/" + m.group(3);
                    default -> op;
                };
                commands.merge(key, 1, Integer::sum);
            }
            StringBuilder sb = new StringBuilder("# SCSI commands the Linux initiator sent (opcode[/service action] count)\n");
            commands.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
            Path report = StowageProcess.REPO.resolve("tests/target/reports/linux-scsi-commands.txt");
            Files.createDirectories(report.getParent());
            Files.writeString(report, sb.toString());
            assertTrue(commands.containsKey("42"), "fstrim reached the target as UNMAP: " + commands);
            assertTrue(commands.containsKey("35"), "sync reached the target as SYNCHRONIZE CACHE: " + commands);
        }
    }
}
