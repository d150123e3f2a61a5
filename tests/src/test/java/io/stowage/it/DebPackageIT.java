package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The .deb as an operator meets it: lintian finds no error, and {@code tests/deb/install-test.sh} installs the
 * previous release on a clean Debian 12 root, writes data through it, upgrades to this one (the data must read back),
 * runs the daemon as its unit would, logs in with libiscsi, upgrades again, removes and purges.
 */
class DebPackageIT {
    static Path deb() throws Exception {
        try (Stream<Path> s = Files.list(StowageProcess.REPO.resolve("packaging/target"))) {
            return s.filter(p -> p.getFileName().toString().matches("stowage_.*_all\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("packaging/target has no stowage_*_all.deb"));
        }
    }

    private static List<String> asRoot(String... cmd) {
        List<String> c = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) c.add("sudo");
        c.addAll(List.of(cmd));
        return c;
    }

    @Test
    void lintianReportsNoErrors() throws Exception {
        Tools.Result r = Tools.run(300, "lintian", "--tag-display-limit", "0", deb().toString());
        assertFalse(r.output().lines().anyMatch(l -> l.startsWith("E:")), r.output());
    }

    /**
     * The release before the stored formats changed (metadata checkpoints, header format 2, ...): a volume it wrote
     * must open and verify after an upgrade. Its .deb is built once from git and cached.
     */
    static final String PREVIOUS_RELEASE = "161c0bd";

    static Path previousDeb() throws Exception {
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "stowage", "previous-release", PREVIOUS_RELEASE);
        Path deb = dir.resolve("stowage_previous_all.deb");
        if (Files.exists(deb)) return deb;
        // a shallow clone lacks the commit: deepen it rather than fail on a missing object
        if (Tools.run(30, "git", "-C", StowageProcess.REPO.toString(), "cat-file", "-e", PREVIOUS_RELEASE + "^{commit}")
                .exit() != 0) {
            Tools.run(300, "git", "-C", StowageProcess.REPO.toString(), "fetch", "--unshallow", "--quiet").ok();
        }
        Path src = dir.resolve("src");
        Tools.run(60, "rm", "-rf", src.toString()).ok();
        Files.createDirectories(src);
        Tools.run(120, "bash", "-c", "git -C '" + StowageProcess.REPO + "' archive " + PREVIOUS_RELEASE
                + " | tar -x -C '" + src + "'").ok();
        Tools.run(900, "bash", "-c", "cd '" + src + "' && mvn -B -q -DskipTests -pl packaging -am package").ok();
        try (Stream<Path> s = Files.list(src.resolve("packaging/target"))) {
            Path built = s.filter(p -> p.getFileName().toString().matches("stowage_.*_all\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("the previous release built no .deb"));
            Files.copy(built, deb);
        }
        Tools.run(60, "rm", "-rf", src.toString()).ok();
        return deb;
    }

    @Test
    void installsRunsUpgradesAndPurgesOnACleanDebian12() throws Exception {
        Path work = Path.of(System.getProperty("user.home"), ".cache", "stowage", "deb-install-test");
        Files.createDirectories(work);
        Tools.Result r = Tools.run(1200, asRoot(StowageProcess.REPO.resolve("tests/deb/install-test.sh").toString(),
                deb().toString(), work.toString(), previousDeb().toString()).toArray(String[]::new));
        Files.createDirectories(StowageProcess.LOGS);
        Files.writeString(StowageProcess.LOGS.resolve("deb-install-test.log"), r.output());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("install-test: PASS"), r.output());
    }
}
