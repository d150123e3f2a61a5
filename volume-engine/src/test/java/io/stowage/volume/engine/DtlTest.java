package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;
import static io.stowage.volume.engine.TestBytes.read;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.DirectoryObjectStore;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DTL (docs/durability.md): a node lost after a flush loses nothing with {@code dtl} on (another node opens the
 * volume with an empty cache and replays the DTL), exactly the uncommitted tail with it off; a stale owner's DTL
 * writes after a takeover are refused and never visible.
 */
class DtlTest {
    static final VolumeConfig SMALL = new VolumeConfig(16, 2, 60_000, 64 << 20, 64 << 20, 64L << 20);
    @TempDir Path dir;

    /** The volume's SCO, TLog and header writes fail while {@code uploadsDown} is set; DTL objects still go through. */
    static final class NoCommits extends ForwardingBackend {
        volatile boolean uploadsDown = true;

        NoCommits(Path root) throws IOException {
            super(root);
        }

        @Override
        public ObjectStore volume(String name) throws IOException {
            return new ForwardingObjectStore(real.volume(name)) {
                @Override
                protected void before(String op, String n) throws IOException {
                    if (!uploadsDown) return;
                    if (op.equals("put") && (n.startsWith("sco.") || n.startsWith("tlog."))) {
                        throw new IOException("uploads down (test)");
                    }
                }

                @Override
                public void commitHeader(long e, long t, VolumeHeaderBytes h) throws IOException {
                    // the claim of an open (tlogs unchanged) goes through; TLog commits do not
                    if (uploadsDown && t >= 0 && t != h.lastTlog()) throw new IOException("uploads down (test)");
                    super.commitHeader(e, t, h);
                }
            };
        }

    }

    @Test
    void nodeLossAfterAFlushLosesNothingWithTheDtlOn() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, SMALL.withDtl(true));
        a.create("v", 4 << 20);
        Volume v = a.open("v");
        byte[] first = random(3 * 65536 + 4096, 1); // more than one SCO and TLog
        v.write(0, ByteBuffer.wrap(first), false);
        v.flush();
        byte[] fua = random(8192, 2);
        v.write(1 << 20, ByteBuffer.wrap(fua), true);
        v.write(2 << 20, ByteBuffer.wrap(random(4096, 3)), false); // never flushed: may be lost
        v.abandon(); // the node is lost with its cache

        VolumeEngine b = new VolumeEngine(dir.resolve("cacheB"), backend, SMALL.withDtl(true));
        Volume nv = b.open("v"); // another node, an empty cache
        assertArrayEquals(first, read(nv, 0, first.length), "every flushed write, from the DTL");
        assertArrayEquals(fua, read(nv, 1 << 20, fua.length), "and the FUA write");
        backend.uploadsDown = false;
        nv.close(); // the new owner commits what it replayed

        VolumeEngine c = new VolumeEngine(dir.resolve("cacheC"), backend, SMALL.withDtl(true));
        Volume third = c.open("v");
        assertArrayEquals(first, read(third, 0, first.length), "committed by the new owner");
        assertArrayEquals(fua, read(third, 1 << 20, fua.length));
        third.close();
    }

    @Test
    void aFlushCoveringMoreThanOneDtlObjectLosesNothing() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, SMALL.withDtl(true));
        a.create("v", 16 << 20);
        Volume v = a.open("v");
        byte[] big = random(5 << 20, 8); // more than one DTL object's worth (4 MiB), in one round
        v.write(0, ByteBuffer.wrap(big), false);
        v.flush();
        v.abandon();
        assertTrue(new DirectoryObjectStore(dir.resolve("obj/v")).list("dtl.00000001.").size() >= 2);
        Volume nv = new VolumeEngine(dir.resolve("cacheB"), backend, SMALL.withDtl(true)).open("v");
        assertArrayEquals(big, read(nv, 0, big.length));
        nv.abandon();
    }

    @Test
    void aNewOwnersCrashBeforeItCommitsTheReplayLosesNothingEither() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, SMALL.withDtl(true));
        a.create("v", 4 << 20);
        Volume v = a.open("v");
        byte[] data = random(65536, 4);
        v.write(0, ByteBuffer.wrap(data), true);
        v.abandon();
        Volume nv = new VolumeEngine(dir.resolve("cacheB"), backend, SMALL.withDtl(true)).open("v");
        nv.abandon(); // lost too, before its uploads
        Volume third = new VolumeEngine(dir.resolve("cacheC"), backend, SMALL.withDtl(true)).open("v");
        assertArrayEquals(data, read(third, 0, data.length), "the second owner's DTL carries the replayed writes");
        third.abandon();
    }

    @Test
    void aCrashAndRestartOnTheSameNodeRecoversFromTheCacheAndItsDtlStillCoversIt() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, SMALL.withDtl(true));
        a.create("v", 4 << 20);
        Volume v = a.open("v");
        byte[] data = random(3 * 65536, 9);
        v.write(0, ByteBuffer.wrap(data), false);
        v.flush();
        v.abandon(); // a crash: the node comes back with its cache
        Volume again = a.open("v");
        assertArrayEquals(data, read(again, 0, data.length), "recovered from the node's own cache");
        again.abandon(); // ... and then the node is lost before anything was committed
        Volume nv = new VolumeEngine(dir.resolve("cacheB"), backend, SMALL.withDtl(true)).open("v");
        assertArrayEquals(data, read(nv, 0, data.length), "the restarted owner put what it recovered in its DTL");
        nv.abandon();
        DirectoryObjectStore store = new DirectoryObjectStore(dir.resolve("obj/v"));
        for (String n : store.list("dtl.")) {
            if (!n.startsWith("dtl.00000003.")) {
                assertEquals(0, store.size(n), "earlier epochs keep only their fence (or last) object: " + n);
            }
        }
    }

    @Test
    void nodeLossWithTheDtlOffLosesExactlyWhatNoCommittedTlogHolds() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, SMALL);
        a.create("v", 4 << 20);
        Volume v = a.open("v");
        v.write(0, ByteBuffer.wrap(random(65536, 5)), true);
        v.abandon();
        Volume nv = new VolumeEngine(dir.resolve("cacheB"), backend, SMALL).open("v");
        assertArrayEquals(new byte[65536], read(nv, 0, 65536),
                "dtl = off: a flush is durable on the node's disk only; the node is lost, so is the write");
        nv.close();
        assertEquals(List.of(), new DirectoryObjectStore(dir.resolve("obj/v")).list("dtl."));
    }

    @Test
    void aStaleOwnersDtlWritesAfterATakeoverAreRefusedAndNeverVisible() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, SMALL.withDtl(true));
        a.create("v", 4 << 20);
        Volume v = a.open("v");
        byte[] before = random(8192, 6);
        v.write(0, ByteBuffer.wrap(before), true);
        Volume nv = new VolumeEngine(dir.resolve("cacheB"), backend, SMALL.withDtl(true)).open("v"); // takeover
        byte[] stale = random(8192, 7);
        v.write(0, ByteBuffer.wrap(stale), false);
        v.write(65536, ByteBuffer.wrap(stale), false);
        assertThrows(IOException.class, v::flush, "the former owner's DTL write is refused");
        assertTrue(v.stats().halted(), "and it halts");
        v.abandon();
        assertArrayEquals(before, read(nv, 0, 8192), "the new owner has what was flushed before the takeover");
        assertArrayEquals(new byte[8192], read(nv, 65536, 8192));
        nv.abandon();
        Volume third = new VolumeEngine(dir.resolve("cacheC"), backend, SMALL.withDtl(true)).open("v");
        assertArrayEquals(before, read(third, 0, 8192), "the stale owner's writes are never visible");
        assertArrayEquals(new byte[8192], read(third, 65536, 8192));
        third.abandon();
    }

    @Test
    void dtlObjectsAreTrimmedOnceTheirTlogsCommit() throws Exception {
        NoCommits backend = new NoCommits(dir.resolve("obj"));
        backend.uploadsDown = false;
        VolumeConfig quick = new VolumeConfig(16, 1, 50, 64 << 20, 64 << 20, 64L << 20).withDtl(true);
        VolumeEngine a = new VolumeEngine(dir.resolve("cacheA"), backend, quick);
        a.create("v", 4 << 20);
        Volume v = a.open("v");
        DirectoryObjectStore store = new DirectoryObjectStore(dir.resolve("obj/v"));
        for (int i = 0; i < 20; i++) v.write(i * 65536L, ByteBuffer.wrap(random(65536, i)), true);
        String own = "dtl.00000001."; // the owner's epoch after the open; epoch 0's fence stays
        assertTrue(store.list(own).size() >= 1, "flushes wrote DTL objects");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (store.list(own).size() > 1 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(1, store.list(own).size(), "all but the newest are trimmed once their TLogs commit: "
                + store.list("dtl."));
        v.close();
    }
}
