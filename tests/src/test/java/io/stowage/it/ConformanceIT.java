package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite, {@code iscsi-test-cu}, against {@code ./stowage serve}: every suite of the ALL
 * family in its own process with a timeout (a hang cannot stall the run), with {@code --dataloss} and a second
 * initiator name. Writes {@code tests/target/reports/iscsi-test-cu.json}; fails if any test of the families the
 * server claims fails, or if the number of real passes drops below {@code tests/conformance-floor.txt}.
 */
class ConformanceIT {
    /** Families the walking skeleton implements: none of their tests may fail. */
    static final Set<String> REQUIRED = Set.of("Inquiry", "Mandatory", "ModeSense6", "NoMedia", "Read6", "Read10",
            "Read12", "Read16", "ReadCapacity10", "ReadCapacity16", "Write10", "Write12", "Write16", "Verify10",
            "Verify12", "Verify16", "TestUnitReady", "ReportSupportedOpcodes", "iSCSIcmdsn", "iSCSIdatasn",
            "iSCSIResiduals", "iSCSITMF", "WriteVerify10", "WriteVerify12", "WriteVerify16", "Unmap", "WriteSame10",
            "WriteSame16", "CompareAndWrite", "Prefetch10", "Prefetch16", "ReadDefectData10", "ReadDefectData12",
            "Reserve6", "PrinReadKeys", "PrinServiceactionRange", "PrinReportCapabilities", "ProutRegister",
            "ProutReserve", "ProutClear", "ProutPreempt", "MultipathIO", "OrWrite", "ExtendedCopy",
            "ReceiveCopyResults");
    static final int SUITE_TIMEOUT_SECONDS = 120;
    @TempDir static Path dir;
    static StowageProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = StowageProcess.start("conformance", dir.resolve("var"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void libiscsiConformanceSuite() throws Exception {
        checkSuite(server, reportPath(), "iscsi-test-cu");
    }

    /**
     * Runs every suite against {@code server}'s LUN 0, writes the JSON report, and asserts: no test of a REQUIRED
     * family fails, and the real passes reach the floor. Also used for the RADOS backend (RadosIT).
     */
    static void checkSuite(StowageProcess server, Path report, String logName) throws Exception {
        List<String> suites = new ArrayList<>();
        for (String line : Tools.run(30, "iscsi-test-cu", "-l").output().split("\n")) {
            String[] parts = line.strip().split("\\.");
            if (parts.length == 2 && parts[0].equals("ALL")) {
                suites.add(parts[1]);
            }
        }
        assertTrue(suites.size() >= 50, "iscsi-test-cu lists its suites: " + suites);
        Map<String, CuOutput.Verdict> all = new LinkedHashMap<>();
        Path logs = StowageProcess.LOGS.resolve(logName);
        Files.createDirectories(logs);
        for (String suite : suites) {
            List<String> cmd = new ArrayList<>(List.of("iscsi-test-cu", "--dataloss",
                    "-I", "iqn.2026-11.io.stowage:conformance-initiator-2", "-t", "ALL." + suite, server.url(0)));
            if (suite.equals("MultipathIO")) {
                cmd.add(server.url(0)); // a second path to the same LU
            }
            Tools.Result r = Tools.run(SUITE_TIMEOUT_SECONDS, cmd.toArray(String[]::new));
            Files.writeString(logs.resolve(suite + ".log"), r.output());
            Map<String, CuOutput.Verdict> v = CuOutput.parse(r.output());
            if (v.isEmpty()) {
                all.put(suite + ".<suite did not run: exit " + r.exit() + ">", CuOutput.Verdict.FAILED);
            }
            all.putAll(v);
        }
        Map<CuOutput.Verdict, Integer> counts = new TreeMap<>();
        all.values().forEach(v -> counts.merge(v, 1, Integer::sum));
        int passed = counts.getOrDefault(CuOutput.Verdict.PASSED, 0);
        writeReport(report, all, counts);
        System.out.println(logName + ": " + all.size() + " tests, " + passed + " passed, "
                + counts.getOrDefault(CuOutput.Verdict.FAILED, 0) + " failed, "
                + counts.getOrDefault(CuOutput.Verdict.SKIPPED, 0) + " skipped (report in " + report + ")");
        List<String> requiredFailures = new ArrayList<>();
        all.forEach((name, v) -> {
            if (v == CuOutput.Verdict.FAILED && REQUIRED.contains(name.substring(0, name.indexOf('.')))) {
                requiredFailures.add(name);
            }
        });
        assertEquals(List.of(), requiredFailures, "tests of implemented families must pass");
        int floor = Integer.parseInt(Files.readString(StowageProcess.REPO.resolve("tests/conformance-floor.txt"))
                .lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow().strip());
        assertTrue(passed >= floor, "real passes " + passed + " dropped below the recorded floor " + floor);
    }

    static Path reportPath() {
        return StowageProcess.REPO.resolve("tests/target/reports/iscsi-test-cu.json");
    }

    private static void writeReport(Path report, Map<String, CuOutput.Verdict> all,
                                    Map<CuOutput.Verdict, Integer> counts) throws Exception {
        StringBuilder sb = new StringBuilder("{\n  \"counts\": {");
        sb.append(String.join(", ", counts.entrySet().stream()
                .map(e -> "\"" + e.getKey().name().toLowerCase() + "\": " + e.getValue()).toList()));
        sb.append("},\n  \"tests\": {\n");
        List<String> rows = new ArrayList<>();
        all.forEach((k, v) -> rows.add("    \"" + k.replace("\"", "'") + "\": \"" + v.name().toLowerCase() + "\""));
        sb.append(String.join(",\n", rows)).append("\n  }\n}\n");
        Files.createDirectories(report.getParent());
        Files.writeString(report, sb.toString());
    }
}
