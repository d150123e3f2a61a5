package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrubbing beside live I/O: writers overwrite self-describing blocks (address + version), readers check every
 * block they read is one a writer wrote there and never older than what was acknowledged before the read began,
 * and a scrubber moves live data and deletes SCOs all the while, with a small cache so reads also go to the store.
 */
class ScrubRaceTest {
    static final int BLOCKS = 2048; // 8 MiB
    @TempDir Path dir;

    @Test
    void readsAndWritesStayCorrectWhileScrubbingDeletesScos() throws Exception {
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("obj")),
                new VolumeConfig(16, 2, 10, 64L << 20, 256L << 10, 64L << 20));
        e.create("v", (long) BLOCKS * 4096);
        Volume v = e.open("v");
        AtomicLongArray acked = new AtomicLongArray(BLOCKS);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        List<Future<Long>> work = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int writer = w;
            work.add(pool.submit(() -> { // writer w owns the blocks b with b % 2 == w
                Random r = new Random(writer);
                ByteBuffer b = ByteBuffer.allocate(4096);
                long n = 0;
                while (!stop.get()) {
                    int block = r.nextInt(BLOCKS / 2) * 2 + writer;
                    long version = acked.get(block) + 1;
                    b.clear();
                    while (b.hasRemaining()) b.putLong(block).putLong(version);
                    v.write((long) block * 4096, b.flip(), false);
                    acked.set(block, version);
                    n++;
                }
                return n;
            }));
        }
        for (int rd = 0; rd < 2; rd++) {
            int reader = rd;
            work.add(pool.submit(() -> {
                Random r = new Random(100 + reader);
                ByteBuffer b = ByteBuffer.allocate(16 * 4096);
                long n = 0;
                while (!stop.get()) {
                    int first = r.nextInt(BLOCKS - 16);
                    long[] before = new long[16];
                    for (int i = 0; i < 16; i++) before[i] = acked.get(first + i);
                    b.clear();
                    v.read((long) first * 4096, b);
                    for (int i = 0; i < 16; i++) {
                        ByteBuffer blk = ByteBuffer.wrap(b.array(), i * 4096, 4096);
                        long tag = blk.getLong();
                        long version = blk.getLong();
                        if (tag == 0 && version == 0) {
                            assertEquals(0, before[i], "block " + (first + i) + " lost its data");
                            continue;
                        }
                        assertEquals(first + i, tag, "block " + (first + i) + " holds another block's data");
                        assertTrue(version >= before[i], "block " + (first + i) + " went back in time");
                    }
                    n++;
                }
                return n;
            }));
        }
        java.util.concurrent.atomic.AtomicLong scrubbed = new java.util.concurrent.atomic.AtomicLong();
        work.add(pool.submit(() -> {
            while (!stop.get()) {
                scrubbed.addAndGet(v.scrub(0.75, 8).scosDeleted());
                Thread.sleep(20);
            }
            return scrubbed.get();
        }));
        // at least 8 s of the race; on a loaded machine longer, until the scrubber has had real work (bounded)
        long start = System.nanoTime();
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8)
                || (scrubbed.get() <= 10 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(90))) {
            Thread.sleep(100);
        }
        stop.set(true);
        long[] done = new long[work.size()];
        for (int i = 0; i < work.size(); i++) done[i] = work.get(i).get(60, TimeUnit.SECONDS);
        pool.shutdown();
        assertTrue(done[4] > 10, "the scrubber deleted SCOs: " + done[4]);
        assertTrue(done[2] > 10 && done[3] > 10, "the readers ran");
        v.close();
        e.dropCache("v");
        Volume again = e.open("v");
        ByteBuffer all = ByteBuffer.allocate(BLOCKS * 4096);
        again.read(0, all);
        for (int block = 0; block < BLOCKS; block++) {
            ByteBuffer blk = ByteBuffer.wrap(all.array(), block * 4096, 4096);
            long tag = blk.getLong();
            long version = blk.getLong();
            if (acked.get(block) == 0) continue;
            assertEquals(block, tag);
            assertEquals(acked.get(block), version, "block " + block + " after a backend restart");
        }
        again.close();
    }
}
