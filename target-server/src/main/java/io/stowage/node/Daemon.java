package io.stowage.node;

import io.stowage.scsi.BufferPool;
import io.stowage.iscsi.login.TextKey;
import io.stowage.iscsi.session.Connection;
import io.stowage.iscsi.session.NodeResources;
import io.stowage.iscsi.session.SessionRegistry;
import io.stowage.iscsi.session.TargetDirectory;
import io.stowage.iscsi.transport.ConnectionGate;
import io.stowage.iscsi.transport.mina.MinaPortal;
import io.stowage.rados.RadosBackend;
import io.stowage.volume.engine.Backend;
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
    /** Portal group tag of the one portal group a node has today. */
    public static final int PORTAL_GROUP_TAG = 1;

    private final ExecutorService io;
    private final TargetDirectory directory;
    private final MinaPortal portal;
    private final Backend backend;
    private final MetricsEndpoint metrics;
    private final AdminApi admin;
    private final VolumeEngine engine;
    private Operations operations;
    private final SessionRegistry registry = new SessionRegistry();
    private final NodeResources resources;
    private StowageConfig config;

    public Daemon(StowageConfig config) throws IOException {
        AtomicInteger n = new AtomicInteger();
        // Blocking file I/O runs here, never on the network threads.
        io = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "stowage-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        BufferPool buffers = new BufferPool(64L << 20);
        // the cache (SCOs, TLogs, LMDB) is always local, in data-dir/cache; the objects live in the backend: a
        // directory (the embedded default, data-dir/objects) or a Ceph pool
        Backend backend;
        try {
            backend = config.rados() != null ? new RadosBackend(config.rados())
                    : new DirectoryBackend(config.dataDir().resolve("objects"));
        } catch (IOException e) {
            io.shutdownNow();
            throw e;
        }
        this.backend = backend;
        this.engine = new VolumeEngine(config.dataDir().resolve("cache"), backend, config.volumeConfig());
        this.config = config;
        // volumes, targets and LUNs come from the catalogue in the backend (seeded from the config at first start)
        directory = new TargetDirectory(List.of(), config.discoveryChap());
        if (config.discoveryChap() != null) {
            log.info("discovery sessions require CHAP{}", config.discoveryChap().mutual() ? " (mutual)" : "");
        }
        operations = new Operations(engine, new CatalogueStore(backend.nodeStore()), directory, registry, buffers,
                io, PORTAL_GROUP_TAG, config);
        try {
            operations.start();
        } catch (IOException | RuntimeException e) {
            closeVolumes();
            io.shutdownNow();
            throw e;
        }
        Map<TextKey, String> ours = new EnumMap<>(TextKey.class);
        ours.put(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(config.maxRecvDataSegmentLength()));
        ours.put(TextKey.MAX_BURST_LENGTH, Integer.toString(config.maxBurstLength()));
        ours.put(TextKey.FIRST_BURST_LENGTH, Integer.toString(config.firstBurstLength()));
        ours.put(TextKey.IMMEDIATE_DATA, config.immediateData() ? "Yes" : "No");
        ours.put(TextKey.INITIAL_R2T, config.initialR2T() ? "Yes" : "No");
        ours.put(TextKey.HEADER_DIGEST, config.digests());
        ours.put(TextKey.DATA_DIGEST, config.digests());
        resources = new NodeResources(config.limits());
        ConnectionGate gate = new ConnectionGate(config.limits().maxConnections(),
                config.limits().maxConnectionsPerAddress());
        try {
            portal = new MinaPortal(config.portal(), config.nopInInterval(), gate,
                    wire -> new Connection(wire, directory, registry, buffers, PORTAL_GROUP_TAG, ours, resources));
        } catch (IOException e) {
            resources.close();
            closeVolumes();
            io.shutdownNow();
            throw new IOException("cannot listen on " + config.portal() + ": " + e.getMessage(), e);
        }
        if (config.metrics() != null) {
            // a live view: volumes opened later through the admin API are scraped too
            Map<String, io.stowage.volume.engine.Volume> byName = new java.util.AbstractMap<>() {
                @Override
                public java.util.Set<Map.Entry<String, io.stowage.volume.engine.Volume>> entrySet() {
                    return operations.openVolumes().entrySet();
                }
            };
            try {
                metrics = new MetricsEndpoint(config.metrics(), byName, registry::size);
            } catch (IOException e) {
                portal.close();
                resources.close();
                closeVolumes();
                io.shutdownNow();
                throw new IOException("config key 'metrics': cannot listen on " + config.metrics() + ": "
                        + e.getMessage(), e);
            }
            log.info("metrics at http://{}:{}/metrics", config.metrics().getHostString(),
                    metrics.address().getPort());
        } else {
            metrics = null;
        }
        admin = startAdmin(config);
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
            report.addAll(operations.reload(fresh));
        } catch (IOException | RuntimeException e) {
            report.add("catalogue not updated: " + e.getMessage());
        }
        if (!fresh.portal().equals(config.portal())) report.add("portal changed: needs a restart");
        if (!fresh.volumeConfig().equals(config.volumeConfig())) report.add("engine.* changed: needs a restart");
        config = fresh;
        for (String line : report) log.info("reload: {}", line);
        if (report.isEmpty()) log.info("reload: nothing changed");
        return report;
    }

    /**
     * The admin API, or null when off. A port already taken is logged and the node serves iSCSI without it: the
     * initiators' service matters more than the operator's (the CLI then says no daemon answers).
     */
    private AdminApi startAdmin(StowageConfig config) {
        if (config.admin() == null) return null;
        try {
            AdminToken token = AdminToken.loadOrCreate(config.adminTokenFile());
            String backendName = config.rados() != null ? "rados:" + config.rados().pool() : "directory";
            AdminApi api = new AdminApi(config.admin(), token, operations,
                    () -> {
                        try {
                            InetSocketAddress p = portal.boundAddress();
                            return operations.status(p.getHostString() + ":" + p.getPort(), backendName);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            log.info("admin API at http://{}:{}/v1/ (token in {})", api.address().getHostString(),
                    api.address().getPort(), config.adminTokenFile());
            return api;
        } catch (IOException e) {
            log.error("admin API off: config key 'admin.listen': cannot serve on {}: {}", config.admin(),
                    e.getMessage());
            return null;
        }
    }

    /** Where the admin API listens, or null (off, or its port was taken). */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    /** The operations shared by reload, the admin API and the CLI. */
    public Operations operations() {
        return operations;
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

    @Override
    public void close() {
        if (admin != null) admin.close();
        if (metrics != null) metrics.close();
        portal.close();
        resources.close();
        io.shutdown();
        try {
            io.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeVolumes();
        log.info("stopped; all volumes flushed and closed");
    }

    private void closeVolumes() {
        if (operations != null) operations.close();
        if (backend instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing the backend failed: {}", e.toString());
            }
        }
    }
}
