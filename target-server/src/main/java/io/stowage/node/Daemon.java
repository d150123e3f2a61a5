package io.stowage.node;

import io.stowage.scsi.BufferPool;
import io.stowage.iscsi.login.TextKey;
import io.stowage.iscsi.session.Connection;
import io.stowage.iscsi.session.ExportedTarget;
import io.stowage.iscsi.session.NodeResources;
import io.stowage.iscsi.session.SessionRegistry;
import io.stowage.iscsi.session.TargetDirectory;
import io.stowage.iscsi.transport.ConnectionGate;
import io.stowage.iscsi.transport.mina.MinaPortal;
import io.stowage.rados.RadosBackend;
import io.stowage.volume.store.Backend;
import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.VolumeEngine;
import io.stowage.node.admin.AdminApi;
import io.stowage.node.admin.AdminToken;
import io.stowage.node.admin.Operations;
import io.stowage.node.catalogue.CatalogueStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one Stowage node from its config: the backend, the engine, the catalogue's volumes and targets (served by
 * {@link Operations}), the iSCSI portal, metrics and the admin API.
 * {@link #close} stops accepting, ends the connections, flushes and closes every volume.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final ExecutorService io;
    private final TargetDirectory directory;
    private final MinaPortal portal;
    private final MetricsEndpoint metrics;
    private final AdminApi admin;
    private final VolumeEngine engine;
    /** The catalogue's volumes and targets, served; the operations shared by reload, the admin API and the CLI. */
    private final Operations operations;
    private final SessionRegistry registry = new SessionRegistry();
    private final NodeResources resources;
    /** Everything opened, closed in reverse: by {@link #close}, or by a start that fails half-way. */
    private final CloseStack opened = new CloseStack();
    private volatile StowageConfig config; // replaced by reload; the snapshot schedule reads it

    /**
     * Opens, in this order: the I/O executor, the backend, the catalogue's volumes and targets, the node's timers,
     * the portal, the metrics endpoint and the admin API. If any step fails, what was opened before it is closed
     * (newest first) and the failure is thrown.
     */
    public Daemon(StowageConfig config) throws IOException {
        this.config = config;
        try {
            AtomicInteger n = new AtomicInteger();
            // Blocking file I/O runs here, never on the network threads.
            io = Executors.newFixedThreadPool(16, r -> {
                Thread t = new Thread(r, "stowage-io-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            opened.defer("the I/O executor", io::shutdownNow); // after the drain below: cancels what is left
            BufferPool buffers = new BufferPool(64L << 20);
            // the cache (SCOs, TLogs, LMDB) is always local, in data-dir/cache; the objects live in the backend: a
            // directory (the embedded default, data-dir/objects) or a Ceph pool
            Backend backend = config.rados() != null ? new RadosBackend(config.rados())
                    : new DirectoryBackend(config.dataDir().resolve("objects"));
            if (backend instanceof AutoCloseable c) opened.push("the backend", c);
            this.engine = new VolumeEngine(config.dataDir().resolve("cache"), backend, config.volumeConfig());
            // volumes, targets and LUNs come from the catalogue in the backend (seeded from the config at first
            // start); every volume the operations open, now or later, closes after the portal and the drain
            // discovery CHAP too: the catalogue's if set (stowage chap set --discovery), else the file's
            directory = new TargetDirectory(List.of());
            operations = opened.push("the volumes", new Operations(engine, new CatalogueStore(backend.nodeStore()),
                    directory, registry, buffers, io, config.nodeId(), fileSettings(config, config.leases() != null)));
            if (config.leases() != null) { // every node exports the targets; each volume is its lease holder's
                operations.useLeases(new io.stowage.node.ownership.Ownership(engine, backend, config.nodeId(),
                        config.nodeName(), config.leases(), io));
            }
            operations.start();
            // other nodes' changes to the shared catalogue, served here live; stops before the volumes close
            opened.push("the catalogue follower", new CatalogueFollower(config.cataloguePollInterval(),
                    operations::follow));
            // closed before the volumes are
            opened.push("the snapshot schedule", new SnapshotSchedule(() -> this.config.snapshotPolicies(),
                    operations::openVolumes, java.time.Clock.systemUTC(), 30));
            // in-flight I/O completes before its volume closes
            opened.defer("draining the I/O executor", () -> {
                io.shutdown();
                io.awaitTermination(30, TimeUnit.SECONDS);
            });
            Map<TextKey, String> ours = new EnumMap<>(TextKey.class);
            ours.put(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(config.maxRecvDataSegmentLength()));
            ours.put(TextKey.MAX_BURST_LENGTH, Integer.toString(config.maxBurstLength()));
            ours.put(TextKey.FIRST_BURST_LENGTH, Integer.toString(config.firstBurstLength()));
            ours.put(TextKey.IMMEDIATE_DATA, config.immediateData() ? "Yes" : "No");
            ours.put(TextKey.INITIAL_R2T, config.initialR2T() ? "Yes" : "No");
            ours.put(TextKey.HEADER_DIGEST, config.digests());
            ours.put(TextKey.DATA_DIGEST, config.digests());
            resources = opened.push("the node's timers", new NodeResources(config.limits()));
            ConnectionGate gate = new ConnectionGate(config.limits().maxConnections(),
                    config.limits().maxConnectionsPerAddress());
            try {
                portal = opened.push("the portal", new MinaPortal(config.portal(), config.nopInInterval(), gate,
                        wire -> new Connection(wire, directory, registry, buffers, config.nodeId(), ours, resources)));
            } catch (IOException e) {
                throw new IOException("cannot listen on " + config.portal() + ": " + e.getMessage(), e);
            }
            metrics = config.metrics() == null ? null : opened.push("the metrics endpoint", openMetrics(config));
            AdminApi api = startAdmin(config);
            admin = api == null ? null : opened.push("the admin API", api);
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private MetricsEndpoint openMetrics(StowageConfig config) throws IOException {
        MetricsEndpoint m;
        try {
            // asked at each scrape: volumes and targets the admin API or a reload add later are scraped too
            m = new MetricsEndpoint(config.metrics(), operations::openDevices, registry::size, this::sessionsPerTarget);
        } catch (IOException e) {
            throw new IOException("config key 'metrics': cannot listen on " + config.metrics() + ": "
                    + e.getMessage(), e);
        }
        log.info("metrics at http://{}:{}/metrics", config.metrics().getHostString(), m.address().getPort());
        return m;
    }

    /**
     * Applies a re-read config file (SIGHUP, {@code systemctl reload}) to the running node through the same
     * operations as the admin API ({@link Operations#reload}): new volumes, targets and LUNs are served, grown
     * volumes resized (CAPACITY DATA HAS CHANGED), added LUNs announced (REPORTED LUNS DATA HAS CHANGED). Portal
     * and engine settings are reported as needing a restart. Returns one line per change or refusal.
     */
    public synchronized List<String> reload(StowageConfig fresh) {
        List<String> report = new ArrayList<>();
        try {
            // the ownership mode stays what the node started with: serving shared targets needs the leases running
            report.addAll(operations.reload(fileSettings(fresh, operations.ownership() != null)));
        } catch (IOException | RuntimeException e) {
            report.add("catalogue not updated: " + e.getMessage());
        }
        if (!fresh.portal().equals(config.portal())) report.add("portal changed: needs a restart");
        if (fresh.nodeId() != config.nodeId()) report.add("node.id changed: needs a restart");
        if (fresh.cataloguePollInterval() != config.cataloguePollInterval()) {
            report.add("catalogue.poll-interval changed: needs a restart");
        }
        if (!java.util.Objects.equals(fresh.leases(), config.leases())) {
            report.add("node.ownership or lease.* changed: needs a restart");
        }
        if (!fresh.volumeConfig().equals(config.volumeConfig())) report.add("engine.* changed: needs a restart");
        config = fresh;
        for (String line : report) log.info("reload: {}", line);
        if (report.isEmpty()) log.info("reload: nothing changed");
        return report;
    }

    /** What of the config the operations use (they know nothing of the config file itself). */
    private static Operations.FileSettings fileSettings(StowageConfig c, boolean leases) {
        Map<String, io.stowage.node.catalogue.Catalogue.TargetEntry> targets = new java.util.LinkedHashMap<>();
        c.targets().forEach((name, t) -> targets.put(name,
                new io.stowage.node.catalogue.Catalogue.TargetEntry(t.iqn(), t.luns())));
        return new Operations.FileSettings(c.nodeName(), c.volumeSizes(), targets, c::chap, c::allowedInitiators,
                c::writeThrough, c.discoveryChap(), leases);
    }

    /**
     * The admin API, or null when off. A port already taken fails the start, as for the portal and the metrics: a
     * node whose operator cannot reach it is not one to leave running unnoticed (systemd shows the one line naming
     * the key, and Restart=on-failure retries).
     */
    private AdminApi startAdmin(StowageConfig config) throws IOException {
        if (config.admin() == null) return null;
        AdminToken token = AdminToken.loadOrCreate(config.adminTokenFile());
        String backendName = config.rados() != null ? "rados:" + config.rados().pool() : "directory";
        AdminApi api;
        try {
            api = new AdminApi(config.admin(), token, operations,
                    () -> {
                        try {
                            InetSocketAddress p = portal.boundAddress();
                            return operations.status(p.getHostString() + ":" + p.getPort(), backendName);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new IOException("config key 'admin.listen': cannot listen on " + config.admin().getHostString() + ":"
                    + config.admin().getPort() + ": " + e.getMessage(), e);
        }
        log.info("admin API at http://{}:{}/v1/ (token in {})", api.address().getHostString(),
                api.address().getPort(), config.adminTokenFile());
        return api;
    }

    /** Where the admin API listens, or null (admin.listen = off). */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    /** The operations shared by reload, the admin API and the CLI. */
    public Operations operations() {
        return operations;
    }

    /** Normal sessions per target IQN, every served target listed (0 when none is logged in). */
    private Map<String, Integer> sessionsPerTarget() {
        Map<String, Integer> n = new java.util.TreeMap<>();
        for (ExportedTarget t : directory.all()) n.put(t.name(), 0);
        registry.sessionsPerTarget().forEach((iqn, count) -> n.merge(iqn, count, Integer::sum));
        return n;
    }

    public InetSocketAddress portalAddress() {
        return portal.boundAddress();
    }

    public TargetDirectory targets() {
        return directory;
    }

    /** The node's live sessions. */
    public SessionRegistry sessions() {
        return registry;
    }

    /** Stops accepting, ends the connections, drains in-flight I/O, then flushes and closes every volume. */
    @Override
    public void close() {
        opened.close();
        log.info("stopped; all volumes flushed and closed");
    }
}
