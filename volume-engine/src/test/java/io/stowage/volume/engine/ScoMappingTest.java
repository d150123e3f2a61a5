package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoMappingTest {
    private static final int SIZE = 64 * 4096;

    @TempDir
    Path dir;

    private byte[] data;

    private FileChannel sco() throws Exception {
        data = new byte[SIZE];
        new Random(7).nextBytes(data);
        Path f = dir.resolve("sco");
        Files.write(f, data);
        return FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Test
    void copiesTheRangeFromTheMapIntoADirectBuffer() throws Exception {
        try (FileChannel ch = sco()) {
            ScoMapping m = new ScoMapping();
            ByteBuffer dst = ByteBuffer.allocateDirect(3 * 4096 + 100);
            dst.position(100);
            assertTrue(m.read(ch, SIZE, 5 * 4096, dst));
            assertEquals(dst.limit(), dst.position());
            byte[] got = new byte[3 * 4096];
            dst.position(100);
            dst.get(got);
            byte[] want = new byte[3 * 4096];
            System.arraycopy(data, 5 * 4096, want, 0, want.length);
            assertArrayEquals(want, got);
            m.close();
        }
    }

    /** An eviction closes the SCO's file while a read holds its lease, before the map was made. */
    @Test
    void aFileClosedBeforeItsFirstMapIsNotAnErrorTheReadFallsBack() throws Exception {
        FileChannel ch = sco();
        ch.close();
        ScoMapping m = new ScoMapping();
        ByteBuffer dst = ByteBuffer.allocate(4096);
        int mapped = ScoMapping.mappedInProcess();
        assertFalse(m.read(ch, SIZE, 0, dst), "nothing read: the caller falls back (the SCO is in the backend)");
        assertEquals(0, dst.position());
        assertEquals(mapped, ScoMapping.mappedInProcess(), "no map counted");
    }

    @Test
    void aRangePastTheSealedSizeIsNotRead() throws Exception {
        try (FileChannel ch = sco()) {
            ScoMapping m = new ScoMapping();
            ByteBuffer dst = ByteBuffer.allocate(2 * 4096);
            assertFalse(m.read(ch, SIZE, SIZE - 4096, dst));
            assertEquals(0, dst.position());
            m.close();
        }
    }

    @Test
    void aSizeBeyondTheFileNeverGrowsIt() throws Exception {
        try (FileChannel ch = sco()) {
            ScoMapping m = new ScoMapping();
            assertFalse(m.read(ch, SIZE + 4096, 0, ByteBuffer.allocate(4096)));
            assertEquals(SIZE, ch.size());
            m.close();
        }
    }

    @Test
    void closeUnmapsAndLaterReadsAreRefused() throws Exception {
        try (FileChannel ch = sco()) {
            int before = ScoMapping.mappedInProcess();
            ScoMapping m = new ScoMapping();
            assertTrue(m.read(ch, SIZE, 0, ByteBuffer.allocate(4096)));
            assertEquals(before + 1, ScoMapping.mappedInProcess());
            m.close();
            assertEquals(before, ScoMapping.mappedInProcess());
            assertFalse(m.read(ch, SIZE, 0, ByteBuffer.allocate(4096)));
            m.close(); // twice: no effect
            assertEquals(before, ScoMapping.mappedInProcess());
        }
    }

    /** Readers racing a close: each read either copies the right bytes or is refused; none touches an unmapped map. */
    @Test
    void readsRacingACloseAreCorrectOrRefused() throws Exception {
        try (FileChannel ch = sco()) {
            int before = ScoMapping.mappedInProcess();
            for (int round = 0; round < 20; round++) {
                ScoMapping m = new ScoMapping();
                CountDownLatch start = new CountDownLatch(1);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                AtomicInteger refused = new AtomicInteger();
                Thread[] readers = new Thread[4];
                for (int t = 0; t < readers.length; t++) {
                    int seed = t;
                    readers[t] = new Thread(() -> {
                        Random r = new Random(seed);
                        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
                        byte[] got = new byte[4096];
                        try {
                            start.await();
                            // until the close refuses it (bounded: a read that is never refused fails below)
                            for (int i = 0; i < 50_000_000; i++) {
                                int cluster = r.nextInt(SIZE / 4096);
                                dst.clear();
                                if (!m.read(ch, SIZE, cluster * 4096L, dst)) {
                                    refused.incrementAndGet();
                                    break;
                                }
                                dst.flip().get(got);
                                for (int k = 0; k < 4096; k += 512) {
                                    if (got[k] != data[cluster * 4096 + k]) throw new AssertionError("wrong byte");
                                }
                            }
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    });
                    readers[t].start();
                }
                start.countDown();
                Thread.sleep(round % 5);
                m.close();
                for (Thread t : readers) t.join();
                if (failure.get() != null) throw new AssertionError(failure.get());
                assertEquals(before, ScoMapping.mappedInProcess(), "round " + round + ": the map is gone");
                assertEquals(readers.length, refused.get(), "every reader was refused after the close");
            }
        }
    }
}
