package io.stowage.rados;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.store.ObjectStore;
import io.stowage.volume.store.ObjectStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RADOS store against a real cluster: the object-store contract, fencing primitives, config errors. */
class RadosObjectStoreIT {
    static CephCluster ceph;
    @TempDir Path tmp;

    @BeforeAll
    static void cluster() throws Exception {
        ceph = CephCluster.get();
    }


    @Test
    void passesTheObjectStoreContract() throws Exception {
        try (RadosBackend backend = new RadosBackend(ceph.config(CephCluster.uniquePrefix("it")))) {
            ObjectStore store = backend.volume("vol");
            ObjectStoreContract.check(store, tmp.resolve("scratch"));
            assertEquals(java.util.List.of("vol"), backend.volumes(), "a volume with a header is listed");
            backend.deleteVolume("vol");
            assertTrue(backend.volumes().isEmpty());
            assertTrue(store.list("").isEmpty(), "deleting a volume removes all its objects");
        }
    }

    @Test
    void aWholeScoRoundTripsFromAMappedFile() throws Exception {
        try (RadosBackend backend = new RadosBackend(ceph.config(CephCluster.uniquePrefix("it")))) {
            ObjectStore store = backend.volume("vol");
            byte[] sco = new byte[4 << 20];
            new java.util.Random(7).nextBytes(sco);
            Path f = tmp.resolve("sco");
            Files.write(f, sco);
            store.putExclusive("sco.00000001.000000000001.00", f);
            assertArrayEquals(sco, store.getAll("sco.00000001.000000000001.00"));
            java.nio.ByteBuffer part = java.nio.ByteBuffer.allocate(8192);
            store.get("sco.00000001.000000000001.00", 4096 * 100, 8192, part);
            assertArrayEquals(java.util.Arrays.copyOfRange(sco, 4096 * 100, 4096 * 102), part.array());
        }
    }

    @Test
    void aTakeoverBlocklistsThePreviousOwnerAndItsCommitsAreRefused() throws Exception {
        RadosBackendConfig cfg = ceph.config(CephCluster.uniquePrefix("it"));
        try (RadosBackend catalogue = new RadosBackend(cfg)) {
            catalogue.volume("vol").commitHeader(-1, new ObjectStore.VolumeHeaderBytes(0, new byte[] {0}));
            ObjectStore a = catalogue.openVolume("vol");
            ObjectStore b = catalogue.openVolume("vol");
            try {
                a.fencePreviousOwner(); // creation names no owner: nothing to fence
                a.commitHeader(0, new ObjectStore.VolumeHeaderBytes(1, new byte[] {1}));
                a.putExclusive("tlog.00000001.000000000001", java.nio.ByteBuffer.wrap(new byte[] {1}));

                b.fencePreviousOwner(); // blocklists a's client
                b.commitHeader(1, new ObjectStore.VolumeHeaderBytes(2, new byte[] {2}));

                assertThrows(ObjectStore.FencedException.class,
                        () -> a.putExclusive("tlog.00000001.000000000002", java.nio.ByteBuffer.wrap(new byte[] {2})),
                        "the fenced owner's object writes are refused");
                assertThrows(ObjectStore.FencedException.class,
                        () -> a.commitHeader(1, new ObjectStore.VolumeHeaderBytes(1, new byte[] {9})),
                        "the fenced owner's header commits are refused");
                assertEquals(2, b.readHeader().orElseThrow().epoch());
                assertArrayEquals(new byte[] {2}, b.readHeader().orElseThrow().body());
                assertFalse(b.exists("tlog.00000001.000000000002"));
                b.fencePreviousOwner(); // the owner is b itself now: a no-op
                b.commitHeader(2, new ObjectStore.VolumeHeaderBytes(3, new byte[] {3}));
            } finally {
                a.close();
                b.close();
            }
            catalogue.deleteVolume("vol");
        }
    }

    @Test
    void badConfigIsAClearErrorNamingTheKeyNotAHang() throws Exception {
        IOException pool = assertThrows(IOException.class, () -> new RadosBackend(
                new RadosBackendConfig(ceph.conf, "admin", "no-such-pool", "", 5)));
        assertTrue(pool.getMessage().startsWith("config key 'rados.pool'"), pool.getMessage());

        IOException conf = assertThrows(IOException.class, () -> new RadosBackend(
                new RadosBackendConfig(tmp.resolve("missing.conf"), "admin", "stowage", "", 5)));
        assertTrue(conf.getMessage().startsWith("config key 'rados.conf'"), conf.getMessage());

        // a keyring with another secret for client.admin: the monitor refuses it
        Path badKeyring = tmp.resolve("bad.keyring");
        Files.writeString(badKeyring, "[client.admin]\n\tkey = AQBbbbbbAAAAABAAmmmmmmmmmmmmmmmmmmmmmw==\n");
        Path badConf = tmp.resolve("bad-key.conf");
        Files.writeString(badConf, Files.readString(ceph.conf).replaceFirst("keyring = .*", "keyring = " + badKeyring));
        IOException key = assertThrows(IOException.class, () -> new RadosBackend(
                new RadosBackendConfig(badConf, "admin", "stowage", "", 5)));
        assertTrue(key.getMessage().startsWith("config key 'rados."), key.getMessage());

        // no monitor listens on this port: the connect gives up after the timeout
        Path deadConf = tmp.resolve("dead-mon.conf");
        Files.writeString(deadConf, Files.readString(ceph.conf).replaceFirst("mon host = .*",
                "mon host = [v2:127.0.0.1:46790,v1:127.0.0.1:46791]"));
        long t0 = System.nanoTime();
        IOException dead = assertThrows(IOException.class, () -> new RadosBackend(
                new RadosBackendConfig(deadConf, "admin", "stowage", "", 2)));
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(dead.getMessage().startsWith("config key 'rados.conf'"), dead.getMessage());
        assertTrue(seconds < 30, "gave up after " + seconds + " s");
    }
}
