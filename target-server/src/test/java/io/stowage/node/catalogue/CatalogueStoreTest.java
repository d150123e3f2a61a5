package io.stowage.node.catalogue;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.DirectoryBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalogue round-trips through the backend, and concurrent writers (two nodes) never lose an update. */
class CatalogueStoreTest {
    @TempDir Path dir;

    @Test
    void roundTripsAndKeepsEveryField() throws Exception {
        CatalogueStore store = new CatalogueStore(new DirectoryBackend(dir).nodeStore());
        assertTrue(store.read().isEmpty(), "first start: nothing stored");
        TreeMap<Integer, String> luns = new TreeMap<>();
        luns.put(0, "a");
        luns.put(7, "b");
        Catalogue c = Catalogue.empty()
                .withVolume("a", new Catalogue.VolumeEntry(8L << 30))
                .withVolume("b", new Catalogue.VolumeEntry(1L << 20))
                .withTarget("t", new Catalogue.TargetEntry("iqn.2026-11.io.stowage:t", luns))
                .withSeed(new Catalogue.Seed(new TreeMap<>(java.util.Map.of("a", 8L << 30)), null));
        CatalogueStore.Versioned v = store.update(old -> c);
        assertEquals(1, v.version());
        CatalogueStore.Versioned again = new CatalogueStore(new DirectoryBackend(dir).nodeStore()).read().orElseThrow();
        assertEquals(c, again.catalogue());
        assertEquals(1, again.version());
        assertEquals(List.of(new Catalogue.Export("t", "iqn.2026-11.io.stowage:t", 7, "b")),
                again.catalogue().exportsOf("b"));
        assertEquals("t", again.catalogue().targetName("iqn.2026-11.io.stowage:t"));
        assertEquals(1, store.update(old -> old).version(), "no change, no write");
    }

    /**
     * CHAP round-trips, and a catalogue holding it is written in format 2, which a release that reads only format 1
     * refuses instead of rewriting it without the secrets; one without CHAP stays format 1 (what earlier releases
     * wrote and read). Printing a catalogue never shows a secret.
     */
    @Test
    void chapIsKeptInFormat2AndNeverPrinted() throws Exception {
        CatalogueStore store = new CatalogueStore(new DirectoryBackend(dir).nodeStore());
        Catalogue plain = store.update(c -> c.withTarget("t", new Catalogue.TargetEntry("iqn.2026-11.io.stowage:t",
                null))).catalogue();
        assertEquals(1, plain.format(), "no CHAP: the format earlier releases read");
        Catalogue.ChapEntry chap = new Catalogue.ChapEntry("alice", "initiator-secret", "t", "target-secret-x");
        Catalogue withChap = store.update(c -> c.withTarget("t", c.targets().get("t").withChap(chap))
                .withDiscoveryChap(Catalogue.ChapEntry.NONE)).catalogue();
        assertEquals(Catalogue.FORMAT, withChap.format());
        assertEquals(2, Catalogue.FORMAT);
        Catalogue read = store.read().orElseThrow().catalogue();
        assertEquals(withChap, read);
        assertEquals(chap, read.targets().get("t").chap());
        assertTrue(read.discoveryChap().none());
        assertFalse(read.toString().contains("initiator-secret") || read.toString().contains("target-secret-x"),
                read.toString());
        Catalogue cleared = store.update(c -> c.withTarget("t", c.targets().get("t").withChap(null))
                .withDiscoveryChap(null)).catalogue();
        assertEquals(2, cleared.format(), "never lowered");
    }

    @Test
    void twoNodesAddingVolumesAtOnceLoseNone() throws Exception {
        CatalogueStore a = new CatalogueStore(new DirectoryBackend(dir).nodeStore());
        CatalogueStore b = new CatalogueStore(new DirectoryBackend(dir).nodeStore());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (CatalogueStore s : List.of(a, b)) {
                String node = s == a ? "a" : "b";
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        String name = node + i;
                        s.update(c -> c.withVolume(name, new Catalogue.VolumeEntry(4096)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
        CatalogueStore.Versioned last = a.read().orElseThrow();
        assertEquals(40, last.catalogue().volumes().size(), "every update landed");
        assertEquals(40, last.version());
    }

    @Test
    void aRefusedChangeStoresNothing() throws Exception {
        CatalogueStore store = new CatalogueStore(new DirectoryBackend(dir).nodeStore());
        store.update(c -> c.withVolume("a", new Catalogue.VolumeEntry(4096)));
        assertThrows(IllegalStateException.class, () -> store.update(c -> {
            throw new IllegalStateException("refused");
        }));
        assertEquals(1, store.read().orElseThrow().version());
    }
}
