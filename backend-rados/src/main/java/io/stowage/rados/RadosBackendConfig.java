package io.stowage.rados;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code rados.*} section of the Stowage config: which cluster, which credentials, which pool, and the name
 * prefix under which each volume's objects live. Validated eagerly so that a typo is a one-line error naming the
 * key at start-up rather than a hang inside librados.
 */
public record RadosBackendConfig(Path cephConf, String clientId, String pool, String objectPrefix,
                                 int timeoutSeconds) {
    public static final String KEY_CONF = "rados.conf";
    public static final String KEY_CLIENT = "rados.client-id";
    public static final String KEY_POOL = "rados.pool";
    public static final String KEY_PREFIX = "rados.object-prefix";
    public static final String KEY_TIMEOUT = "rados.timeout-seconds";

    /** Pool names as Ceph accepts them for our purposes: no whitespace, no slash, not empty. */
    private static final Pattern POOL = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final Pattern CLIENT = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public RadosBackendConfig {
        require(cephConf != null, KEY_CONF, "must name a ceph.conf file");
        require(clientId != null && CLIENT.matcher(clientId).matches(), KEY_CLIENT,
                "must be a client id such as 'admin' (got '" + clientId + "')");
        require(pool != null && POOL.matcher(pool).matches(), KEY_POOL,
                "must be a pool name of letters, digits, '_', '.', '-' (got '" + pool + "')");
        require(objectPrefix != null && !objectPrefix.contains("/"), KEY_PREFIX, "must not contain '/'");
        require(timeoutSeconds >= 1 && timeoutSeconds <= 3600, KEY_TIMEOUT,
                "must be 1..3600 seconds (got " + timeoutSeconds + ")");
    }

    /** Builds the config from flat key/value pairs, with Ceph's usual defaults for what is missing. */
    public static RadosBackendConfig from(Map<String, String> keys) {
        return new RadosBackendConfig(
                Path.of(keys.getOrDefault(KEY_CONF, "/etc/ceph/ceph.conf")),
                keys.getOrDefault(KEY_CLIENT, "admin"),
                keys.getOrDefault(KEY_POOL, "stowage"),
                keys.getOrDefault(KEY_PREFIX, ""),
                seconds(keys.getOrDefault(KEY_TIMEOUT, "10")));
    }

    /** The RADOS object name of {@code object} in {@code volume}'s space. */
    public String objectName(String volume, String object) {
        return objectPrefix + volume + "/" + object;
    }

    private static int seconds(String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("config key '" + KEY_TIMEOUT + "' must be a number of seconds (got '"
                    + v + "')");
        }
    }

    private static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw new IllegalArgumentException("config key '" + key + "' " + message);
        }
    }
}
