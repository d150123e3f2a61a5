package io.stowage.volume.engine;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * The child process of {@link VolumeCrashIT}: opens (recovering) a volume, then writes with several threads
 * until it is SIGKILLed. Every 512-byte sector it writes is self-describing — sector address, a generation number
 * and a CRC — so a torn or misplaced sector is recognisable.
 *
 * <ul>
 *   <li>The first half of the volume takes aligned multi-cluster writes; each thread owns a contiguous range.</li>
 *   <li>The second half takes single-sector writes (read-modify-write inside the engine); sector s belongs to
 *       thread s mod T, so every cluster there is shared by all threads and a non-atomic read-modify-write would
 *       bring back a stale sector.</li>
 * </ul>
 *
 * After each flush returns it prints {@code FLUSHED <first sector> <count> <generation>} for the writes this thread
 * completed before the flush: what the durability contract says must survive.
 */
public final class CrashWorker {
    static final int CLUSTERS = 2048; // 8 MiB volume
    static final int SECTORS = CLUSTERS * 8;
    static final VolumeConfig CONFIG = new VolumeConfig(64, 2, 200, 64L << 20, 16L << 20, 256L << 20);

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        VolumeEngine engine = new VolumeEngine(root.resolve("cache"), new DirectoryBackend(root.resolve("objects")),
                CONFIG);
        if (engine.find("crash").isEmpty()) {
            engine.create("crash", (long) CLUSTERS * 4096);
        }
        Volume v = engine.open("crash");
        PrintStream out = new PrintStream(System.out, false);
        out.println("READY");
        out.flush();
        AtomicLong generation = new AtomicLong(System.currentTimeMillis() * 1000);
        for (int t = 0; t < threads; t++) {
            int me = t;
            long s = seed * 31 + t;
            Thread th = new Thread(() -> {
                Random r = new Random(s);
                ByteBuffer buf = ByteBuffer.allocate(4096 * 8);
                StringBuilder pending = new StringBuilder();
                int ownClusters = CLUSTERS / 2 / threads;
                try {
                    while (true) {
                        long gen = generation.incrementAndGet();
                        if (r.nextBoolean()) { // aligned clusters in my range of the first half
                            int n = 1 + r.nextInt(8);
                            long cluster = (long) me * ownClusters + r.nextInt(ownClusters - n);
                            buf.clear();
                            for (int i = 0; i < n * 8; i++) fill(buf, i * 512, cluster * 8 + i, gen);
                            buf.limit(n * 4096);
                            v.write(cluster * 4096, buf, r.nextInt(16) == 0);
                            pending.append("FLUSHED ").append(cluster * 8).append(' ').append(n * 8).append(' ')
                                    .append(gen).append('\n');
                        } else { // one of my sectors in the shared second half
                            long sector = SECTORS / 2 + (long) r.nextInt(SECTORS / 2 / threads) * threads + me;
                            buf.clear();
                            fill(buf, 0, sector, gen);
                            buf.limit(512);
                            v.write(sector * 512, buf, false);
                            pending.append("FLUSHED ").append(sector).append(" 1 ").append(gen).append('\n');
                        }
                        if (r.nextInt(4) == 0) {
                            v.flush();
                            synchronized (out) {
                                out.print(pending);
                                out.flush();
                            }
                            pending.setLength(0);
                        }
                    }
                } catch (Exception e) {
                    synchronized (out) {
                        out.println("ERROR " + e);
                        out.flush();
                    }
                }
            });
            th.setDaemon(true);
            th.start();
        }
        new CountDownLatch(1).await();
    }

    /** Sector layout: [sector address 8][generation 8][filler from both ...][CRC32C of bytes 0..507 4]. */
    static void fill(ByteBuffer b, int at, long sector, long gen) {
        b.putLong(at, sector);
        b.putLong(at + 8, gen);
        Random r = new Random(gen ^ sector);
        for (int i = 16; i < 508; i += 4) b.putInt(at + i, r.nextInt());
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(at).limit(at + 508));
        b.putInt(at + 508, (int) c.getValue());
    }

    /** The generation of a sector read back, 0 if never written, or -1 if it is torn, corrupt or misplaced. */
    static long check(ByteBuffer b, int at, long sector) {
        boolean zero = true;
        for (int i = 0; i < 512 && zero; i++) zero = b.get(at + i) == 0;
        if (zero) return 0;
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(at).limit(at + 508));
        if ((int) c.getValue() != b.getInt(at + 508) || b.getLong(at) != sector) return -1;
        return b.getLong(at + 8);
    }
}
