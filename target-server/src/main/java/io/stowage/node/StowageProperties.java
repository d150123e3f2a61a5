package io.stowage.node;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every key of the Stowage config file, each defined once (after mina-sshd's {@code CoreModuleProperties}):
 * {@link StowageConfig} parses through these, and {@code StowagePropertiesTest} checks that
 * {@code docs/configuration.md} and the packaged {@code stowage.conf} document exactly this list.
 * A new key is one line here, one row in the docs and one line in the conffile.
 */
public final class StowageProperties {
    private StowageProperties() {
    }

    private static final Pattern IQN =
            Pattern.compile("(iqn\\.\\d{4}-\\d{2}\\.[^\\s]+|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})");
    public static final String DEFAULT_IQN_PREFIX = "iqn.2026-11.io.stowage:";

    public static final Property<InetSocketAddress> PORTAL = new Property<>("portal", InetSocketAddress.class,
            "127.0.0.1:3260", null, "address:port the iSCSI portal listens on", StowageConfig::parsePortal);
    public static final Property<InetSocketAddress> METRICS = new Property<>("metrics", InetSocketAddress.class,
            "off", null, "address:port that serves Prometheus metrics at /metrics, or off",
            (k, v) -> v.equals("off") ? null : StowageConfig.parsePortal(k, v));
    public static final Property<Path> DATA_DIR = new Property<>("data-dir", Path.class, "./var", null,
            "where the objects (embedded backend) and the cache live", (k, v) -> Path.of(nonEmpty(k, v)));

    public static final Property<InetSocketAddress> ADMIN_LISTEN = new Property<>("admin.listen",
            InetSocketAddress.class, "127.0.0.1:7260", null,
            "address:port of the admin API the stowage CLI talks to (port 0: any free one), or off",
            (k, v) -> v.equals("off") ? null : StowageConfig.parseAddress(k, v, 0));
    public static final Property<Path> ADMIN_TOKEN_FILE = new Property<>("admin.token-file", Path.class, null, null,
            "the admin API's bearer token, made 0600 at first start if absent (default data-dir/admin.token)",
            (k, v) -> Path.of(nonEmpty(k, v)));

    public static final Property<String> NODE_NAME = new Property<>("node.name", String.class, null, null,
            "this node's name in the catalogue: it serves the targets made here (default: the host name)",
            StowageProperties::nonEmpty);
    public static final Property<Integer> NODE_ID = integer("node.id", "1", 1,
            io.stowage.scsi.TargetPortIdentity.MAX_NODE_ID,
            "this node among the nodes that export the same targets: its ALUA port group, relative port and TPGT");

    public static final Property<Integer> CATALOGUE_POLL_INTERVAL = integer("catalogue.poll-interval", "5", 0, 3600,
            "seconds between two reads of the catalogue's version: changes other nodes made are served here as if made"
                    + " locally (0: only at this node's own changes, reads, start and reload)");
    public static final Property<String> NODE_OWNERSHIP = new Property<>("node.ownership", String.class, "static",
            "static, lease", "static: a target is served by the node that made it (node.name); lease: every node "
            + "serving a shared backend exports every target, and each volume is served by the node holding its lease",
            (k, v) -> {
                if (!v.equals("static") && !v.equals("lease")) {
                    throw new ConfigException(k, "must be 'static' or 'lease', got '" + v + "'");
                }
                return v;
            });
    public static final Property<Integer> LEASE_DURATION = integer("lease.duration", "15", 3, 600,
            "seconds a volume's lease lasts after the renewal that was last sent (node.ownership = lease)");
    public static final Property<Integer> LEASE_RENEW_INTERVAL = integer("lease.renew-interval", "3", 1, 200,
            "seconds between renewals of a held lease; at most a third of lease.duration");
    public static final Property<Integer> LEASE_POLL_INTERVAL = integer("lease.poll-interval", "2", 1, 600,
            "seconds between a standby's attempts to take a volume whose owner stopped renewing");

    public static final Property<Integer> MAX_RECV_DATA_SEGMENT_LENGTH = integer("iscsi.max-recv-data-segment-length",
            "262144", 512, 16777215, "the largest data segment we accept (declared at login)");
    public static final Property<Integer> MAX_BURST_LENGTH = integer("iscsi.max-burst-length", "16776192", 512,
            16777215, "our MaxBurstLength offer");
    public static final Property<Integer> FIRST_BURST_LENGTH = integer("iscsi.first-burst-length", "262144", 512,
            16777215, "our FirstBurstLength offer; not above iscsi.max-burst-length");
    public static final Property<Boolean> IMMEDIATE_DATA = bool("iscsi.immediate-data", "yes", "ImmediateData offer");
    public static final Property<Boolean> INITIAL_R2T = bool("iscsi.initial-r2t", "no", "InitialR2T offer");
    public static final Property<String> DIGESTS = new Property<>("iscsi.digests", String.class, "None,CRC32C",
            "None, CRC32C", "HeaderDigest/DataDigest values accepted, preferred first", StowageProperties::digestList);
    public static final Property<Integer> NOP_IN_INTERVAL = integer("iscsi.nop-in-interval", "15", 1, 3600,
            "seconds of silence before a NOP-In ping; no answer in as long again closes");
    public static final Property<Integer> LOGIN_TIMEOUT = integer("iscsi.login-timeout", "30", 1, 3600,
            "seconds a login may take in all");
    public static final Property<Integer> MAX_CONNECTIONS = integer("iscsi.max-connections", "1024", 1, 65535,
            "TCP connections at once; more are closed at accept");
    public static final Property<Integer> MAX_CONNECTIONS_PER_ADDRESS = integer("iscsi.max-connections-per-address",
            "64", 1, 65535, "TCP connections at once from one source address");
    public static final Property<Integer> MAX_SESSIONS_PER_TARGET = integer("iscsi.max-sessions-per-target", "256",
            1, 65535, "normal sessions per target; more logins are refused (0302h)");
    public static final Property<Integer> DATA_OUT_TIMEOUT = integer("iscsi.data-out-timeout", "20", 1, 3600,
            "seconds a write may wait for its Data-Out");
    public static final Property<Long> DATA_OUT_BUDGET = size("iscsi.data-out-budget", "256M", 4L << 20, 1L << 50,
            "Data-Out buffers of the whole node; a write beyond gets TASK SET FULL");
    public static final Property<Integer> AUTH_FAILURES_PER_MINUTE = integer("iscsi.auth-failures-per-minute", "10",
            1, 100000, "failed authentications per source address and minute before its logins are refused");

    public static final Property<Long> SCO_SIZE = size("engine.sco-size", "4M", 1L << 20, 64L << 20, "SCO size");
    public static final Property<Integer> SCOS_PER_TLOG = integer("engine.scos-per-tlog", "8", 1, 1024,
            "a TLog is closed and uploaded after this many SCOs");
    public static final Property<Integer> TLOG_MAX_AGE = integer("engine.tlog-max-age", "5", 1, 3600,
            "... or after this many seconds with data in it");
    public static final Property<Long> DIRTY_LIMIT = size("engine.dirty-limit", "256M", 4096, 1L << 50,
            "data not yet uploaded above this makes writes wait");
    public static final Property<Long> CACHE_LIMIT = size("engine.cache-limit", "2G", 4096, 1L << 50,
            "uploaded SCOs are evicted (LRU) above this");
    /** No fixed default: 512M with backend = rados, 0 with the directory backend (see StowageConfig.volumeConfig). */
    public static final Property<Long> READ_CACHE_LIMIT = new Property<>("engine.read-cache-limit", Long.class, null,
            "0, 4K..", "per volume, the local read cache of evicted clusters; 0 = off", (k, v) -> {
                if (v.strip().equals("0")) return 0L;
                long b = StowageConfig.size(k, v);
                if (b < 4096) throw new ConfigException(k, "must be 0 or at least 4K, got '" + v + "'");
                return b;
            });
    public static final Property<Integer> UPLOAD_PARALLELISM = integer("engine.upload-parallelism", "16", 1, 64,
            "SCOs put to the backend at once, over all the TLogs being uploaded");
    public static final Property<Integer> SCRUB_INTERVAL = integer("engine.scrub-interval", "60", 0, 86400,
            "seconds between scrub passes; 0 = off");

    public static final Property<String> DTL = new Property<>("engine.dtl", String.class, "auto",
            "auto, backend, off", "where a flush is durable besides the local disk: backend = in the volume's DTL "
            + "objects (survives node loss); auto = backend with backend = rados, off otherwise", (k, v) -> {
                if (!v.equals("auto") && !v.equals("backend") && !v.equals("off")) {
                    throw new ConfigException(k, "must be 'auto', 'backend' or 'off', got '" + v + "'");
                }
                return v;
            });

    public static final Property<String> BACKEND = new Property<>("backend", String.class, "directory",
            "directory, rados", "where the objects live: data-dir/objects or a Ceph pool", (k, v) -> {
                if (!v.equals("directory") && !v.equals("rados")) {
                    throw new ConfigException(k, "must be 'directory' or 'rados', got '" + v + "'");
                }
                return v;
            });
    // validated together by RadosBackendConfig (which names the key), and only with backend = rados
    public static final Property<String> RADOS_CONF = text(io.stowage.rados.RadosBackendConfig.KEY_CONF,
            "/etc/ceph/ceph.conf", "the cluster's ceph.conf");
    public static final Property<String> RADOS_CLIENT_ID = text(io.stowage.rados.RadosBackendConfig.KEY_CLIENT,
            "admin", "the cephx user, without 'client.'");
    public static final Property<String> RADOS_POOL = text(io.stowage.rados.RadosBackendConfig.KEY_POOL, "stowage",
            "the pool (it must exist)");
    public static final Property<String> RADOS_OBJECT_PREFIX = text(io.stowage.rados.RadosBackendConfig.KEY_PREFIX,
            "", "prepended to VOLUME/OBJECT names");
    public static final Property<String> RADOS_TIMEOUT = text(io.stowage.rados.RadosBackendConfig.KEY_TIMEOUT, "10",
            "connect and per-operation timeout in seconds");

    public static final Property<String> TARGET_IQN = new Property<>("target.NAME.iqn", String.class, null,
            "iqn., eui. or naa. name", "the target's iSCSI name (default " + DEFAULT_IQN_PREFIX + "NAME)", (k, v) -> {
                if (!IQN.matcher(v).matches()) {
                    throw new ConfigException(k, "expected an iSCSI name such as " + DEFAULT_IQN_PREFIX
                            + "name, got '" + v + "'");
                }
                return v;
            });
    public static final Property<String> TARGET_LUN = name("target.NAME.lun.N", "LUN N of target NAME is this volume");
    public static final Property<String> TARGET_CHAP_USER = name("target.NAME.chap.user",
            "logins to the target must prove this user's secret (CHAP)");
    public static final Property<String> TARGET_CHAP_SECRET = name("target.NAME.chap.secret",
            "the CHAP secret, 12..255 characters");
    public static final Property<String> TARGET_CHAP_MUTUAL_USER = name("target.NAME.chap.mutual-user",
            "mutual CHAP: the target proves this name back");
    public static final Property<String> TARGET_CHAP_MUTUAL_SECRET = name("target.NAME.chap.mutual-secret",
            "mutual CHAP: ... and this secret (not the initiator's)");
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static final Property<Set<String>> TARGET_ALLOWED_INITIATORS = new Property<>(
            "target.NAME.allowed-initiators", (Class<Set<String>>) (Class) Set.class, null, "iSCSI names, comma-separated",
            "only these initiators see and may log in to the target (default: all)", (k, v) -> {
                Set<String> names = new LinkedHashSet<>();
                for (String n : nonEmpty(k, v).split("[,\\s]+")) {
                    if (!IQN.matcher(n).matches()) {
                        throw new ConfigException(k, "expected iSCSI names separated by commas, got '" + n + "'");
                    }
                    names.add(n);
                }
                return Set.copyOf(names);
            });
    public static final Property<String> DISCOVERY_CHAP_USER = name("discovery.chap.user",
            "discovery sessions must prove this user's secret (CHAP)");
    public static final Property<String> DISCOVERY_CHAP_SECRET = name("discovery.chap.secret",
            "the discovery CHAP secret, 12..255 characters");
    public static final Property<String> DISCOVERY_CHAP_MUTUAL_USER = name("discovery.chap.mutual-user",
            "mutual CHAP for discovery: the target proves this name back");
    public static final Property<String> DISCOVERY_CHAP_MUTUAL_SECRET = name("discovery.chap.mutual-secret",
            "mutual CHAP for discovery: ... and this secret");
    public static final Property<Long> VOLUME_SIZE = size("volume.VOLUME.size", null, 4096, 1L << 50,
            "size of the volume, created thin at first start");
    public static final Property<Boolean> VOLUME_WRITE_THROUGH = bool("volume.VOLUME.write-through", "no",
            "every write flushed before it is acknowledged (WCE = 0)");
    public static final Property<Integer> VOLUME_SNAPSHOT_EVERY = integer("volume.VOLUME.snapshot-every", "0", 0,
            525600, "minutes between scheduled snapshots (auto-<UTC time>) of the volume; 0: none");
    public static final Property<Integer> VOLUME_SNAPSHOT_KEEP = integer("volume.VOLUME.snapshot-keep", "24", 1,
            10000, "scheduled snapshots kept; older ones are deleted, except one a clone depends on");

    /** Every key, in the order the docs list them. */
    public static final List<Property<?>> ALL = List.of(PORTAL, METRICS, ADMIN_LISTEN, ADMIN_TOKEN_FILE, NODE_NAME,
            DATA_DIR, NODE_ID, CATALOGUE_POLL_INTERVAL, NODE_OWNERSHIP, LEASE_DURATION, LEASE_RENEW_INTERVAL,
            LEASE_POLL_INTERVAL,
            MAX_RECV_DATA_SEGMENT_LENGTH, MAX_BURST_LENGTH, FIRST_BURST_LENGTH, IMMEDIATE_DATA, INITIAL_R2T, DIGESTS,
            NOP_IN_INTERVAL, LOGIN_TIMEOUT, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, MAX_SESSIONS_PER_TARGET,
            DATA_OUT_TIMEOUT, DATA_OUT_BUDGET, AUTH_FAILURES_PER_MINUTE,
            SCO_SIZE, SCOS_PER_TLOG, TLOG_MAX_AGE, DIRTY_LIMIT, CACHE_LIMIT, READ_CACHE_LIMIT, UPLOAD_PARALLELISM,
            SCRUB_INTERVAL, DTL,
            BACKEND, RADOS_CONF, RADOS_CLIENT_ID, RADOS_POOL, RADOS_OBJECT_PREFIX, RADOS_TIMEOUT,
            TARGET_IQN, TARGET_LUN, TARGET_CHAP_USER, TARGET_CHAP_SECRET, TARGET_CHAP_MUTUAL_USER,
            TARGET_CHAP_MUTUAL_SECRET, TARGET_ALLOWED_INITIATORS,
            DISCOVERY_CHAP_USER, DISCOVERY_CHAP_SECRET, DISCOVERY_CHAP_MUTUAL_USER, DISCOVERY_CHAP_MUTUAL_SECRET,
            VOLUME_SIZE, VOLUME_WRITE_THROUGH, VOLUME_SNAPSHOT_EVERY, VOLUME_SNAPSHOT_KEEP);

    /** The property {@code key} is (for a per-target or per-volume key: an instance of), if any. */
    public static Optional<Property<?>> find(String key) {
        for (Property<?> p : ALL) {
            if (p.matches(key)) return Optional.of(p);
        }
        return Optional.empty();
    }

    private static Property<Integer> integer(String name, String dflt, int min, int max, String description) {
        return new Property<>(name, Integer.class, dflt, min + ".." + max, description,
                (k, v) -> StowageConfig.intIn(k, v, min, max));
    }

    private static Property<Boolean> bool(String name, String dflt, String description) {
        return new Property<>(name, Boolean.class, dflt, "yes, no", description, StowageConfig::bool);
    }

    /** A size in bytes (K, M, G, T suffixes); {@code max} of 1P or more means no bound but the type's. */
    private static Property<Long> size(String name, String dflt, long min, long max, String description) {
        boolean unbounded = max >= 1L << 50;
        String range = StowageConfig.sizeText(min) + ".." + (unbounded ? "" : StowageConfig.sizeText(max));
        return new Property<>(name, Long.class, dflt, range, description, (k, v) -> {
            long b = StowageConfig.size(k, v);
            if (b < min || b > max) {
                throw new ConfigException(k, (unbounded ? "must be at least " + StowageConfig.sizeText(min)
                        : "must be between " + StowageConfig.sizeText(min) + " and " + StowageConfig.sizeText(max))
                        + ", got '" + v + "'");
            }
            return b;
        });
    }

    private static Property<String> text(String name, String dflt, String description) {
        return new Property<>(name, String.class, dflt, null, description, (k, v) -> v);
    }

    private static Property<String> name(String name, String description) {
        return new Property<>(name, String.class, null, null, description, StowageProperties::nonEmpty);
    }

    static String nonEmpty(String key, String v) throws ConfigException {
        if (v.isBlank()) {
            throw new ConfigException(key, "must not be empty");
        }
        return v;
    }

    private static String digestList(String key, String v) throws ConfigException {
        for (String d : v.split(",")) {
            if (!d.strip().equals("None") && !d.strip().equals("CRC32C")) {
                throw new ConfigException(key, "expected a list of None and CRC32C, got '" + v + "'");
            }
        }
        return v.replace(" ", "");
    }
}
