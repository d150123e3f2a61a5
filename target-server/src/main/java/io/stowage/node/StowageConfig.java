package io.stowage.node;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;

/**
 * The node's configuration, from a Java-properties style file read with Apache Commons Configuration. Every key is
 * a typed {@link Property} of {@link StowageProperties} (defined there once, with its default, range and meaning;
 * {@code docs/configuration.md} and the packaged conffile are checked against that list). An unknown key, or a
 * value of the wrong shape, is a {@link ConfigException} naming the key; so are the checks across keys below.
 *
 * With no target configured, the embedded default applies: target {@code iqn.2026-11.io.stowage:demo} with LUN 0
 * = volume {@code demo} of 8 GiB.
 */
public final class StowageConfig {
    public static final String DEFAULT_IQN_PREFIX = StowageProperties.DEFAULT_IQN_PREFIX;

    /** A target as configured: its IQN and LUN → volume name. */
    public record TargetConfig(String iqn, TreeMap<Integer, String> luns) {
    }

    /** The values given for fixed keys; a key not here has its property's default. */
    private final Map<Property<?>, Object> values = new java.util.HashMap<>();
    private final Map<String, String> radosKeys = new LinkedHashMap<>();
    private io.stowage.rados.RadosBackendConfig rados;
    private final Map<String, TargetConfig> targets = new LinkedHashMap<>();
    private final Map<String, Long> volumeSizes = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> chapKeys = new LinkedHashMap<>();
    private final Map<String, String> discoveryChapKeys = new LinkedHashMap<>();
    private io.stowage.iscsi.login.ChapCredentials discoveryChap;
    private final Map<String, java.util.Set<String>> allowedInitiators = new LinkedHashMap<>();
    private final Map<String, io.stowage.iscsi.login.ChapCredentials> chap = new LinkedHashMap<>();
    private final java.util.Set<String> writeThrough = new java.util.HashSet<>();
    private final Map<String, Integer> snapshotEvery = new LinkedHashMap<>();
    private final Map<String, Integer> snapshotKeep = new LinkedHashMap<>();

    /** The value of a fixed key: as given, or its default. */
    public <T> T get(Property<T> p) {
        if (p.isPattern()) throw new IllegalArgumentException(p + " is a per-target or per-volume key");
        return values.containsKey(p) ? p.type().cast(values.get(p)) : p.defaultValue();
    }

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
        Property<?> p = StowageProperties.find(key).orElseThrow(() -> new ConfigException(key, "unknown key"));
        Object value = p.parse(key, v);
        if (p.name().startsWith("rados.")) {
            radosKeys.put(key, (String) value);
        } else if (p.name().startsWith("discovery.chap.")) {
            discoveryChapKeys.put(key.substring("discovery.chap.".length()), (String) value);
        } else if (!p.isPattern()) {
            values.put(p, value);
        } else {
            String name = p.match(key).group(1);
            if (p == StowageProperties.TARGET_IQN) {
                TargetConfig tc = targets.computeIfAbsent(name, n -> new TargetConfig(null, new TreeMap<>()));
                targets.put(name, new TargetConfig((String) value, tc.luns()));
            } else if (p == StowageProperties.TARGET_LUN) {
                int lun = intIn(key, p.match(key).group(2), 0, 16383);
                targets.computeIfAbsent(name, n -> new TargetConfig(null, new TreeMap<>())).luns().put(lun, (String) value);
            } else if (p == StowageProperties.TARGET_ALLOWED_INITIATORS) {
                allowedInitiators.put(name, StowageProperties.TARGET_ALLOWED_INITIATORS.type().cast(value));
            } else if (p == StowageProperties.VOLUME_SIZE) {
                volumeSizes.put(name, (Long) value);
            } else if (p == StowageProperties.VOLUME_WRITE_THROUGH) {
                if ((Boolean) value) writeThrough.add(name);
            } else if (p == StowageProperties.VOLUME_SNAPSHOT_EVERY) {
                snapshotEvery.put(name, (Integer) value);
            } else if (p == StowageProperties.VOLUME_SNAPSHOT_KEEP) {
                snapshotKeep.put(name, (Integer) value);
            } else if (p.name().startsWith("target.NAME.chap.")) {
                chapKeys.computeIfAbsent(name, n -> new LinkedHashMap<>())
                        .put(p.name().substring("target.NAME.chap.".length()), (String) value);
            } else {
                throw new IllegalStateException("StowageConfig does not apply " + p); // a registry key left unwired
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
        try {
            return io.stowage.iscsi.login.ChapCredentials.of(k.get("user"), k.get("secret"), k.get("mutual-user"),
                    k.get("mutual-secret"));
        } catch (io.stowage.iscsi.login.ChapCredentials.InvalidException e) {
            throw new ConfigException(p + e.field().key, e.getMessage());
        }
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
        if (get(StowageProperties.BACKEND).equals("rados")) {
            Map<String, String> keys = new LinkedHashMap<>();
            for (Property<String> p : List.of(StowageProperties.RADOS_CONF, StowageProperties.RADOS_CLIENT_ID,
                    StowageProperties.RADOS_POOL, StowageProperties.RADOS_OBJECT_PREFIX, StowageProperties.RADOS_TIMEOUT)) {
                keys.put(p.name(), radosKeys.getOrDefault(p.name(), p.defaultText()));
            }
            try {
                rados = io.stowage.rados.RadosBackendConfig.from(keys);
            } catch (IllegalArgumentException e) {
                // RadosBackendConfig's messages already read "config key 'rados.x' ..."
                String m = e.getMessage();
                int q = m.indexOf('\'', 12);
                throw new ConfigException(m.substring(12, q), m.substring(q + 2));
            }
        } else if (!radosKeys.isEmpty()) {
            throw new ConfigException(radosKeys.keySet().iterator().next(), "needs backend = rados");
        }
        if (get(StowageProperties.NODE_OWNERSHIP).equals("lease") && get(StowageProperties.BACKEND).equals("rados")
                && get(StowageProperties.DTL).equals("off")) {
            // a takeover replays the DTL; without it every write the former owner acknowledged since its last
            // committed TLog is lost
            throw new ConfigException(StowageProperties.DTL.name(), "must not be off with node.ownership = lease: "
                    + "another node taking a volume over could not see the writes its owner acknowledged");
        }
        if (get(StowageProperties.LEASE_RENEW_INTERVAL) * 3 > get(StowageProperties.LEASE_DURATION)) {
            throw new ConfigException(StowageProperties.LEASE_RENEW_INTERVAL.name(), "must be at most a third of "
                    + StowageProperties.LEASE_DURATION.name() + " (" + get(StowageProperties.LEASE_DURATION) + ")");
        }
        if (firstBurstLength() > maxBurstLength()) {
            throw new ConfigException(StowageProperties.FIRST_BURST_LENGTH.name(), "must not exceed "
                    + StowageProperties.MAX_BURST_LENGTH.name() + " (" + maxBurstLength() + ")");
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
        values.put(StowageProperties.PORTAL, new InetSocketAddress(portal().getHostString(), port));
    }

    public void overridePortal(String hostPort) throws ConfigException {
        values.put(StowageProperties.PORTAL, parsePortal("--portal", hostPort));
    }

    public void overrideDataDir(Path dir) {
        values.put(StowageProperties.DATA_DIR, dir);
    }

    /** {@code --admin ADDRESS:PORT} or {@code off}. */
    public void overrideAdmin(String hostPort) throws ConfigException {
        // a null value is "off", as admin.listen = off in the file
        values.put(StowageProperties.ADMIN_LISTEN, hostPort.equals("off") ? null : parseAddress("--admin", hostPort, 0));
    }

    static InetSocketAddress parsePortal(String key, String v) throws ConfigException {
        return parseAddress(key, v, 1);
    }

    /** address:port; port 0 (admin.listen only) takes any free port, which the daemon prints. */
    static InetSocketAddress parseAddress(String key, String v, int minPort) throws ConfigException {
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw new ConfigException(key, "expected address:port, got '" + v + "'");
        }
        String host = v.substring(0, colon).replace("[", "").replace("]", "");
        int port = intIn(key, v.substring(colon + 1), minPort, 65535);
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
        try {
            return io.stowage.node.admin.Sizes.bytes(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    /** {@code bytes} as the config file writes it: the largest binary unit that divides it (4096 → 4K). */
    static String sizeText(long bytes) {
        for (int shift = 40; shift >= 10; shift -= 10) {
            if (bytes % (1L << shift) == 0) return (bytes >> shift) + "TGMK".substring(4 - shift / 10, 5 - shift / 10);
        }
        return Long.toString(bytes);
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
        return new io.stowage.volume.engine.VolumeConfig((int) (get(StowageProperties.SCO_SIZE) / 4096),
                get(StowageProperties.SCOS_PER_TLOG), 1000L * get(StowageProperties.TLOG_MAX_AGE),
                get(StowageProperties.DIRTY_LIMIT), get(StowageProperties.CACHE_LIMIT),
                io.stowage.volume.engine.VolumeConfig.METADATA_MAP_FROM_VOLUME_SIZE,
                get(StowageProperties.UPLOAD_PARALLELISM), 1000L * get(StowageProperties.SCRUB_INTERVAL), dtl(),
                readCacheLimit());
    }

    private static final long DEFAULT_RADOS_READ_CACHE = 512L << 20;

    /** engine.read-cache-limit, else by backend: the directory backend's objects are local files already. */
    private long readCacheLimit() {
        Long set = get(StowageProperties.READ_CACHE_LIMIT);
        if (set != null) return set;
        return get(StowageProperties.BACKEND).equals("rados") ? DEFAULT_RADOS_READ_CACHE : 0;
    }

    /** engine.dtl: auto is the DTL in RADOS with backend = rados (several nodes can take over), off otherwise. */
    private boolean dtl() {
        String v = get(StowageProperties.DTL);
        return v.equals("backend") || v.equals("auto") && get(StowageProperties.BACKEND).equals("rados");
    }

    /** The RADOS backend's settings, or null when the objects live in the local directory (backend = directory). */
    public io.stowage.rados.RadosBackendConfig rados() {
        return rados;
    }

    public InetSocketAddress portal() {
        return get(StowageProperties.PORTAL);
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
        return get(StowageProperties.METRICS);
    }

    /** Where the admin API listens, or null (admin.listen = off, or --admin off). */
    public InetSocketAddress admin() {
        return get(StowageProperties.ADMIN_LISTEN);
    }

    /** node.name, else the host name (else "localhost"). */
    public String nodeName() {
        String n = get(StowageProperties.NODE_NAME);
        if (n != null) return n;
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** The admin API's token file: admin.token-file, else data-dir/admin.token. */
    public Path adminTokenFile() {
        Path f = get(StowageProperties.ADMIN_TOKEN_FILE);
        return f != null ? f : dataDir().resolve("admin.token");
    }

    public Path dataDir() {
        return get(StowageProperties.DATA_DIR);
    }

    public int maxRecvDataSegmentLength() {
        return get(StowageProperties.MAX_RECV_DATA_SEGMENT_LENGTH);
    }

    public int maxBurstLength() {
        return get(StowageProperties.MAX_BURST_LENGTH);
    }

    public int firstBurstLength() {
        return get(StowageProperties.FIRST_BURST_LENGTH);
    }

    public boolean immediateData() {
        return get(StowageProperties.IMMEDIATE_DATA);
    }

    public boolean initialR2T() {
        return get(StowageProperties.INITIAL_R2T);
    }

    public String digests() {
        return get(StowageProperties.DIGESTS);
    }

    /** This node's id: its target port group, relative target port and portal group tag in every target. */
    public int nodeId() {
        return get(StowageProperties.NODE_ID);
    }

    /** Seconds between two polls of the catalogue's version (0: no polling). */
    public int cataloguePollInterval() {
        return get(StowageProperties.CATALOGUE_POLL_INTERVAL);
    }

    /**
     * The lease settings when {@code node.ownership = lease}, else null (static ownership: a target belongs to the
     * node that made it).
     */
    public io.stowage.node.ownership.LeaseSettings leases() {
        if (!get(StowageProperties.NODE_OWNERSHIP).equals("lease")) return null;
        return new io.stowage.node.ownership.LeaseSettings(
                java.time.Duration.ofSeconds(get(StowageProperties.LEASE_DURATION)),
                java.time.Duration.ofSeconds(get(StowageProperties.LEASE_RENEW_INTERVAL)),
                java.time.Duration.ofSeconds(get(StowageProperties.LEASE_POLL_INTERVAL)));
    }

    public int nopInInterval() {
        return get(StowageProperties.NOP_IN_INTERVAL);
    }

    /** The iscsi.* bounds on connections, logins and Data-Out. */
    public io.stowage.iscsi.session.ResourceLimits limits() {
        return new io.stowage.iscsi.session.ResourceLimits(1000L * get(StowageProperties.LOGIN_TIMEOUT),
                get(StowageProperties.MAX_CONNECTIONS), get(StowageProperties.MAX_CONNECTIONS_PER_ADDRESS),
                get(StowageProperties.MAX_SESSIONS_PER_TARGET), get(StowageProperties.AUTH_FAILURES_PER_MINUTE),
                1000L * get(StowageProperties.DATA_OUT_TIMEOUT), get(StowageProperties.DATA_OUT_BUDGET));
    }

    public Map<String, TargetConfig> targets() {
        return targets;
    }

    /** Volumes configured {@code volume.NAME.write-through = yes}: every write durable when acknowledged. */
    public boolean writeThrough(String volume) {
        return writeThrough.contains(volume);
    }

    /** Scheduled snapshots by volume name ({@code volume.VOLUME.snapshot-every} > 0). */
    public Map<String, SnapshotSchedule.Policy> snapshotPolicies() {
        Map<String, SnapshotSchedule.Policy> out = new LinkedHashMap<>();
        int keepDefault = StowageProperties.VOLUME_SNAPSHOT_KEEP.defaultValue();
        snapshotEvery.forEach((volume, every) -> {
            if (every > 0) out.put(volume, new SnapshotSchedule.Policy(every, snapshotKeep.getOrDefault(volume, keepDefault)));
        });
        return out;
    }

    public Map<String, Long> volumeSizes() {
        return volumeSizes;
    }
}
