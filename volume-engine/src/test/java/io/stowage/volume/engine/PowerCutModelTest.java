package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Power cuts under load ({@link PowerCutFiles}: unsynced writes dropped or torn at 512-byte sectors, unsynced
 * directory entries undone), at random moments and right after random upload steps (an SCO put, a TLog put, a
 * header commit, a scrub's delete) and during recovery, with several writer threads doing aligned and unaligned writes, discards,
 * unmaps, copies (REMAP), FUA writes and flushes, beside explicit and background scrubs and resizes.
 *
 * <p>Each writer owns a range of clusters and keeps, per cluster, every value it gave it since the last boot and
 * which of them a completed flush covered. After each cut and reboot every cluster must read as the newest
 * flushed value or a later one — never an older one, never anything else (garbage, torn, a CRC error). What it
 * reads is then the cluster's only allowed value until the next write (recovery's result is durable).
 *
 * <p>Seeded; the seed is in every failure. {@code -Dstowage.powercut.seeds=N -Dstowage.powercut.rounds=M} for
 * longer runs, {@code -Dstowage.powercut.seed=S} for one seed.
 */
class PowerCutModelTest {
    static final int THREADS = 3;
    static final int RANGE = 96; // clusters per writer
    static final int CLUSTER = Volume.CLUSTER;
    /** 16-cluster SCOs, 2 per TLog, TLogs closed after 20 ms, small dirty and cache limits, scrub every 30 ms. */
    static final VolumeConfig CONFIG = new VolumeConfig(16, 2, 20, 192 << 10, 96 << 10, 64L << 20, 2, 30);
    @TempDir Path dir;

    int tornTails;
    int storeCuts;
    int recoveryCuts;

    @Test
    void everyFlushedWriteSurvivesEveryPowerCut() throws Exception {
        int seeds = Integer.getInteger("stowage.powercut.seeds", 2);
        int rounds = Integer.getInteger("stowage.powercut.rounds", 6);
        Integer one = Integer.getInteger("stowage.powercut.seed");
        // the coverage below depends on where random cuts land, which timing (machine load) shifts: past the
        // configured seeds, a few more run until each case was hit (bounded; the assertions still hold the line)
        for (long seed = one == null ? 1 : one; seed <= (one == null ? seeds : one)
                || (one == null && seed <= seeds + 10 && (tornTails == 0 || storeCuts == 0 || recoveryCuts == 0));
                seed++) {
            try {
                run(seed, rounds, CONFIG);
            } catch (Throwable t) {
                throw new AssertionError("power-cut model failed, seed " + seed
                        + " (again: -Dstowage.powercut.seed=" + seed + "): " + t, t);
            }
        }
        assertTrue(tornTails > 0, "recovery cut a torn tail at least once");
        assertTrue(storeCuts > 0, "a cut came right after an upload step at least once");
        assertTrue(recoveryCuts > 0, "a cut came during recovery at least once");
    }

    /**
     * The same with the DTL on: a flush is durable once it is in the DTL objects of the store (which survive the
     * cut; the store's own writes are cut separately), so after a power cut the node rebuilds from the DTL what
     * its own cache lost.
     */
    @Test
    void everyFlushedWriteSurvivesEveryPowerCutWithTheDtlOn() throws Exception {
        int seeds = Integer.getInteger("stowage.powercut.seeds", 2);
        int rounds = Integer.getInteger("stowage.powercut.rounds", 6);
        Integer one = Integer.getInteger("stowage.powercut.seed");
        for (long seed = one == null ? 1 : one; seed <= (one == null ? seeds : one); seed++) {
            try {
                run(seed, rounds, CONFIG.withDtl(true));
            } catch (Throwable t) {
                throw new AssertionError("power-cut model with the DTL failed, seed " + seed
                        + " (again: -Dstowage.powercut.seed=" + seed + "): " + t, t);
            }
        }
    }

    /** One writer's clusters: the values each was given since the last boot, and how many a flush covered. */
    static final class Owned {
        final int base;
        final byte[] current = new byte[RANGE * CLUSTER];
        final List<List<byte[]>> history = new ArrayList<>();
        final int[] durable = new int[RANGE]; // history index of the newest flushed value

        Owned(int base) {
            this.base = base;
            for (int c = 0; c < RANGE; c++) {
                List<byte[]> h = new ArrayList<>();
                h.add(new byte[CLUSTER]);
                history.add(h);
            }
        }

        /** The clusters of bytes [from, to) of the range changed (recorded before the operation is issued). */
        void changed(int from, int to) {
            for (int c = from / CLUSTER; c < (to + CLUSTER - 1) / CLUSTER; c++) {
                history.get(c).add(Arrays.copyOfRange(current, c * CLUSTER, (c + 1) * CLUSTER));
            }
        }

        void flushed() {
            for (int c = 0; c < RANGE; c++) durable[c] = history.get(c).size() - 1;
        }
    }

    private void run(long seed, int rounds, VolumeConfig config) throws Exception {
        Path root = dir.resolve("seed" + seed);
        Random r = new Random(seed);
        PowerCutFiles power = new PowerCutFiles(seed, PowerCutFiles.Mode.TEAR);
        VolumeEngine engine = new VolumeEngine(root.resolve("cache"),
                new PowerCutBackend(new DirectoryBackend(root.resolve("objects")), power), config, power);
        long size = (long) THREADS * RANGE * CLUSTER;
        engine.create("v", size);
        Owned[] owned = new Owned[THREADS];
        for (int t = 0; t < THREADS; t++) owned[t] = new Owned(t * RANGE);
        long ackedSize = size;
        Volume v = engine.open("v");
        for (int round = 0; round < rounds; round++) {
            String what = "seed " + seed + " round " + round;
            power.mode(r.nextInt(4) == 0 ? PowerCutFiles.Mode.DROP : PowerCutFiles.Mode.TEAR);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            Volume vol = v;
            for (int t = 0; t < THREADS; t++) {
                Owned o = owned[t];
                long threadSeed = r.nextLong();
                threads.add(new Thread(() -> work(vol, o, new Random(threadSeed), power, failure), "writer-" + t));
            }
            long[] resized = {ackedSize};
            long adminSeed = r.nextLong();
            threads.add(new Thread(() -> administer(vol, new Random(adminSeed), power, failure, resized), "admin"));
            int trigger = r.nextInt(3);
            if (trigger == 0) power.cutAfter(1 + r.nextInt(3000)); // at a random file or store operation
            if (trigger == 1) power.cutAfterStoreChanges(1 + r.nextInt(40)); // right after an upload step
            threads.forEach(Thread::start);
            long deadline = System.currentTimeMillis() + 100 + r.nextInt(400);
            while (!power.isOff() && System.currentTimeMillis() < deadline) Thread.sleep(2);
            power.cut(); // if no counted operation did it first
            long stop = System.currentTimeMillis() + 300; // most stop at their next I/O; waiting ones at abandon
            for (Thread t : threads) t.join(Math.max(1, stop - System.currentTimeMillis()));
            vol.abandon();
            for (Thread t : threads) t.join(30_000);
            if (failure.get() != null) throw new AssertionError(what + ": failed before the cut", failure.get());
            ackedSize = resized[0];
            power.restore();

            while (r.nextInt(3) == 0) { // the power fails again during recovery
                power.cutAfter(1 + r.nextInt(40));
                try {
                    engine.open("v").abandon(); // recovery finished first: a cut just after it
                } catch (IOException | RuntimeException expected) {
                    // the cut came during recovery
                }
                power.cut();
                power.restore();
                recoveryCuts++;
            }
            v = engine.open("v");
            if (v.recoveryCutTail) tornTails++;
            assertTrue(v.info().sizeBytes() >= ackedSize, what + ": a committed resize was lost");
            for (Owned o : owned) verifyAndRebase(v, o, what);
        }
        v.close();
        storeCuts += power.storeCuts();
        engine.dropCache("v"); // everything left was uploaded by close: the backend alone has it
        v = engine.open("v");
        for (Owned o : owned) {
            ByteBuffer got = ByteBuffer.allocate(RANGE * CLUSTER);
            v.read((long) o.base * CLUSTER, got);
            assertArrayEquals(o.current, got.array(), "seed " + seed + ": after a backend restart");
        }
        v.close();
    }

    /** Every cluster reads as its newest flushed value or a later one; that value is then the only one. */
    private static void verifyAndRebase(Volume v, Owned o, String what) throws IOException {
        for (int c = 0; c < RANGE; c++) {
            ByteBuffer got = ByteBuffer.allocate(CLUSTER);
            v.read((long) (o.base + c) * CLUSTER, got);
            List<byte[]> h = o.history.get(c);
            boolean ok = false;
            for (int i = o.durable[c]; i < h.size() && !ok; i++) ok = Arrays.equals(h.get(i), got.array());
            if (!ok) {
                int older = -1;
                for (int i = 0; i < o.durable[c]; i++) if (Arrays.equals(h.get(i), got.array())) older = i;
                fail(what + ": cluster " + (o.base + c) + " reads " + (older >= 0
                        ? "value " + older + ", older than the flushed value " + o.durable[c]
                        : "a value it was never given") + " (" + h.size() + " values)");
            }
            System.arraycopy(got.array(), 0, o.current, c * CLUSTER, CLUSTER);
            h.clear();
            h.add(got.array());
            o.durable[c] = 0;
        }
    }

    /** A writer's random operations on its own range until the power goes off. */
    private static void work(Volume v, Owned o, Random r, PowerCutFiles power, AtomicReference<Throwable> failure) {
        long base = (long) o.base * CLUSTER;
        int bytes = RANGE * CLUSTER;
        try {
            while (!power.isOff()) {
                int kind = r.nextInt(100);
                if (kind < 45) { // write, aligned or by 512-byte sectors, sometimes FUA
                    boolean aligned = r.nextBoolean();
                    int unit = aligned ? CLUSTER : 512;
                    int off = r.nextInt(bytes / unit) * unit;
                    int len = Math.min(bytes - off, unit * (1 + r.nextInt(aligned ? 8 : 40)));
                    byte[] data = new byte[len];
                    r.nextBytes(data);
                    System.arraycopy(data, 0, o.current, off, len);
                    o.changed(off, off + len);
                    boolean fua = r.nextInt(8) == 0;
                    v.write(base + off, ByteBuffer.wrap(data), fua);
                    if (fua) o.flushed();
                } else if (kind < 52) { // discard whole clusters
                    int first = r.nextInt(RANGE);
                    int count = Math.min(RANGE - first, 1 + r.nextInt(12));
                    Arrays.fill(o.current, first * CLUSTER, (first + count) * CLUSTER, (byte) 0);
                    o.changed(first * CLUSTER, (first + count) * CLUSTER);
                    v.discardClusters(o.base + first, count);
                } else if (kind < 56) { // unmap by sectors: zeroed edges, discarded middle
                    int off = r.nextInt(bytes / 512) * 512;
                    int len = Math.min(bytes - off, 512 * (1 + r.nextInt(40)));
                    Arrays.fill(o.current, off, off + len, (byte) 0);
                    o.changed(off, off + len);
                    v.unmap(base + off, len);
                } else if (kind < 63) { // metadata-only copy within the range, overlaps included
                    int count = 1 + r.nextInt(10);
                    int src = r.nextInt(RANGE - count + 1);
                    int dst = r.nextInt(RANGE - count + 1);
                    System.arraycopy(o.current, src * CLUSTER, o.current, dst * CLUSTER, count * CLUSTER);
                    o.changed(dst * CLUSTER, (dst + count) * CLUSTER);
                    v.copyClusters(o.base + src, o.base + dst, count);
                } else if (kind < 73) {
                    v.flush();
                    o.flushed();
                } else { // read back: before the cut every read is exact
                    int off = r.nextInt(bytes / 512) * 512;
                    int len = Math.min(bytes - off, 512 * (1 + r.nextInt(64)));
                    ByteBuffer got = ByteBuffer.allocate(len);
                    v.read(base + off, got);
                    if (!Arrays.equals(Arrays.copyOfRange(o.current, off, off + len), got.array())) {
                        throw new AssertionError(Thread.currentThread().getName() + ": read " + off + "+" + len
                                + " differs before the cut");
                    }
                }
            }
        } catch (AssertionError e) {
            failure.compareAndSet(null, e);
        } catch (Throwable e) {
            if (!power.isOff()) failure.compareAndSet(null, e); // only the cut may fail an operation
        }
    }

    /** Scrubs (beside the background ones) and resizes, until the power goes off. */
    private static void administer(Volume v, Random r, PowerCutFiles power, AtomicReference<Throwable> failure,
                                   long[] ackedSize) {
        try {
            while (!power.isOff()) {
                if (r.nextInt(3) == 0) {
                    long next = ackedSize[0] + 16L * CLUSTER;
                    v.resize(next);
                    ackedSize[0] = next;
                } else {
                    v.scrub(0.75, 4);
                }
                Thread.sleep(r.nextInt(40));
            }
        } catch (Throwable e) {
            if (!power.isOff()) failure.compareAndSet(null, e);
        }
    }
}
