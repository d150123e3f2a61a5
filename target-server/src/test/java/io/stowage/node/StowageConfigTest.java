package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StowageConfigTest {
    @TempDir Path dir;

    @Test
    void embeddedDefault() {
        StowageConfig c = StowageConfig.defaults();
        assertEquals(3260, c.portal().getPort());
        assertEquals("127.0.0.1", c.portal().getHostString());
        assertEquals("iqn.2026-11.io.stowage:demo", c.targets().get("demo").iqn());
        assertEquals("demo", c.targets().get("demo").luns().get(0));
        assertEquals(8L << 30, c.volumeSizes().get("demo"));
    }

    @Test
    void fileWithSeveralTargetsAndLuns() throws Exception {
        Path f = dir.resolve("stowage.conf");
        Files.writeString(f, """
                portal = 0.0.0.0:3270
                data-dir = /srv/stowage
                target.a.iqn = iqn.2026-11.io.stowage:a
                target.a.lun.0 = va
                target.a.lun.1 = vb
                target.b.lun.0 = vb
                volume.va.size = 1G
                volume.vb.size = 512M
                volume.vb.write-through = yes
                iscsi.digests = CRC32C,None
                """);
        StowageConfig c = StowageConfig.load(f);
        assertEquals(3270, c.portal().getPort());
        assertEquals(2, c.targets().get("a").luns().size());
        assertEquals("iqn.2026-11.io.stowage:b", c.targets().get("b").iqn(), "IQN derived from the name");
        assertEquals(512L << 20, c.volumeSizes().get("vb"));
        assertEquals("CRC32C,None", c.digests());
        assertTrue(c.writeThrough("vb"));
        assertFalse(c.writeThrough("va"));
    }

    /** The read cache of evicted clusters: on by default where the objects are remote, off where they are local. */
    @Test
    void readCacheLimitDefaultsByBackendAndCanBeSet() throws Exception {
        assertEquals(0, StowageConfig.defaults().volumeConfig().readCacheBytes(), "directory backend: objects are local");
        Path f = dir.resolve("rados.conf");
        Files.writeString(f, "backend = rados\n");
        assertEquals(512L << 20, StowageConfig.load(f).volumeConfig().readCacheBytes());
        Files.writeString(f, "backend = rados\nengine.read-cache-limit = 2G\n");
        assertEquals(2L << 30, StowageConfig.load(f).volumeConfig().readCacheBytes());
        Files.writeString(f, "engine.read-cache-limit = 64M\n");
        assertEquals(64L << 20, StowageConfig.load(f).volumeConfig().readCacheBytes());
        Files.writeString(f, "backend = rados\nengine.read-cache-limit = 0\n");
        assertEquals(0, StowageConfig.load(f).volumeConfig().readCacheBytes());
    }

    @Test
    void badValuesAreOneLineErrorsNamingTheKey() {
        assertError(Map.of("portal", "nowhere"), "config key 'portal': expected address:port");
        assertError(Map.of("portal", "127.0.0.1:99999"), "config key 'portal': must be between 1 and 65535");
        assertError(Map.of("iscsi.max-burst-length", "lots"), "config key 'iscsi.max-burst-length': expected a number");
        assertError(Map.of("iscsi.immediate-data", "perhaps"), "config key 'iscsi.immediate-data'");
        assertError(Map.of("volume.demo.size", "8Q"), "config key 'volume.demo.size'");
        assertError(Map.of("portl", "x"), "config key 'portl': unknown key");
        assertError(Map.of("target.x.lun.0", "vx"), "config key 'volume.vx.size'");
        assertError(Map.of("target.x.iqn", "not-an-iqn", "target.x.lun.0", "demo"), "config key 'target.x.iqn'");
        assertError(Map.of("iscsi.first-burst-length", "1048576", "iscsi.max-burst-length", "262144"),
                "config key 'iscsi.first-burst-length'");
        assertError(Map.of("target.demo.chap.user", "alice", "target.demo.chap.secret", "short"),
                "config key 'target.demo.chap.secret': must be 12 to 255 characters");
        assertError(Map.of("target.demo.chap.user", "alice"), "config key 'target.demo.chap.secret'");
        assertError(Map.of("target.demo.chap.user", "alice", "target.demo.chap.secret", "initiator-secret",
                "target.demo.chap.mutual-user", "t"), "config key 'target.demo.chap.mutual-secret'");
        assertError(Map.of("target.demo.chap.user", "alice", "target.demo.chap.secret", "initiator-secret",
                "target.demo.chap.mutual-user", "t", "target.demo.chap.mutual-secret", "initiator-secret"),
                "config key 'target.demo.chap.mutual-secret': must differ");
        assertError(Map.of("target.nope.chap.user", "a", "target.nope.chap.secret", "initiator-secret"),
                "config key 'target.nope.chap.user': no such target");
        assertError(Map.of("backend", "s3"), "config key 'backend'");
        assertError(Map.of("rados.pool", "x"), "config key 'rados.pool': needs backend = rados");
        assertError(Map.of("backend", "rados", "rados.conf", "/etc/ceph/ceph.conf", "node.ownership", "lease",
                "engine.dtl", "off"), "config key 'engine.dtl': must not be off with node.ownership = lease");
        assertError(Map.of("backend", "rados", "rados.pool", "my pool"), "config key 'rados.pool'");
        assertError(Map.of("metrics", "nowhere"), "config key 'metrics'");
    }

    @Test
    void theDtlIsOnByDefaultOnRadosAndOffOnTheDirectoryStore() throws Exception {
        assertFalse(StowageConfig.from(Map.of()).volumeConfig().dtl(), "directory: local disk only");
        assertTrue(StowageConfig.from(Map.of("backend", "rados")).volumeConfig().dtl(), "rados: flushes in RADOS");
        assertFalse(StowageConfig.from(Map.of("backend", "rados", "engine.dtl", "off")).volumeConfig().dtl());
        assertTrue(StowageConfig.from(Map.of("engine.dtl", "backend")).volumeConfig().dtl(),
                "the directory store keeps a DTL too when asked (tests, a shared directory)");
        assertError(Map.of("engine.dtl", "peer"), "config key 'engine.dtl'");
    }

    private static void assertError(Map<String, String> values, String prefix) {
        ConfigException e = assertThrows(ConfigException.class, () -> StowageConfig.from(values));
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void commandLineOverridesAndErrors() throws Exception {
        StowageConfig c = Main.parseServe(new String[] {"serve", "--port", "3999", "--data-dir", "/tmp/x"});
        assertEquals(3999, c.portal().getPort());
        assertEquals(Path.of("/tmp/x"), c.dataDir());
        assertThrows(ConfigException.class, () -> Main.parseServe(new String[] {"serve", "--port", "0"}));
        assertThrows(ConfigException.class, () -> Main.parseServe(new String[] {"serve", "--bogus", "1"}));
        assertThrows(ConfigException.class, () -> Main.parseServe(new String[] {"serve", "--config",
                dir.resolve("missing.conf").toString()}));
    }

    /**
     * One volume as two LUNs of a target would be the same logical unit twice (one NAA, two sets of reservations
     * and unit attentions): refused, naming the second mapping's key. Several targets may export one volume.
     */
    @Test
    void aVolumeMappedAsTwoLunsOfATargetIsRefused() throws Exception {
        assertError(Map.of("target.demo.lun.0", "v", "target.demo.lun.1", "v", "volume.v.size", "16M"),
                "config key 'target.demo.lun.1': volume v is already LUN 0 of target demo");
        StowageConfig.from(Map.of("target.a.lun.0", "v", "target.b.lun.3", "v", "volume.v.size", "16M"));
    }

    @Test
    void discoveryChapAndInitiatorAcls() throws Exception {
        StowageConfig c = StowageConfig.from(Map.of("discovery.chap.user", "finder",
                "discovery.chap.secret", "discovery-secret", "target.demo.lun.0", "demo", "volume.demo.size", "64M",
                "target.demo.allowed-initiators", "iqn.2026-12.a:one, iqn.2026-12.b:two"));
        assertEquals("finder", c.discoveryChap().user());
        assertEquals(java.util.Set.of("iqn.2026-12.a:one", "iqn.2026-12.b:two"), c.allowedInitiators("demo"));
        assertTrue(StowageConfig.defaults().allowedInitiators("demo").isEmpty(), "no ACL: every initiator");
        assertNull(StowageConfig.defaults().discoveryChap());
        assertError(Map.of("discovery.chap.user", "finder"), "config key 'discovery.chap.secret'");
        assertError(Map.of("target.demo.lun.0", "demo", "target.demo.allowed-initiators", "not-an-iqn"),
                "config key 'target.demo.allowed-initiators'");
        assertError(Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M",
                "target.nope.allowed-initiators", "iqn.2026-12.a:one"),
                "config key 'target.nope.allowed-initiators'");
    }

    @Test
    void aFileWithSecretsReadableByEveryUserIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path f = dir.resolve("s.conf");
        java.nio.file.Files.writeString(f, "target.demo.lun.0 = demo\nvolume.demo.size = 64M\ntarget.demo.chap.user = alice\n"
                + "target.demo.chap.secret = initiator-secret\n");
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException e = assertThrows(ConfigException.class, () -> StowageConfig.load(f));
        assertTrue(e.getMessage().startsWith("config key 'target.demo.chap.secret': "), e.getMessage());
        assertFalse(e.getMessage().contains("initiator-secret"));
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        assertEquals("alice", StowageConfig.load(f).chap("demo").user());
    }
}
