package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-based: thousands of random operations against the engine and a plain byte array; every read must match.
 * Operations: aligned and unaligned writes (with and without FUA), reads, discards (cluster ranges, and UNMAPs of
 * any sector range up to the whole volume, overlapping earlier ones), metadata-only copies (REMAP, with discard
 * ranges for unmapped source runs),
 * scrubs (live data moved, emptied SCOs deleted), flushes, clean restarts,
 * crash restarts (abandon without close: recovery replays local TLogs) and cache wipes (backend restart);
 * and, drawn from further random sequences beside them, snapshots, snapshot deletes and rollbacks, against a model
 * that keeps each snapshot's bytes (a rollback drops the snapshots after it, as the engine does), and thin clones
 * of random snapshots (of the volume or of clones: clones of clones, depth 2 and more) and clone deletions. A clone's
 * model starts as its snapshot's bytes; every other operation also lands on clones (a clean restart is of the volume
 * the operation is on); crashes and cache wipes take every volume down and reopen each, verifying every clone whole
 * against its model. The model counts each
 * snapshot's clones: a delete of a snapshot with clones, a rollback past one and a delete of a volume with clones
 * must be refused (HAS_CLONES), and the engine's counts must equal the model's. At the end every volume is verified,
 * then every volume's cache dropped and each verified again from the backend alone, and, leaf clones first, every
 * snapshot left is rolled back to and verified, newest first, before the clone is deleted (freeing its parent's
 * snapshot).
 */
class VolumeModelTest {
    static final int SIZE = 4 << 20; // 1024 clusters
    static final VolumeConfig SMALL = new VolumeConfig(16, 2, 20, 1 << 20, 256 << 10, 64L << 20);
    static final int LIVE_CLONES = 2; // at most this many clones at once: every crash reopens and verifies each
    @TempDir Path dir;

    /** One volume (the volume, or a clone) and what it must read: its bytes, and each snapshot's. */
    static final class Modelled {
        final String name;
        final int depth; // 0 the volume, 1 a clone of it, 2 a clone of a clone...
        final Modelled parent;
        final String parentSnapshot;
        Volume volume;
        byte[] bytes;
        final LinkedHashMap<String, byte[]> snapshots = new LinkedHashMap<>(); // in cut order
        final Map<String, Integer> clones = new HashMap<>(); // snapshot -> clones of it alive

        Modelled(String name, Modelled parent, String parentSnapshot, byte[] bytes) {
            this.name = name;
            this.parent = parent;
            this.parentSnapshot = parentSnapshot;
            this.depth = parent == null ? 0 : parent.depth + 1;
            this.bytes = bytes;
        }

        int clonesOf(String snapshot) {
            return clones.getOrDefault(snapshot, 0);
        }

        boolean hasClones() {
            return clones.values().stream().anyMatch(n -> n > 0);
        }
    }

    @Test
    void randomOperationsMatchAReferenceModel() throws Exception {
        // -Dstowage.model.seeds=N -Dstowage.model.ops=M for longer runs, -Dstowage.model.seed=S for the first seed
        int first = Integer.getInteger("stowage.model.seed", 1);
        int seeds = Integer.getInteger("stowage.model.seeds", 2);
        int ops = Integer.getInteger("stowage.model.ops", 1500);
        for (long seed = first; seed < first + seeds; seed++) {
            run(seed, ops);
        }
    }

    private static void verify(Modelled m, String what) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        m.volume.read(0, all);
        assertArrayEquals(m.bytes, all.array(), what + ": whole of " + m.name);
    }

    private static void expectRefused(String what, Executable op) {
        Snapshots.SnapshotRefusedException e = assertThrows(Snapshots.SnapshotRefusedException.class, op, what);
        assertEquals(Snapshots.Refusal.HAS_CLONES, e.reason(), what);
    }

    private void run(long seed, int ops) throws Exception {
        Path root = dir.resolve("seed" + seed);
        VolumeEngine engine = new VolumeEngine(root.resolve("cache"), new DirectoryBackend(root.resolve("objects")), SMALL);
        engine.create("v", SIZE);
        Modelled main = new Modelled("v", null, null, new byte[SIZE]);
        main.volume = engine.open("v");
        List<Modelled> vols = new ArrayList<>(List.of(main)); // in creation order: parents before their clones
        Random r = new Random(seed);
        int restarts = 0, crashes = 0, wipes = 0, scrubbed = 0;
        Random snaps = new Random(seed * 1_000_003); // snapshot operations: the other operations' sequence is unchanged
        int made = 0, deleted = 0, rolledBack = 0, refused = 0;
        Random clones = new Random(seed * 7_000_003); // clone operations, and which volume each operation is on
        int cloned = 0, clonesDeleted = 0, maxDepth = 0, onClones = 0;
        Random copies = new Random(seed * 11_000_003); // copies between volumes
        int crossCopies = 0;
        for (int op = 0; op < ops; op++) {
            int kind = r.nextInt(100);
            String what = "seed " + seed + " op " + op;
            int cloneOp = clones.nextInt(1000);
            // clone a random snapshot (a clone's while no clone of a clone exists)
            if (cloneOp < 15 && vols.size() <= LIVE_CLONES) {
                List<Modelled> sources = vols.stream().filter(m -> !m.snapshots.isEmpty()).toList();
                if (maxDepth < 2 && vols.size() > 1) sources = vols.subList(1, vols.size()); // a clone of a clone
                if (!sources.isEmpty()) {
                    Modelled src = sources.get(clones.nextInt(sources.size()));
                    if (src.snapshots.isEmpty()) {
                        String name = "s" + made++;
                        src.volume.snapshots().create(name);
                        src.snapshots.put(name, src.bytes.clone());
                    }
                    List<String> names = new ArrayList<>(src.snapshots.keySet());
                    String snapshot = names.get(clones.nextInt(names.size()));
                    Modelled c = new Modelled("c" + cloned++, src, snapshot, src.snapshots.get(snapshot).clone());
                    engine.clone(src.name, snapshot, c.name);
                    src.clones.merge(snapshot, 1, Integer::sum);
                    c.volume = engine.open(c.name);
                    vols.add(c);
                    maxDepth = Math.max(maxDepth, c.depth);
                    verify(c, what + " new clone of " + src.name + "@" + snapshot);
                }
            } else if (cloneOp < 20 && vols.size() > 1) { // delete a clone: refused while a clone of it lives
                Modelled c = vols.get(1 + clones.nextInt(vols.size() - 1));
                c.volume.close();
                if (c.hasClones()) {
                    expectRefused(what + " delete clone " + c.name, () -> engine.delete(c.name));
                    refused++;
                    c.volume = engine.open(c.name);
                } else {
                    engine.delete(c.name);
                    vols.remove(c);
                    c.parent.clones.merge(c.parentSnapshot, -1, Integer::sum);
                    clonesDeleted++;
                }
            }
            // EXTENDED COPY between two volumes of the engine (metadata-only where they share clusters: parent and
            // clone either way, siblings, a clone and its clone); its own sequence, so the others stay as they were
            if (copies.nextInt(100) < 3 && vols.size() > 1) {
                Modelled a = vols.get(copies.nextInt(vols.size()));
                Modelled b = vols.get(copies.nextInt(vols.size()));
                int clusters = Math.min(a.bytes.length, b.bytes.length) / Volume.CLUSTER;
                int count = 1 + copies.nextInt(16);
                if (a != b && count < clusters) {
                    int src = copies.nextInt(clusters - count), dst = copies.nextInt(clusters - count);
                    if (!CrossVolumeCopy.copy(a.volume, b.volume, src, dst, count)) {
                        ByteBuffer data = ByteBuffer.allocate(count * Volume.CLUSTER);
                        a.volume.read((long) src * Volume.CLUSTER, data);
                        b.volume.write((long) dst * Volume.CLUSTER, data.flip(), false);
                    } else {
                        crossCopies++;
                    }
                    System.arraycopy(a.bytes, src * Volume.CLUSTER, b.bytes, dst * Volume.CLUSTER,
                            count * Volume.CLUSTER);
                }
            }
            int snapshotOp = snaps.nextInt(100);
            // snapshot operations are on the volume half the time, else on a random clone
            Modelled s = vols.size() == 1 || snaps.nextBoolean() ? main : vols.get(1 + snaps.nextInt(vols.size() - 1));
            if (snapshotOp < 3) {
                String name = "s" + made++;
                s.volume.snapshots().create(name);
                s.snapshots.put(name, s.bytes.clone());
            } else if (snapshotOp < 4 && !s.snapshots.isEmpty()) {
                List<String> names = new ArrayList<>(s.snapshots.keySet());
                String name = names.get(snaps.nextInt(names.size()));
                if (s.clonesOf(name) > 0) {
                    Modelled t = s;
                    expectRefused(what + " delete " + s.name + "@" + name, () -> t.volume.snapshots().delete(name));
                    refused++;
                } else {
                    s.volume.snapshots().delete(name);
                    s.snapshots.remove(name);
                    deleted++;
                }
            } else if (snapshotOp < 5 && !s.snapshots.isEmpty()) {
                List<String> names = new ArrayList<>(s.snapshots.keySet());
                int i = snaps.nextInt(names.size());
                List<String> later = names.subList(i + 1, names.size());
                Modelled t = s;
                if (later.stream().anyMatch(n -> t.clonesOf(n) > 0)) { // it would drop a snapshot a clone reads
                    expectRefused(what + " rollback " + s.name + "@" + names.get(i),
                            () -> t.volume.snapshots().rollback(names.get(i)));
                    refused++;
                } else {
                    s.volume.snapshots().rollback(names.get(i));
                    s.bytes = s.snapshots.get(names.get(i)).clone();
                    for (String n : new ArrayList<>(later)) s.snapshots.remove(n);
                    rolledBack++;
                }
                verify(s, what + " after rollback to " + names.get(i));
            }
            // the other operations are on the volume two times in three, else on a random clone
            Modelled m = vols.size() == 1 || clones.nextInt(3) > 0 ? main
                    : vols.get(1 + clones.nextInt(vols.size() - 1));
            if (m != main) onClones++;
            Volume v = m.volume;
            byte[] model = m.bytes;
            what += " on " + m.name;
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
            } else if (kind < 94) { // clean restart of this volume (crashes and backend restarts take down all)
                v.close();
                m.volume = engine.open(m.name);
                if (m != main) verify(m, what + " after a restart");
                restarts++;
            } else if (kind < 97) { // crash stand-in: flush (the contract) then drop everything without closing
                for (Modelled x : vols) {
                    x.volume.flush();
                    x.volume.abandon();
                }
                for (Modelled x : vols) x.volume = engine.open(x.name);
                for (Modelled x : vols) if (x != main) verify(x, what + " after a crash");
                crashes++;
            } else { // lose the caches and LMDB: rebuild each from the backend as of its last committed header
                for (Modelled x : vols) {
                    x.volume.syncToBackend(10_000);
                    x.volume.close();
                    engine.dropCache(x.name);
                }
                for (Modelled x : vols) x.volume = engine.open(x.name);
                for (Modelled x : vols) if (x != main) verify(x, what + " after a backend restart");
                wipes++;
            }
        }
        for (Modelled x : vols) {
            verify(x, "seed " + seed);
            x.volume.close();
        }
        assertTrue(restarts > 5 && crashes > 5 && wipes > 5, restarts + "/" + crashes + "/" + wipes);
        assertTrue(scrubbed > 20, "scrubbing deleted SCOs: " + scrubbed);
        assertTrue(made > 20 && deleted > 3 && rolledBack > 3, made + "/" + deleted + "/" + rolledBack);
        assertTrue(cloned >= 4 && clonesDeleted >= 1 && maxDepth >= 2 && refused >= 1 && onClones > ops / 10,
                "clones " + cloned + ", deleted " + clonesDeleted + ", depth " + maxDepth + ", refused " + refused
                        + ", operations on clones " + onClones);
        assertTrue(crossCopies > 0, "metadata-only copies between volumes: " + crossCopies);
        for (Modelled x : vols) engine.dropCache(x.name); // the backend alone still has every byte of every volume
        for (Modelled x : vols) x.volume = engine.open(x.name);
        for (Modelled x : vols) verify(x, "after a backend restart, seed " + seed);
        for (int k = vols.size() - 1; k >= 0; k--) { // leaf clones first: then no snapshot of x has a clone left
            Modelled x = vols.get(k);
            for (Snapshots.SnapshotInfo info : x.volume.snapshots().list()) {
                assertEquals(x.clonesOf(info.name()), info.clones(), "clones of " + x.name + "@" + info.name());
            }
            assertEquals(new ArrayList<>(x.snapshots.keySet()),
                    x.volume.snapshots().list().stream().map(Snapshots.SnapshotInfo::name).toList(),
                    "snapshots of " + x.name);
            List<String> names = new ArrayList<>(x.snapshots.keySet());
            for (int i = names.size() - 1; i >= 0; i--) { // every snapshot left still holds its bytes
                x.volume.snapshots().rollback(names.get(i));
                x.bytes = x.snapshots.get(names.get(i));
                verify(x, "snapshot " + names.get(i) + ", seed " + seed);
            }
            x.volume.close();
            if (x != main) {
                engine.delete(x.name);
                x.parent.clones.merge(x.parentSnapshot, -1, Integer::sum);
            }
        }
    }
}
