package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-based: thousands of random operations against the engine and a plain byte array; every read must match.
 * Operations: aligned and unaligned writes (with and without FUA), reads, discards (cluster ranges, and UNMAPs of
 * any sector range up to the whole volume, overlapping earlier ones), metadata-only copies (REMAP, with discard
 * ranges for unmapped source runs),
 * scrubs (live data moved, emptied SCOs deleted), flushes, clean restarts,
 * crash restarts (abandon without close: recovery replays local TLogs) and cache wipes (backend restart);
 * and, drawn from a second random sequence beside them, snapshots, snapshot deletes and rollbacks, against a model
 * that keeps each snapshot's bytes (a rollback drops the snapshots after it, as the engine does). At the end every
 * snapshot left is rolled back to and verified, newest first.
 */
class VolumeModelTest {
    static final int SIZE = 4 << 20; // 1024 clusters
    static final VolumeConfig SMALL = new VolumeConfig(16, 2, 20, 1 << 20, 256 << 10, 64L << 20);
    @TempDir Path dir;

    @Test
    void randomOperationsMatchAReferenceModel() throws Exception {
        // -Dstowage.model.seeds=N -Dstowage.model.ops=M for longer runs
        int seeds = Integer.getInteger("stowage.model.seeds", 2);
        int ops = Integer.getInteger("stowage.model.ops", 1500);
        for (long seed = 1; seed <= seeds; seed++) {
            run(seed, ops);
        }
    }

    private void run(long seed, int ops) throws Exception {
        Path root = dir.resolve("seed" + seed);
        VolumeEngine engine = new VolumeEngine(root.resolve("cache"), new DirectoryBackend(root.resolve("objects")), SMALL);
        engine.create("v", SIZE);
        Volume v = engine.open("v");
        byte[] model = new byte[SIZE];
        Random r = new Random(seed);
        int restarts = 0, crashes = 0, wipes = 0, scrubbed = 0;
        Random snaps = new Random(seed * 1_000_003); // snapshot operations: the other operations' sequence is unchanged
        LinkedHashMap<String, byte[]> snapshots = new LinkedHashMap<>(); // in cut order
        int made = 0, deleted = 0, rolledBack = 0;
        for (int op = 0; op < ops; op++) {
            int kind = r.nextInt(100);
            String what = "seed " + seed + " op " + op;
            int snapshotOp = snaps.nextInt(100);
            if (snapshotOp < 3) {
                String name = "s" + made++;
                v.snapshots().create(name);
                snapshots.put(name, model.clone());
            } else if (snapshotOp < 4 && !snapshots.isEmpty()) {
                List<String> names = new ArrayList<>(snapshots.keySet());
                String name = names.get(snaps.nextInt(names.size()));
                v.snapshots().delete(name);
                snapshots.remove(name);
                deleted++;
            } else if (snapshotOp < 5 && !snapshots.isEmpty()) {
                List<String> names = new ArrayList<>(snapshots.keySet());
                int i = snaps.nextInt(names.size());
                v.snapshots().rollback(names.get(i));
                model = snapshots.get(names.get(i)).clone();
                for (String later : names.subList(i + 1, names.size())) snapshots.remove(later);
                rolledBack++;
                ByteBuffer all = ByteBuffer.allocate(SIZE);
                v.read(0, all);
                assertArrayEquals(model, all.array(), what + " after rollback to " + names.get(i));
            }
            if (kind < 40) { // write
                boolean aligned = r.nextBoolean();
                int off = aligned ? r.nextInt(SIZE / 4096) * 4096 : r.nextInt(SIZE / 512) * 512;
                int max = Math.min(SIZE - off, 64 * 1024);
                int len = aligned ? Math.max(4096, (r.nextInt(max) / 4096) * 4096) : Math.max(512, (r.nextInt(max) / 512) * 512);
                len = Math.min(len, SIZE - off);
                byte[] data = new byte[len];
                r.nextBytes(data);
                v.write(off, ByteBuffer.wrap(data), r.nextInt(10) == 0);
                System.arraycopy(data, 0, model, off, len);
            } else if (kind < 75) { // read
                int off = r.nextInt(SIZE / 512) * 512;
                int len = Math.min(SIZE - off, Math.max(512, (r.nextInt(96 * 1024) / 512) * 512));
                ByteBuffer got = ByteBuffer.allocate(len);
                v.read(off, got);
                assertArrayEquals(Arrays.copyOfRange(model, off, off + len), got.array(), what + " read " + off + "+" + len);
            } else if (kind < 79) { // metadata-only copy (EXTENDED COPY within the volume), overlaps included
                int count = 1 + r.nextInt(r.nextBoolean() ? 16 : 600);
                int src = r.nextInt(SIZE / 4096 - count + 1);
                int dst = r.nextBoolean() ? Math.max(0, Math.min(SIZE / 4096 - count, src + r.nextInt(41) - 20))
                        : r.nextInt(SIZE / 4096 - count + 1);
                v.copyClusters(src, dst, count);
                System.arraycopy(model, src * 4096, model, dst * 4096, count * 4096);
            } else if (kind < 80) { // discard of whole clusters
                int first = r.nextInt(SIZE / 4096);
                int count = Math.min(SIZE / 4096 - first, 1 + r.nextInt(40));
                v.discardClusters(first, count);
                Arrays.fill(model, first * 4096, (first + count) * 4096, (byte) 0);
            } else if (kind < 82) { // UNMAP of any sector range, up to the whole volume: one range in the overlay
                int off = r.nextInt(SIZE / 512) * 512;
                int len = r.nextInt(4) == 0 ? SIZE - off : Math.min(SIZE - off, (1 + r.nextInt(SIZE / 512 / 4)) * 512);
                v.unmap(off, len);
                Arrays.fill(model, off, off + len, (byte) 0);
            } else if (kind < 86) { // scrub: move live data out of mostly-overwritten SCOs, delete those
                Volume.ScrubResult sr = v.scrub(0.75, 4);
                scrubbed += sr.scosDeleted();
            } else if (kind < 90) {
                v.flush();
            } else if (kind < 94) { // clean restart
                v.close();
                v = engine.open("v");
                restarts++;
            } else if (kind < 97) { // crash stand-in: flush (the contract) then drop everything without closing
                v.flush();
                v.abandon();
                v = engine.open("v");
                crashes++;
            } else { // lose the cache and LMDB: rebuild from the backend as of the last committed header
                v.syncToBackend(10_000);
                v.close();
                engine.dropCache("v");
                v = engine.open("v");
                wipes++;
            }
        }
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        v.read(0, all);
        assertArrayEquals(model, all.array(), "whole volume, seed " + seed);
        v.close();
        assertTrue(restarts > 5 && crashes > 5 && wipes > 5, restarts + "/" + crashes + "/" + wipes);
        assertTrue(scrubbed > 20, "scrubbing deleted SCOs: " + scrubbed);
        assertTrue(made > 20 && deleted > 3 && rolledBack > 3, made + "/" + deleted + "/" + rolledBack);
        engine.dropCache("v"); // and the backend alone still has every byte after all those deletions
        v = engine.open("v");
        all.clear();
        v.read(0, all);
        assertArrayEquals(model, all.array(), "whole volume after a backend restart, seed " + seed);
        List<String> names = new ArrayList<>(snapshots.keySet());
        for (int i = names.size() - 1; i >= 0; i--) { // every snapshot left still holds its bytes
            v.snapshots().rollback(names.get(i));
            all.clear();
            v.read(0, all);
            assertArrayEquals(snapshots.get(names.get(i)), all.array(), "snapshot " + names.get(i) + ", seed " + seed);
        }
        v.close();
    }
}
