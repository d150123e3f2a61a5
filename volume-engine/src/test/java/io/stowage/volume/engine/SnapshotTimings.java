package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Figures for a volume with {@code mib} MiB written, on any backend (the directory store here, RADOS in
 * backend-rados): the time to snapshot it under write load, to clone the snapshot, to open the clone on another
 * node from the backend alone, to roll it back, and a scrub pass's throughput. Prints one {@code SNAPSHOT-TIMING}
 * line; asserts what must hold whatever the machine: a snapshot well under a second, and every step reads the
 * bytes it should (sampled MiB by MiB).
 */
public final class SnapshotTimings {
    /** Data written per MiB: a pattern naming the MiB and the generation, so a misplaced MiB cannot verify. */
    private static void fill(ByteBuffer b, int mib, int generation) {
        b.clear();
        while (b.hasRemaining()) b.putInt(mib * 31 + generation);
        b.flip();
    }

    /** An engine on the backend under test with its cache in the given directory (one per node). */
    public interface EngineAt {
        VolumeEngine at(Path cache) throws IOException;
    }

    private final EngineAt engineAt;
    private final Path dir;
    private final ByteBuffer want = ByteBuffer.allocate(1 << 20);
    private final ByteBuffer got = ByteBuffer.allocate(1 << 20);

    public SnapshotTimings(EngineAt engineAt, Path dir) {
        this.engineAt = engineAt;
        this.dir = dir;
    }

    private void verify(Volume v, int mib, int generation, String what) throws IOException {
        got.clear();
        v.read((long) mib << 20, got);
        fill(want, mib, generation);
        assertEquals(want, got.flip(), what + ": MiB " + mib);
    }

    private static long ms(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1_000_000;
    }

    /** Runs the whole sequence on volume {@code name} (and its clone {@code name-c}) and returns the printed line. */
    public String run(String label, String name, int mib) throws Exception {
        long size = (long) mib << 20;
        VolumeEngine engine = engineAt.at(dir.resolve("node-a"));
        engine.create(name, size + (64L << 20));
        String clone = name + "-c";
        StringBuilder line = new StringBuilder("SNAPSHOT-TIMING " + label + ", " + mib + " MiB written:");
        try (Volume v = engine.open(name)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            long t0 = System.nanoTime();
            for (int m = 0; m < mib; m++) {
                fill(b, m, 1);
                v.write((long) m << 20, b, false);
            }
            v.flush();
            line.append(" write ").append(ms(t0)).append(" ms");
            long u0 = System.nanoTime();
            v.syncToBackend(1_800_000);
            line.append(" (+ upload ").append(ms(u0)).append(" ms);");

            // under write load: a writer goes on beside the snapshot, past the written range
            Thread writer = new Thread(() -> {
                ByteBuffer w = ByteBuffer.allocate(1 << 20);
                try {
                    for (int i = 0; i < 64; i++) {
                        fill(w, 0, 9);
                        v.write(size + ((long) i << 20), w, false);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            long s0 = System.nanoTime();
            v.snapshots().create("a");
            long snapMs = ms(s0);
            writer.join();
            line.append(" snapshot under write load ").append(snapMs).append(" ms;");
            v.syncToBackend(1_800_000);

            long c0 = System.nanoTime();
            engine.clone(name, "a", clone);
            line.append(" clone ").append(ms(c0)).append(" ms;");
            VolumeEngine other = engineAt.at(dir.resolve("node-b")); // an empty cache: the backend alone
            long o0 = System.nanoTime();
            try (Volume c = other.open(clone)) {
                line.append(" the clone's first open on another node ").append(ms(o0)).append(" ms;");
                for (int m = 0; m < mib; m += Math.max(1, mib / 64)) verify(c, m, 1, "the clone");
            }
            other.dropCache(clone);

            for (int m = 0; m < mib; m += 4) { // overwrite a quarter
                fill(b, m, 2);
                v.write((long) m << 20, b, false);
            }
            v.syncToBackend(1_800_000); // a rollback first commits what was written: measured apart
            long r0 = System.nanoTime();
            v.snapshots().rollback("a");
            line.append(" rollback after ").append(mib / 4).append(" MiB overwritten ").append(ms(r0)).append(" ms;");
            for (int m = 0; m < mib; m += 4) verify(v, m, 1, "rolled back");

            // scrub: the clone and the snapshot go, then every other MiB of (at most) the first 2 GiB is
            // overwritten, so those SCOs are half garbage and a pass must move their live half
            engine.delete(clone);
            v.snapshots().delete("a");
            int region = Math.min(mib, 2048);
            for (int m = 0; m < region; m += 2) {
                fill(b, m, 3);
                v.write((long) m << 20, b, false);
            }
            v.syncToBackend(1_800_000);
            long g0 = System.nanoTime();
            Volume.ScrubResult r = v.scrub(VolumeConfig.SCRUB_MAX_LIVE_RATIO, Integer.MAX_VALUE);
            long scrubMs = Math.max(1, ms(g0));
            v.syncToBackend(1_800_000);
            line.append(String.format(" scrub %d ms: %d SCOs, %d MiB examined (%.0f MiB/s), %d MiB reclaimed"
                            + " (%.0f MiB/s), %d MiB moved", scrubMs, r.victims(), r.bytesExamined() >> 20,
                    (r.bytesExamined() >> 20) * 1000.0 / scrubMs, r.bytesReclaimed() >> 20,
                    (r.bytesReclaimed() >> 20) * 1000.0 / scrubMs, (r.clustersMoved() * 4096) >> 20));
            assertTrue(r.bytesReclaimed() > 0, "the scrub reclaimed nothing: " + r);
            for (int m = 0; m < region; m++) verify(v, m, m % 2 == 0 ? 3 : 1, "after the scrub");
            assertTrue(snapMs < 1000, "snapshot " + snapMs + " ms");

            // compaction of what a snapshot holds: the region written afresh (SCOs F), then 3 MiB of every 4
            // overwritten, snapshot b (a quarter of F in it), then the whole region overwritten: F is dead in the
            // current map and a quarter live in b; the pass copies that quarter and rewrites b's map
            for (int m = 0; m < region; m++) {
                fill(b, m, 5);
                v.write((long) m << 20, b, false);
            }
            for (int m = 0; m < region; m++) {
                if (m % 4 == 0) continue;
                fill(b, m, 6);
                v.write((long) m << 20, b, false);
            }
            v.snapshots().create("b");
            for (int m = 0; m < region; m++) {
                fill(b, m, 7);
                v.write((long) m << 20, b, false);
            }
            v.syncToBackend(1_800_000);
            long k0 = System.nanoTime();
            Volume.ScrubResult k = v.scrub(VolumeConfig.SCRUB_MAX_LIVE_RATIO, Integer.MAX_VALUE);
            long compactMs = Math.max(1, ms(k0));
            line.append(String.format("; compaction with snapshot b kept %d ms: %d SCOs, %d MiB reclaimed (%.0f MiB/s),"
                            + " %d MiB moved (%d MiB of it for b only), b rewritten: %s", compactMs, k.victims(),
                    k.bytesReclaimed() >> 20, (k.bytesReclaimed() >> 20) * 1000.0 / compactMs,
                    (k.clustersMoved() * 4096) >> 20, region / 4, v.header().snapshot("b").map() != null));
            assertNotNull(v.header().snapshot("b").map(), "b's map rewritten around the copies");
            assertTrue(k.bytesReclaimed() >= ((long) region << 20) / 2, "F (3/4 dead everywhere) reclaimed: " + k);
            for (int m = 0; m < region; m += 3) verify(v, m, 7, "after the compaction");
            v.snapshots().rollback("b");
            for (int m = 0; m < region; m++) verify(v, m, m % 4 == 0 ? 5 : 6, "snapshot b after the compaction");
        }
        engine.delete(name);
        System.out.println(line);
        return line.toString();
    }
}
