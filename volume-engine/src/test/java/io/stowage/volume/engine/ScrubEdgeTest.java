package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;
import static io.stowage.volume.engine.TestBytes.read;

import io.stowage.volume.store.Backend;
import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scrub pass racing a resize, and a shutdown racing a scrub pass. */
class ScrubEdgeTest {
    @TempDir Path dir;

    /** The directory backend, whose stores run {@link #onList} (if set) when the scrub lists its SCO objects. */
    static final class HookedBackend extends ForwardingBackend {
        volatile Runnable onList;

        HookedBackend(Path root) throws IOException {
            super(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            ObjectStore s = real.volume(name);
            return new ForwardingObjectStore(s) {
                @Override
                protected void before(String op, String p) {
                    Runnable hook = onList;
                    if (hook != null && op.equals("list") && p.equals("sco.")) {
                        onList = null; // once
                        hook.run();
                    }
                }
            };
        }

    }

    @Test
    void aResizeAndACopyIntoTheNewSpaceDuringAScrubPassLoseNothing() throws Exception {
        HookedBackend backend = new HookedBackend(dir.resolve("obj"));
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend,
                new VolumeConfig(16, 1, 60_000, 64 << 20, 64 << 20, 64L << 20));
        long size = 1 << 20;
        e.create("v", size);
        Volume v = e.open("v");
        byte[] cluster0 = random(4096, 1);
        v.write(0, ByteBuffer.wrap(cluster0), false);
        v.write(4096, ByteBuffer.wrap(random(15 * 4096, 2)), false); // SCO 1 full: clusters 0..15
        v.write(4096, ByteBuffer.wrap(random(15 * 4096, 3)), false); // 1..15 again: SCO 1 holds one live cluster
        v.syncToBackend(30_000);
        long newCluster = size / 4096; // the first cluster of the space the resize adds
        backend.onList = () -> {
            try { // between the pass's first look at the map and its deletions
                v.resize(2 * size);
                v.copyClusters(0, newCluster, 1); // a REMAP to cluster 0's location, in SCO 1
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        };
        Volume.ScrubResult r = v.scrub(0.5, 4);
        assertTrue(r.victims() > 0, "SCO 1 was a victim");
        assertArrayEquals(cluster0, read(v, 0, 4096));
        assertArrayEquals(cluster0, read(v, newCluster * 4096, 4096), "the copy in the new space still reads");
        v.close();
        e.dropCache("v");
        Volume again = e.open("v");
        assertArrayEquals(cluster0, read(again, newCluster * 4096, 4096), "also from the backend alone");
        again.close();
    }

    @Test
    void shutdownWaitsForARunningScrubPass() throws Exception {
        HookedBackend backend = new HookedBackend(dir.resolve("obj"));
        VolumeEngine e = new VolumeEngine(dir.resolve("cache"), backend,
                new VolumeConfig(16, 1, 60_000, 64 << 20, 64 << 20, 64L << 20, 1, 50)); // background scrub
        e.create("v", 1 << 20);
        Volume v = e.open("v");
        v.scrubStopPatienceMillis = 100;
        v.write(0, ByteBuffer.wrap(random(32 * 4096, 4)), false);
        v.write(0, ByteBuffer.wrap(random(16 * 4096, 5)), false);
        CountDownLatch inScrub = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        backend.onList = () -> {
            inScrub.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        };
        v.syncToBackend(30_000); // a commit: the background scrubber starts a pass, which blocks in the store
        assertTrue(inScrub.await(10, TimeUnit.SECONDS), "a scrub pass started");
        CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
            try {
                v.close();
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        Thread.sleep(1000);
        assertFalse(closed.isDone(), "close waits while a scrub pass runs (it would close LMDB and the store under it)");
        release.countDown();
        closed.get(20, TimeUnit.SECONDS);
        Volume again = e.open("v");
        assertArrayEquals(random(16 * 4096, 5), read(again, 0, 16 * 4096));
        again.close();
    }
}
