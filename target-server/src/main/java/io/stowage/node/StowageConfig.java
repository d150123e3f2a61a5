package io.stowage.node;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;

/**
 * Every configuration key Stowage reads, typed and validated in one place (after mina-sshd's
 * {@code CoreModuleProperties}), from a Java-properties style file read with Apache Commons Configuration.
 * An unknown key, or a value of the wrong shape, is a {@link ConfigException} naming the key.
 *
 * <pre>
 * portal = 127.0.0.1:3260                  # address:port the iSCSI portal listens on
 * metrics = off                            # address:port for Prometheus metrics at /metrics, or off
 * data-dir = ./var                         # volumes live under data-dir/volumes
 * iscsi.max-recv-data-segment-length = 262144
 * iscsi.max-burst-length = 16776192
 * iscsi.first-burst-length = 262144
 * iscsi.immediate-data = yes
 * iscsi.initial-r2t = no
 * iscsi.digests = None,CRC32C              # accepted HeaderDigest/DataDigest values, preferred first
 * iscsi.nop-in-interval = 15               # seconds of silence before a NOP-In ping; no answer in as long again closes
 * iscsi.login-timeout = 30                 # seconds a login may take in all, however its bytes trickle in
 * iscsi.max-connections = 1024             # TCP connections at once; more are closed at accept
 * iscsi.max-connections-per-address = 64   # ... from one source address
 * iscsi.max-sessions-per-target = 256      # normal sessions per target; more logins are refused (0302h)
 * iscsi.auth-failures-per-minute = 10      # failed authentications per source address; then its logins are refused
 * iscsi.data-out-timeout = 20              # seconds a write may wait for its Data-Out (R2T unanswered)
 * iscsi.data-out-budget = 256M             # Data-Out buffers of the whole node; a write beyond gets TASK SET FULL
 * engine.sco-size = 4M                     # SCO size (1M..64M)
 * engine.scos-per-tlog = 8                 # a TLog is closed and uploaded after this many SCOs
 * engine.tlog-max-age = 5                  # ... or after this many seconds with data in it
 * engine.dirty-limit = 256M                # data not yet uploaded above this slows writes down
 * engine.cache-limit = 2G                  # uploaded SCOs are evicted (LRU) above this
 * engine.read-cache-limit = 512M           # read cache of evicted clusters (default 512M for rados, 0 = off)
 * engine.upload-parallelism = 4            # SCOs put to the backend at once
 * engine.scrub-interval = 60               # seconds between scrub passes (garbage collection); 0 = off
 * backend = directory                      # directory: objects in data-dir/objects; rados: a Ceph pool
 * rados.conf = /etc/ceph/ceph.conf         # (backend = rados) the cluster's ceph.conf
 * rados.client-id = admin                  # cephx user without 'client.'; its keyring as ceph.conf says
 * rados.pool = stowage
 * rados.object-prefix =                    # prepended to VOLUME/OBJECT names (several installations, one pool)
 * rados.timeout-seconds = 10               # connect and per-operation timeout; uploads retry after it
 * target.NAME.iqn = iqn.2026-11.io.stowage:NAME
 * target.NAME.lun.N = VOLUME               # LUN N of target NAME is volume VOLUME
 * target.NAME.chap.user = USER             # with .secret (12..255 characters): logins must prove it (CHAP)
 * target.NAME.chap.mutual-user = USER      # with .mutual-secret: the target proves itself too (mutual CHAP)
 * target.NAME.allowed-initiators = IQN,... # only these initiators see and may log in to NAME (default: all)
 * discovery.chap.user = USER               # with .secret: discovery sessions must prove it (CHAP); .mutual-* too
 * volume.VOLUME.size = 8G                  # created thin at first start; suffixes K, M, G, T (binary)
 * volume.VOLUME.write-through = no         # yes: every write is flushed before it is acknowledged (WCE = 0)
 * </pre>
 *
 * With no target configured, the embedded default applies: target {@code iqn.2026-11.io.stowage:demo} with LUN 0
 * = volume {@code demo} of 8 GiB.
 */
public final class StowageConfig {
    public static final String DEFAULT_IQN_PREFIX = "iqn.2026-11.io.stowage:";
    private static final Pattern TARGET_KEY = Pattern.compile("target\\.([A-Za-z0-9._-]+)\\.(iqn|lun\\.(\\d+))");
    private static final Pattern VOLUME_KEY = Pattern.compile("volume\\.([A-Za-z0-9._-]+)\\.(size|write-through)");
    private static final Pattern IQN = Pattern.compile("(iqn\\.\\d{4}-\\d{2}\\.[^\\s]+|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})");

    /** A target as configured: its IQN and LUN → volume name. */
    public record TargetConfig(String iqn, TreeMap<Integer, String> luns) {
    }

    private InetSocketAddress portal = new InetSocketAddress("127.0.0.1", 3260);
    private InetSocketAddress metrics;
    private Path dataDir = Path.of("var");
    private int maxRecvDataSegmentLength = 262144;
    private int maxBurstLength = 16776192;
    private int firstBurstLength = 262144;
    private boolean immediateData = true;
    private boolean initialR2T = false;
    private String digests = "None,CRC32C";
    private int nopInInterval = 15;
    private long loginTimeoutMillis = io.stowage.iscsi.session.ResourceLimits.DEFAULT.loginTimeoutMillis();
    private int maxConnections = io.stowage.iscsi.session.ResourceLimits.DEFAULT.maxConnections();
    private int maxConnectionsPerAddress = io.stowage.iscsi.session.ResourceLimits.DEFAULT.maxConnectionsPerAddress();
    private int maxSessionsPerTarget = io.stowage.iscsi.session.ResourceLimits.DEFAULT.maxSessionsPerTarget();
    private int authFailuresPerMinute = io.stowage.iscsi.session.ResourceLimits.DEFAULT.authFailuresPerMinute();
    private long dataOutTimeoutMillis = io.stowage.iscsi.session.ResourceLimits.DEFAULT.dataOutTimeoutMillis();
    private long dataOutBudget = io.stowage.iscsi.session.ResourceLimits.DEFAULT.dataOutBudgetBytes();
    private int scoClusters = io.stowage.volume.engine.VolumeConfig.DEFAULT.scoClusters();
    private int scosPerTlog = io.stowage.volume.engine.VolumeConfig.DEFAULT.scosPerTlog();
    private long tlogMaxAgeMillis = io.stowage.volume.engine.VolumeConfig.DEFAULT.tlogMaxAgeMillis();
    private long dirtyLimit = io.stowage.volume.engine.VolumeConfig.DEFAULT.dirtyLimitBytes();
    private long cacheLimit = io.stowage.volume.engine.VolumeConfig.DEFAULT.cacheLimitBytes();
    private int uploadParallelism = io.stowage.volume.engine.VolumeConfig.DEFAULT.uploadParallelism();
    private long scrubIntervalMillis = io.stowage.volume.engine.VolumeConfig.DEFAULT.scrubIntervalMillis();
    private static final long DEFAULT_RADOS_READ_CACHE = 512L << 20;
    private String backend = "directory";
    /** engine.read-cache-limit; -1 = not set: 512M with backend = rados, 0 with the directory backend. */
    private long readCacheLimit = -1;
    private final Map<String, String> radosKeys = new LinkedHashMap<>();
    private io.stowage.rados.RadosBackendConfig rados;
    private final Map<String, TargetConfig> targets = new LinkedHashMap<>();
    private final Map<String, Long> volumeSizes = new LinkedHashMap<>();
    private static final Pattern CHAP_KEY = Pattern.compile(
            "target\\.([A-Za-z0-9._-]+)\\.chap\\.(user|secret|mutual-user|mutual-secret)");
    private final Map<String, Map<String, String>> chapKeys = new LinkedHashMap<>();
    private static final Pattern DISCOVERY_CHAP_KEY = Pattern.compile("discovery\\.chap\\.(user|secret|mutual-user|mutual-secret)");
    private final Map<String, String> discoveryChapKeys = new LinkedHashMap<>();
    private io.stowage.iscsi.login.ChapCredentials discoveryChap;
    private static final Pattern ACL_KEY = Pattern.compile("target\\.([A-Za-z0-9._-]+)\\.allowed-initiators");
    private final Map<String, java.util.Set<String>> allowedInitiators = new LinkedHashMap<>();
    private final Map<String, io.stowage.iscsi.login.ChapCredentials> chap = new LinkedHashMap<>();
    private final java.util.Set<String> writeThrough = new java.util.HashSet<>();

    public static StowageConfig defaults() {
        StowageConfig c = new StowageConfig();
        c.applyDefaultTarget();
        return c;
    }

    public static StowageConfig load(Path file) throws ConfigException {
        PropertiesConfiguration p = new PropertiesConfiguration();
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(file)) {
            p.read(r);
        } catch (ConfigurationException | java.io.IOException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + rootMessage(e));
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<String> it = p.getKeys(); it.hasNext(); ) {
            String key = it.next();
            values.put(key, String.join(",", p.getList(String.class, key)));
        }
        refuseReadableSecrets(file, values);
        return from(values);
    }

    /**
     * CHAP secrets are passwords: a config file holding one must not be readable by every user of the machine
     * (the package ships it root:stowage 0640). Refused with the fix, rather than served.
     */
    private static void refuseReadableSecrets(Path file, Map<String, String> values) throws ConfigException {
        String secretKey = values.keySet().stream().filter(k -> k.endsWith(".secret") || k.endsWith(".mutual-secret"))
                .findFirst().orElse(null);
        if (secretKey == null) return;
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms;
        try {
            perms = java.nio.file.Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | java.io.IOException e) {
            return; // not a POSIX file system: nothing to check
        }
        if (perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
            throw new ConfigException(secretKey, file + " holds CHAP secrets and is readable by every user; "
                    + "chmod o-r " + file);
        }
    }

    public static StowageConfig from(Map<String, String> values) throws ConfigException {
        StowageConfig c = new StowageConfig();
        for (Map.Entry<String, String> e : values.entrySet()) {
            c.set(e.getKey(), e.getValue().strip());
        }
        c.applyDefaultTarget();
        c.validate();
        return c;
    }

    private void set(String key, String v) throws ConfigException {
        switch (key) {
            case "portal" -> portal = parsePortal(key, v);
            case "metrics" -> metrics = v.equals("off") ? null : parsePortal(key, v);
            case "data-dir" -> dataDir = Path.of(nonEmpty(key, v));
            case "iscsi.max-recv-data-segment-length" -> maxRecvDataSegmentLength = intIn(key, v, 512, 16777215);
            case "iscsi.max-burst-length" -> maxBurstLength = intIn(key, v, 512, 16777215);
            case "iscsi.first-burst-length" -> firstBurstLength = intIn(key, v, 512, 16777215);
            case "iscsi.immediate-data" -> immediateData = bool(key, v);
            case "iscsi.initial-r2t" -> initialR2T = bool(key, v);
            case "iscsi.digests" -> digests = digestList(key, v);
            case "iscsi.nop-in-interval" -> nopInInterval = intIn(key, v, 1, 3600);
            case "iscsi.login-timeout" -> loginTimeoutMillis = 1000L * intIn(key, v, 1, 3600);
            case "iscsi.max-connections" -> maxConnections = intIn(key, v, 1, 65535);
            case "iscsi.max-connections-per-address" -> maxConnectionsPerAddress = intIn(key, v, 1, 65535);
            case "iscsi.max-sessions-per-target" -> maxSessionsPerTarget = intIn(key, v, 1, 65535);
            case "iscsi.auth-failures-per-minute" -> authFailuresPerMinute = intIn(key, v, 1, 100000);
            case "iscsi.data-out-timeout" -> dataOutTimeoutMillis = 1000L * intIn(key, v, 1, 3600);
            case "iscsi.data-out-budget" -> {
                dataOutBudget = size(key, v);
                if (dataOutBudget < (4 << 20)) {
                    throw new ConfigException(key, "must be at least 4M (one largest write), got '" + v + "'");
                }
            }
            case "engine.sco-size" -> {
                long b = size(key, v);
                if (b < (1 << 20) || b > (64 << 20)) {
                    throw new ConfigException(key, "must be between 1M and 64M, got '" + v + "'");
                }
                scoClusters = (int) (b / 4096);
            }
            case "engine.scos-per-tlog" -> scosPerTlog = intIn(key, v, 1, 1024);
            case "engine.tlog-max-age" -> tlogMaxAgeMillis = 1000L * intIn(key, v, 1, 3600);
            case "engine.dirty-limit" -> dirtyLimit = size(key, v);
            case "engine.cache-limit" -> cacheLimit = size(key, v);
            case "engine.read-cache-limit" -> readCacheLimit = v.strip().equals("0") ? 0 : size(key, v); // 0 = off
            case "engine.upload-parallelism" -> uploadParallelism = intIn(key, v, 1, 64);
            case "engine.scrub-interval" -> scrubIntervalMillis = 1000L * intIn(key, v, 0, 86400);
            case "backend" -> {
                if (!v.equals("directory") && !v.equals("rados")) {
                    throw new ConfigException(key, "must be 'directory' or 'rados', got '" + v + "'");
                }
                backend = v;
            }
            case io.stowage.rados.RadosBackendConfig.KEY_CONF, io.stowage.rados.RadosBackendConfig.KEY_CLIENT,
                    io.stowage.rados.RadosBackendConfig.KEY_POOL, io.stowage.rados.RadosBackendConfig.KEY_PREFIX,
                    io.stowage.rados.RadosBackendConfig.KEY_TIMEOUT -> radosKeys.put(key, v);
            default -> {
                Matcher t = TARGET_KEY.matcher(key);
                Matcher vol = VOLUME_KEY.matcher(key);
                Matcher ch = CHAP_KEY.matcher(key);
                Matcher dch = DISCOVERY_CHAP_KEY.matcher(key);
                Matcher acl = ACL_KEY.matcher(key);
                if (dch.matches()) {
                    discoveryChapKeys.put(dch.group(1), nonEmpty(key, v));
                } else if (acl.matches()) {
                    java.util.Set<String> names = new java.util.LinkedHashSet<>();
                    for (String n : nonEmpty(key, v).split("[,\\s]+")) {
                        if (!IQN.matcher(n).matches()) {
                            throw new ConfigException(key, "expected iSCSI names separated by commas, got '" + n + "'");
                        }
                        names.add(n);
                    }
                    allowedInitiators.put(acl.group(1), names);
                } else if (ch.matches()) {
                    chapKeys.computeIfAbsent(ch.group(1), n -> new LinkedHashMap<>()).put(ch.group(2), nonEmpty(key, v));
                } else if (t.matches()) {
                    TargetConfig tc = targets.computeIfAbsent(t.group(1), n -> new TargetConfig(null, new TreeMap<>()));
                    if (t.group(2).equals("iqn")) {
                        if (!IQN.matcher(v).matches()) {
                            throw new ConfigException(key, "expected an iSCSI name such as "
                                    + DEFAULT_IQN_PREFIX + "name, got '" + v + "'");
                        }
                        targets.put(t.group(1), new TargetConfig(v, tc.luns()));
                    } else {
                        int lun = intIn(key, t.group(3), 0, 16383);
                        tc.luns().put(lun, nonEmpty(key, v));
                    }
                } else if (vol.matches()) {
                    if (vol.group(2).equals("size")) {
                        volumeSizes.put(vol.group(1), size(key, v));
                    } else if (bool(key, v)) {
                        writeThrough.add(vol.group(1));
                    }
                } else {
                    throw new ConfigException(key, "unknown key");
                }
            }
        }
    }

    private void applyDefaultTarget() {
        if (targets.isEmpty()) {
            TreeMap<Integer, String> luns = new TreeMap<>();
            luns.put(0, "demo");
            targets.put("demo", new TargetConfig(DEFAULT_IQN_PREFIX + "demo", luns));
            volumeSizes.putIfAbsent("demo", 8L << 30);
        }
    }

    /** CHAP credentials from the keys under {@code p} (user, secret, mutual-user, mutual-secret), validated. */
    private static io.stowage.iscsi.login.ChapCredentials chapCredentials(String p, Map<String, String> k)
            throws ConfigException {
        if (k.get("user") == null || k.get("secret") == null) {
            throw new ConfigException(p + (k.get("user") == null ? "user" : "secret"), "CHAP needs both user and secret");
        }
        if ((k.get("mutual-user") == null) != (k.get("mutual-secret") == null)) {
            throw new ConfigException(p + (k.get("mutual-user") == null ? "mutual-user" : "mutual-secret"),
                    "mutual CHAP needs both mutual-user and mutual-secret");
        }
        for (String s : new String[] {"secret", "mutual-secret"}) {
            String v = k.get(s);
            if (v != null && (v.length() < 12 || v.length() > 255)) {
                throw new ConfigException(p + s, "must be 12 to 255 characters (got " + v.length() + ")");
            }
        }
        if (k.get("secret").equals(k.get("mutual-secret"))) {
            throw new ConfigException(p + "mutual-secret", "must differ from the initiator's secret");
        }
        java.nio.charset.Charset u = java.nio.charset.StandardCharsets.UTF_8;
        return new io.stowage.iscsi.login.ChapCredentials(k.get("user"), k.get("secret").getBytes(u),
                k.get("mutual-user"), k.get("mutual-secret") == null ? null : k.get("mutual-secret").getBytes(u));
    }

    private void validate() throws ConfigException {
        for (Map.Entry<String, Map<String, String>> e : chapKeys.entrySet()) {
            String p = "target." + e.getKey() + ".chap.";
            if (!targets.containsKey(e.getKey())) throw new ConfigException(p + "user", "no such target");
            chap.put(e.getKey(), chapCredentials(p, e.getValue()));
        }
        if (!discoveryChapKeys.isEmpty()) {
            discoveryChap = chapCredentials("discovery.chap.", discoveryChapKeys);
        }
        for (String t : allowedInitiators.keySet()) {
            if (!targets.containsKey(t)) throw new ConfigException("target." + t + ".allowed-initiators", "no such target");
        }
        if (backend.equals("rados")) {
            try {
                rados = io.stowage.rados.RadosBackendConfig.from(radosKeys);
            } catch (IllegalArgumentException e) {
                // RadosBackendConfig's messages already read "config key 'rados.x' ..."
                String m = e.getMessage();
                int q = m.indexOf('\'', 12);
                throw new ConfigException(m.substring(12, q), m.substring(q + 2));
            }
        } else if (!radosKeys.isEmpty()) {
            throw new ConfigException(radosKeys.keySet().iterator().next(), "needs backend = rados");
        }
        if (firstBurstLength > maxBurstLength) {
            throw new ConfigException("iscsi.first-burst-length", "must not exceed iscsi.max-burst-length ("
                    + maxBurstLength + ")");
        }
        List<String> iqns = new ArrayList<>();
        for (Map.Entry<String, TargetConfig> e : List.copyOf(targets.entrySet())) {
            String name = e.getKey();
            TargetConfig t = e.getValue();
            String iqn = t.iqn() != null ? t.iqn() : DEFAULT_IQN_PREFIX + name;
            if (iqns.contains(iqn)) {
                throw new ConfigException("target." + name + ".iqn", "IQN " + iqn + " used twice");
            }
            iqns.add(iqn);
            if (t.luns().isEmpty()) {
                throw new ConfigException("target." + name + ".lun.0", "target " + name + " has no LUN");
            }
            targets.put(name, new TargetConfig(iqn, t.luns()));
            // a volume is one logical unit (one NAA, one set of reservations): it may be exported by several targets
            // (the daemon shares the unit), but two LUNs of one target would be the same unit twice
            Map<String, Integer> lunOf = new java.util.HashMap<>();
            for (Map.Entry<Integer, String> lun : t.luns().entrySet()) {
                Integer earlier = lunOf.putIfAbsent(lun.getValue(), lun.getKey());
                if (earlier != null) {
                    throw new ConfigException("target." + name + ".lun." + lun.getKey(), "volume " + lun.getValue()
                            + " is already LUN " + earlier + " of target " + name + "; a volume can be one LUN of a"
                            + " target only");
                }
                if (!volumeSizes.containsKey(lun.getValue())) {
                    throw new ConfigException("volume." + lun.getValue() + ".size", "volume " + lun.getValue()
                            + " (LUN " + lun.getKey() + " of target " + name + ") needs a size");
                }
            }
        }
    }

    /** Overrides from the command line (--port, --portal, --data-dir). */
    public void overridePort(int port) {
        portal = new InetSocketAddress(portal.getHostString(), port);
    }

    public void overridePortal(String hostPort) throws ConfigException {
        portal = parsePortal("--portal", hostPort);
    }

    public void overrideDataDir(Path dir) {
        dataDir = dir;
    }

    static InetSocketAddress parsePortal(String key, String v) throws ConfigException {
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw new ConfigException(key, "expected address:port, got '" + v + "'");
        }
        String host = v.substring(0, colon).replace("[", "").replace("]", "");
        int port = intIn(key, v.substring(colon + 1), 1, 65535);
        return new InetSocketAddress(host, port);
    }

    static int intIn(String key, String v, int min, int max) throws ConfigException {
        try {
            long n = Long.parseLong(v.strip());
            if (n < min || n > max) {
                throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + v);
            }
            return (int) n;
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "expected a number, got '" + v + "'");
        }
    }

    static boolean bool(String key, String v) throws ConfigException {
        return switch (v.toLowerCase()) {
            case "yes", "true", "on" -> true;
            case "no", "false", "off" -> false;
            default -> throw new ConfigException(key, "expected yes or no, got '" + v + "'");
        };
    }

    static long size(String key, String v) throws ConfigException {
        Matcher m = Pattern.compile("(\\d+)\\s*([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE).matcher(v);
        if (!m.matches()) {
            throw new ConfigException(key, "expected a size such as 8G, got '" + v + "'");
        }
        int shift = switch (m.group(2).toUpperCase()) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "size too large: '" + v + "'");
        }
        if (n <= 0 || n > (1L << 50 >> shift)) {
            throw new ConfigException(key, "size out of range: '" + v + "'");
        }
        long bytes = n << shift;
        if (bytes % 4096 != 0) {
            throw new ConfigException(key, "size must be a multiple of 4 KiB, got '" + v + "'");
        }
        return bytes;
    }

    private static String digestList(String key, String v) throws ConfigException {
        for (String d : v.split(",")) {
            if (!d.strip().equals("None") && !d.strip().equals("CRC32C")) {
                throw new ConfigException(key, "expected a list of None and CRC32C, got '" + v + "'");
            }
        }
        return v.replace(" ", "");
    }

    private static String nonEmpty(String key, String v) throws ConfigException {
        if (v.isBlank()) {
            throw new ConfigException(key, "must not be empty");
        }
        return v;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /**
     * The volume engine's tunables from the {@code engine.*} keys. The LMDB map is sized per volume from its size
     * (and grows when full), so it has no key: a fixed size would make big volumes unopenable.
     */
    public io.stowage.volume.engine.VolumeConfig volumeConfig() {
        return new io.stowage.volume.engine.VolumeConfig(scoClusters, scosPerTlog, tlogMaxAgeMillis, dirtyLimit,
                cacheLimit, io.stowage.volume.engine.VolumeConfig.METADATA_MAP_FROM_VOLUME_SIZE, uploadParallelism,
                scrubIntervalMillis, readCacheLimit >= 0 ? readCacheLimit
                        // the directory backend's objects are local files already: a copy of them would gain nothing
                        : backend.equals("rados") ? DEFAULT_RADOS_READ_CACHE : 0);
    }

    /** The RADOS backend's settings, or null when the objects live in the local directory (backend = directory). */
    public io.stowage.rados.RadosBackendConfig rados() {
        return rados;
    }

    public InetSocketAddress portal() {
        return portal;
    }

    /** CHAP secrets of target {@code name} (its config name), or null: logins need no authentication. */
    /** CHAP secrets a discovery session must prove, or null (discovery open to all). */
    public io.stowage.iscsi.login.ChapCredentials discoveryChap() {
        return discoveryChap;
    }

    /** Initiators allowed to see and log in to target {@code name}; empty = every initiator. */
    public java.util.Set<String> allowedInitiators(String name) {
        return allowedInitiators.getOrDefault(name, java.util.Set.of());
    }

    public io.stowage.iscsi.login.ChapCredentials chap(String name) {
        return chap.get(name);
    }

    /** Where /metrics is served, or null (metrics = off, the default). */
    public InetSocketAddress metrics() {
        return metrics;
    }

    public Path dataDir() {
        return dataDir;
    }

    public int maxRecvDataSegmentLength() {
        return maxRecvDataSegmentLength;
    }

    public int maxBurstLength() {
        return maxBurstLength;
    }

    public int firstBurstLength() {
        return firstBurstLength;
    }

    public boolean immediateData() {
        return immediateData;
    }

    public boolean initialR2T() {
        return initialR2T;
    }

    public String digests() {
        return digests;
    }

    public int nopInInterval() {
        return nopInInterval;
    }

    /** The iscsi.* bounds on connections, logins and Data-Out. */
    public io.stowage.iscsi.session.ResourceLimits limits() {
        return new io.stowage.iscsi.session.ResourceLimits(loginTimeoutMillis, maxConnections,
                maxConnectionsPerAddress, maxSessionsPerTarget, authFailuresPerMinute, dataOutTimeoutMillis,
                dataOutBudget);
    }

    public Map<String, TargetConfig> targets() {
        return targets;
    }

    /** Volumes configured {@code volume.NAME.write-through = yes}: every write durable when acknowledged. */
    public boolean writeThrough(String volume) {
        return writeThrough.contains(volume);
    }

    public Map<String, Long> volumeSizes() {
        return volumeSizes;
    }
}
