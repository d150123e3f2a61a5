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

                String aAddress = ((RadosObjectStore) b).xattr(RadosObjectStore.HEADER, RadosObjectStore.OWNER_XATTR);
                a.putState(1, "reservations", new byte[] {1});
                b.fencePreviousOwner(); // blocklists a's client
                b.commitHeader(1, new ObjectStore.VolumeHeaderBytes(2, new byte[] {2}));
                java.time.Instant until = blocklistedUntil(aAddress);
                assertTrue(until.isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(7))),
                        "the former owner stays blocklisted far longer than Ceph's default hour: until " + until);
                assertThrows(ObjectStore.FencedException.class, () -> a.putState(1, "reservations", new byte[] {9}),
                        "the fenced owner's state writes are refused");
                b.putState(2, "reservations", new byte[] {2});

                assertThrows(ObjectStore.FencedException.class,
                        () -> a.putExclusive("tlog.00000001.000000000002", java.nio.ByteBuffer.wrap(new byte[] {2})),
                        "the fenced owner's object writes are refused");
                assertThrows(ObjectStore.FencedException.class,
                        () -> a.commitHeader(1, new ObjectStore.VolumeHeaderBytes(1, new byte[] {9})),
                        "the fenced owner's header commits are refused");
                assertEquals(2, b.readHeader().orElseThrow().epoch());
                assertArrayEquals(new byte[] {2}, b.readHeader().orElseThrow().body());
                assertFalse(b.exists("tlog.00000001.000000000002"));
                assertArrayEquals(new byte[] {2}, b.getState("reservations"));
                b.fencePreviousOwner(); // the owner is b itself now: a no-op
                b.commitHeader(2, new ObjectStore.VolumeHeaderBytes(3, new byte[] {3}));
            } finally {
                a.close();
                b.close();
            }
            catalogue.deleteVolume("vol");
        }
    }

    /** When the OSD map's blocklist entry for {@code address} expires (from the ceph CLI, as an operator sees it). */
    private static java.time.Instant blocklistedUntil(String address) throws Exception {
        Process p = new ProcessBuilder("ceph", "-c", ceph.conf.toString(), "osd", "blocklist", "ls")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "ceph osd blocklist ls hangs");
        for (String line : out.split("\n")) {
            // "<addr> <YYYY-MM-DDTHH:MM:SS.ffffff+0000>"
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals(address)) {
                return java.time.OffsetDateTime.parse(f[1],
                        java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxx")).toInstant();
            }
        }
        throw new AssertionError(address + " is not in the blocklist:\n" + out);
    }

    @Test
    void stateOfThePreviousReleaseIsReadAndReplacedUnderTheGuard() throws Exception {
        try (RadosBackend backend = new RadosBackend(ceph.config(CephCluster.uniquePrefix("it")))) {
            ObjectStore store = backend.volume("vol");
            store.commitHeader(-1, new ObjectStore.VolumeHeaderBytes(0, new byte[] {0}));
            assertNull(store.getState("reservations"));
            store.putExclusive("state.reservations", java.nio.ByteBuffer.wrap(new byte[] {7, 7})); // as it was kept
            assertArrayEquals(new byte[] {7, 7}, store.getState("reservations"));
            store.putState(0, "reservations", new byte[] {8});
            assertArrayEquals(new byte[] {8}, store.getState("reservations"));
            assertFalse(store.exists("state.reservations"), "the old object goes once the state is in the header");
            byte[] big = new byte[8192];
            new java.util.Random(1).nextBytes(big);
            store.putState(0, "reservations", big);
            assertArrayEquals(big, store.getState("reservations"), "state larger than one xattr read buffer");
            store.putState(0, "reservations", null);
            assertNull(store.getState("reservations"));
            backend.deleteVolume("vol");
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
