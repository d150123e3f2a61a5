package io.stowage.volume.engine;

import static io.stowage.volume.engine.TestBytes.random;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.store.DirectoryObjectStore;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrades keep data: a volume written by the previous release (src/test/resources/fixtures/release-161c0bd, made
 * by volume-engine at commit 161c0bd; its README has the generator) opens and verifies, with its cache and from
 * the backend alone; formats this release does not know are refused with a message naming the object.
 */
class VolumeFormatTest {
    static final VolumeConfig FIXTURE_CONFIG = new VolumeConfig(16, 2, 60_000, 64 << 20, 64 << 20, 16L << 20);
    static final int SIZE = 1 << 20;
    @TempDir Path dir;

    /** What the generator wrote, as a plain array: committed operations, then (if {@code withTail}) the tail. */
    private static byte[] expected(boolean withTail) {
        byte[] m = new byte[SIZE];
        System.arraycopy(random(40 * 4096, 1), 0, m, 0, 40 * 4096);
        System.arraycopy(random(4 * 4096, 2), 0, m, 8 * 4096, 4 * 4096);
        java.util.Arrays.fill(m, 20 * 4096, 24 * 4096, (byte) 0);
        System.arraycopy(m, 0, m, 100 * 4096, 4 * 4096);
        if (withTail) System.arraycopy(random(3 * 4096, 3), 0, m, 200 * 4096, 3 * 4096);
        return m;
    }

    /** A copy of the fixture (tests never touch the resources): {@code cache} and/or {@code objects}. */
    private Path fixture(boolean withCache) throws Exception {
        Path src = Path.of(getClass().getResource("/fixtures/release-161c0bd/objects").toURI()).getParent();
        Path root = dir.resolve("fixture");
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path rel = src.relativize(p);
                if (!withCache && rel.startsWith("cache")) continue;
                Path to = root.resolve(rel.toString());
                if (Files.isDirectory(p)) Files.createDirectories(to); else Files.copy(p, to);
            }
        }
        return root;
    }

    private static VolumeEngine engine(Path root) throws IOException {
        return new VolumeEngine(root.resolve("cache"), new DirectoryBackend(root.resolve("objects")), FIXTURE_CONFIG);
    }

    private static byte[] readAll(Volume v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        v.read(0, b);
        return b.array();
    }

    @Test
    void aVolumeOfThePreviousReleaseOpensWithItsCacheAndVerifies() throws Exception {
        Path root = fixture(true);
        VolumeEngine e = engine(root);
        Volume v = e.open("fixture");
        assertArrayEquals(expected(true), readAll(v), "committed data, and the flushed tail of its cache");
        assertArrayEquals(new byte[] {1, 2, 3, 4}, v.loadState("reservations"));
        byte[] more = random(4096, 9);
        v.write(250 * 4096, ByteBuffer.wrap(more), false);
        v.saveState("reservations", new byte[] {5});
        v.close();
        assertTrue(Files.exists(root.resolve("cache/fixture").resolve(CacheState.FILE)), "the cache now has a state");

        e.dropCache("fixture");
        Volume again = e.open("fixture");
        byte[] m = expected(true);
        System.arraycopy(more, 0, m, 250 * 4096, 4096);
        assertArrayEquals(m, readAll(again), "everything reached the backend in the new formats");
        assertArrayEquals(new byte[] {5}, again.loadState("reservations"));
        again.close();
    }

    @Test
    void aVolumeOfThePreviousReleaseOpensFromTheBackendAlone() throws Exception {
        Path root = fixture(false);
        Volume v = engine(root).open("fixture");
        assertArrayEquals(expected(false), readAll(v), "what was committed; the tail was only in the cache");
        assertArrayEquals(new byte[] {1, 2, 3, 4}, v.loadState("reservations"));
        v.close();
    }

    @Test
    void aHeaderInAFormatThisReleaseDoesNotKnowIsRefusedNamingIt() throws Exception {
        Path root = fixture(true);
        DirectoryObjectStore store = new DirectoryObjectStore(root.resolve("objects/fixture"));
        ObjectStore.VolumeHeaderBytes h = store.readHeader().orElseThrow();
        byte[] future = new String(h.body(), StandardCharsets.UTF_8)
                .replace("stowage-volume-header 1", "stowage-volume-header 9").getBytes(StandardCharsets.UTF_8);
        store.commitHeader(h.epoch(), new ObjectStore.VolumeHeaderBytes(h.epoch(), future));
        IOException failure = assertThrows(IOException.class, () -> engine(root).open("fixture"));
        assertTrue(failure.getMessage().contains("fixture") && failure.getMessage().contains("header")
                && failure.getMessage().contains("format 9"), failure.getMessage());
        assertEquals(h.epoch(), store.readHeader().orElseThrow().epoch(), "refused before the claim: untouched");
    }

    @Test
    void aCacheStateInAFormatThisReleaseDoesNotKnowIsRefusedNamingIt() throws Exception {
        Path root = fixture(true);
        engine(root).open("fixture").close(); // writes the cache state
        Path state = root.resolve("cache/fixture").resolve(CacheState.FILE);
        Files.writeString(state, Files.readString(state).replace("stowage-cache-state 1", "stowage-cache-state 7"));
        long epoch = new DirectoryObjectStore(root.resolve("objects/fixture")).readHeader().orElseThrow().epoch();
        IOException failure = assertThrows(IOException.class, () -> engine(root).open("fixture"));
        assertTrue(failure.getMessage().contains(state.toString()) && failure.getMessage().contains("version 7"),
                failure.getMessage());
        assertEquals(epoch, new DirectoryObjectStore(root.resolve("objects/fixture")).readHeader().orElseThrow()
                .epoch(), "refused before the claim");
    }

    /**
     * A cache whose owner flushed to the DTL only says so (format 2, so a release that knows format 1 refuses it
     * rather than trusting a cache that may lack flushed writes); format 1 is still read, as a cache that fsynced.
     */
    @Test
    void aCacheStateRecordsWhetherItsFlushesWereInTheDtlOnly() throws Exception {
        Path dir = Files.createDirectories(Files.createTempDirectory("cache-state"));
        java.util.UUID uuid = java.util.UUID.randomUUID();
        new CacheState(uuid, 7, true).write(dir);
        assertTrue(Files.readString(dir.resolve(CacheState.FILE)).startsWith("stowage-cache-state 2\n"));
        assertEquals(new CacheState(uuid, 7, true), CacheState.read(dir).orElseThrow());
        new CacheState(uuid, 8, false).write(dir);
        assertTrue(Files.readString(dir.resolve(CacheState.FILE)).startsWith("stowage-cache-state 1\n"),
                "without the DTL the format an older release reads");
        assertEquals(new CacheState(uuid, 8, false), CacheState.read(dir).orElseThrow());
    }
}
