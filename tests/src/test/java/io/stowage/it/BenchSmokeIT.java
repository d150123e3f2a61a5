package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A short run of the benchmark harness ({@code bench/bench.py --smoke}: fio's libiscsi engine, four workloads of one
 * second, Stowage and tgt): it must run both targets without I/O errors and write its JSON, table and chart, and its
 * flush-heavy workload must really send flushes. This checks that the harness works, not how fast anything is.
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
        for (String workload : new String[] {"4k-randread-qd32", "4k-randwrite-qd32", "4k-randwrite-flush32-8x1",
                "16k-randwrite-fua-qd16"}) {
            for (String target : new String[] {"stowage", "tgt"}) {
                Matcher m = Pattern.compile("\"" + workload + "\": \\{.*?\"" + target + "\": \\{\\s*\"iops\": (\\d+)",
                        Pattern.DOTALL).matcher(json);
                assertTrue(m.find(), workload + "/" + target + " in " + json);
                assertTrue(Long.parseLong(m.group(1)) > 0, workload + "/" + target + " did I/O");
            }
        }
        for (String target : new String[] {"stowage", "tgt"}) {
            Matcher m = Pattern.compile("\"4k-randwrite-flush32-8x1\": \\{.*?\"" + target
                    + "\": \\{[^}]*\"ios\": (\\d+),\\s*\"flushes\": (\\d+)", Pattern.DOTALL).matcher(json);
            assertTrue(m.find(), "flushes of 4k-randwrite-flush32-8x1/" + target + " in " + json);
            long writes = Long.parseLong(m.group(1));
            long flushes = Long.parseLong(m.group(2));
            // one SYNCHRONIZE CACHE per 32 writes of each writer (8 writers, so up to 8 short of a multiple)
            assertTrue(flushes >= writes / 32 - 8 && flushes <= writes / 32 + 8,
                    target + ": " + flushes + " flushes for " + writes + " writes");
        }
        assertFalse(json.matches("(?s).*\"errors\": [1-9].*"), "no fio job reported an error");
        assertTrue(json.contains("\"stowage/tgt\""), "ratios are computed");
        assertTrue(Pattern.compile("\"stowage\": \\{[^}]*\"gc_pauses\": \\d+").matcher(json).find(),
                "the GC pauses inside Stowage's runs are counted (from its -Xlog:gc log)");
        assertTrue(Pattern.compile("\"stowage\": \\{[^}]*\"jit_cpu_ms\": \\d+").matcher(json).find(),
                "the JIT compiler's CPU inside Stowage's runs is measured");
        // the smoke run has no warm-up: the compiler is busy in its first run, so a reading of 0 would be a broken probe
        assertTrue(Pattern.compile("\"jit_cpu_ms\": [1-9]").matcher(json).find(), "some run saw the compiler at work");
        assertTrue(Files.readString(out.resolve("bench.md")).contains("| 4k-randwrite-qd32 | stowage |"));
        assertTrue(Files.readString(out.resolve("bench.svg")).startsWith("<svg"));
    }
}
