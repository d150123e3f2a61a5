package io.stowage.rados;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RadosBackendConfigTest {
    @Test
    void defaultsFollowCephConventions() {
        RadosBackendConfig c = RadosBackendConfig.from(Map.of());
        assertEquals("/etc/ceph/ceph.conf", c.cephConf().toString());
        assertEquals("admin", c.clientId());
        assertEquals("stowage", c.pool());
        assertEquals("demo/header", c.objectName("demo", "header"));
    }

    @Test
    void aBadPoolNameIsAnErrorNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RadosBackendConfig.from(Map.of("rados.pool", "my pool")));
        assertTrue(e.getMessage().startsWith("config key 'rados.pool'"), e.getMessage());
    }

    @Test
    void prefixIsPrependedToObjectNames() {
        RadosBackendConfig c = RadosBackendConfig.from(Map.of("rados.object-prefix", "site1."));
        assertEquals("site1.vol/sco.1.2.0", c.objectName("vol", "sco.1.2.0"));
        assertThrows(IllegalArgumentException.class,
                () -> RadosBackendConfig.from(Map.of("rados.object-prefix", "a/b")));
    }
}
