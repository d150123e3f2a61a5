package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A short run of the benchmark harness ({@code bench/bench.py --smoke}: fio's libiscsi engine, two workloads of one
 * second, Stowage and tgt): it must run both targets without I/O errors and write its JSON, table and chart. This
 * checks that the harness works, not how fast anything is.
 */
class BenchSmokeIT {
    @Test
    void benchHarnessRunsBothTargetsAndWritesItsReports() throws Exception {
        Path out = StowageProcess.REPO.resolve("tests/target/bench-smoke");
        Tools.Result r = Tools.run(900, "python3", StowageProcess.REPO.resolve("bench/bench.py").toString(),
                "--smoke", "--out", out.toString());
        Files.createDirectories(StowageProcess.LOGS);
        Files.writeString(StowageProcess.LOGS.resolve("bench-smoke.log"), r.output());
        r.ok();
        String json = Files.readString(out.resolve("bench.json"));
        for (String workload : new String[] {"4k-randread-qd32", "4k-randwrite-qd32"}) {
            for (String target : new String[] {"stowage", "tgt"}) {
                Matcher m = Pattern.compile("\"" + workload + "\": \\{.*?\"" + target + "\": \\{\\s*\"iops\": (\\d+)",
                        Pattern.DOTALL).matcher(json);
                assertTrue(m.find(), workload + "/" + target + " in " + json);
                assertTrue(Long.parseLong(m.group(1)) > 0, workload + "/" + target + " did I/O");
            }
        }
        assertFalse(json.matches("(?s).*\"errors\": [1-9].*"), "no fio job reported an error");
        assertTrue(json.contains("\"stowage/tgt\""), "ratios are computed");
        assertTrue(Files.readString(out.resolve("bench.md")).contains("| 4k-randwrite-qd32 | stowage |"));
        assertTrue(Files.readString(out.resolve("bench.svg")).startsWith("<svg"));
    }
}
