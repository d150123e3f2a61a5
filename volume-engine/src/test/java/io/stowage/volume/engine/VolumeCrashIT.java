package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash test: a child JVM ({@link CrashWorker}) writes with 4 threads and flushes; it is SIGKILLed at a random
 * moment; the volume is then recovered here and every sector checked: none is torn, and every write whose flush
 * returned before the kill is present (same or newer generation). Every fifth cycle also throws the cache away
 * after recovery, so the next cycle starts from a backend restart. {@code -Dstowage.crash.cycles=N} (default 20).
 */
class VolumeCrashIT {
    @TempDir Path dir;

    @Test
    void flushedWritesSurviveSigkill() throws Exception {
        int cycles = Integer.getInteger("stowage.crash.cycles", 20);
        Map<Long, Long> flushed = new HashMap<>();
        Random r = new Random(Long.getLong("stowage.crash.seed", System.nanoTime()));
        long totalFlushed = 0;
        for (int cycle = 1; cycle <= cycles; cycle++) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(), dir.toString(), "4",
                    Long.toString(r.nextLong())));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            CountDownLatch ready = new CountDownLatch(1);
            List<String> errors = new ArrayList<>();
            Map<Long, Long> cycleFlushed = new HashMap<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.equals("READY")) ready.countDown();
                        else if (line.startsWith("ERROR")) errors.add(line);
                        else if (line.startsWith("FLUSHED ")) {
                            String[] f = line.split(" ");
                            if (f.length == 4) {
                                long first = Long.parseLong(f[1]);
                                long gen = Long.parseLong(f[3]);
                                synchronized (cycleFlushed) {
                                    for (long s = first; s < first + Long.parseLong(f[2]); s++) {
                                        cycleFlushed.merge(s, gen, Math::max);
                                    }
                                }
                            }
                        }
                    }
                } catch (Exception ignored) {
                    // the process was killed
                }
            });
            reader.start();
            assertTrue(ready.await(60, TimeUnit.SECONDS), "worker started (cycle " + cycle + ")");
            Thread.sleep(200 + r.nextInt(1300));
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            assertEquals(List.of(), errors, "the worker saw no I/O error");
            synchronized (cycleFlushed) {
                cycleFlushed.forEach((a, g) -> flushed.merge(a, g, Math::max));
                totalFlushed += cycleFlushed.size();
            }

            VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                    CrashWorker.CONFIG);
            Volume v = engine.open("crash");
            ByteBuffer all = ByteBuffer.allocate(CrashWorker.CLUSTERS * 4096);
            v.read(0, all);
            for (int s = 0; s < CrashWorker.SECTORS; s++) {
                long gen = CrashWorker.check(all, s * 512, s);
                assertNotEquals(-1, gen, "cycle " + cycle + ": sector " + s + " is torn or misplaced");
                Long mustHave = flushed.get((long) s);
                if (mustHave != null) {
                    assertTrue(gen >= mustHave, "cycle " + cycle + ": sector " + s + " lost flushed generation "
                            + mustHave + " (has " + gen + ")");
                }
            }
            if (cycle % 5 == 0) {
                v.syncToBackend(60_000);
                v.close();
                engine.dropCache("crash"); // next cycle: backend restart
            } else {
                v.abandon(); // leave the recovered state to the next worker, as a crash would
            }
        }
        assertTrue(totalFlushed > cycles, "the workload flushed writes: " + totalFlushed);
        System.out.println("crash test: " + cycles + " SIGKILL cycles, " + totalFlushed + " flushed writes verified");
    }
}
