package io.stowage.node;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import io.stowage.iscsi.login.TextKey;
import io.stowage.iscsi.session.Connection;
import io.stowage.iscsi.session.ExportedTarget;
import io.stowage.iscsi.session.NodeResources;
import io.stowage.iscsi.session.SessionRegistry;
import io.stowage.iscsi.session.TargetDirectory;
import io.stowage.iscsi.transport.ConnectionGate;
import io.stowage.iscsi.transport.mina.MinaPortal;
import io.stowage.volume.BlockDevice;
import io.stowage.rados.RadosBackend;
import io.stowage.volume.store.Backend;
import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.VolumeBlockDevice;
import io.stowage.volume.engine.VolumeEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one Stowage node from its config: volumes → logical units → SCSI targets → the iSCSI portal.
 * {@link #close} stops accepting, ends the connections, flushes and closes every volume.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** Portal group tag of the one portal group a node has today. */
    public static final int PORTAL_GROUP_TAG = 1;

    private final ExecutorService io;
    /** The volumes opened so far (at start and by reloads), in opening order; closed newest first. */
    private final List<VolumeBlockDevice> devices = new ArrayList<>();
    private final TargetDirectory directory;
    private final MinaPortal portal;
    private final MetricsEndpoint metrics;
    private final VolumeEngine engine;
    private final Map<String, VolumeBlockDevice> volumes = new LinkedHashMap<>();
    /**
     * One logical unit per volume, shared by every target that exports it: one NAA is one device to initiators,
     * so its reservations and unit attentions must be one set too (as a LIO backstore in several targets).
     */
    private final Map<String, LogicalUnit> units = new LinkedHashMap<>();
    private final List<ExportedTarget> targets = new ArrayList<>();
    private final SessionRegistry registry = new SessionRegistry();
    private final NodeResources resources;
    /** Everything opened, closed in reverse: by {@link #close}, or by a start that fails half-way. */
    private final CloseStack opened = new CloseStack();
    private StowageConfig config;

    /**
     * Opens, in this order: the I/O executor, the backend, the volumes, the node's timers, the portal and the
     * metrics endpoint. If any step fails, what was opened before it is closed (newest first) and the failure is
     * thrown.
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
            // one entry for every volume, also those a reload opens later: they close after the portal and the drain
            opened.defer("the volumes", this::closeVolumes);
            openTargets(config, buffers);
            // in-flight I/O completes before its volume closes
            opened.defer("draining the I/O executor", () -> {
                io.shutdown();
                io.awaitTermination(30, TimeUnit.SECONDS);
            });
            directory = new TargetDirectory(targets, config.discoveryChap());
            if (config.discoveryChap() != null) {
                log.info("discovery sessions require CHAP{}", config.discoveryChap().mutual() ? " (mutual)" : "");
            }
            linkTargets();
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
                        wire -> new Connection(wire, directory, registry, buffers, PORTAL_GROUP_TAG, ours, resources)));
            } catch (IOException e) {
                throw new IOException("cannot listen on " + config.portal() + ": " + e.getMessage(), e);
            }
            metrics = config.metrics() == null ? null : opened.push("the metrics endpoint", openMetrics(config));
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private void openTargets(StowageConfig config, BufferPool buffers) throws IOException {
        int relativePort = 1;
        for (Map.Entry<String, StowageConfig.TargetConfig> named : config.targets().entrySet()) {
            StowageConfig.TargetConfig t = named.getValue();
            TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
            for (Map.Entry<Integer, String> lun : t.luns().entrySet()) {
                luns.put(lun.getKey(), unit(config, lun.getValue()));
            }
            ScsiTarget scsi = new ScsiTarget(new TargetPortIdentity(t.iqn(), relativePort++, PORTAL_GROUP_TAG),
                    luns, buffers);
            targets.add(new ExportedTarget(t.iqn(), scsi, PORTAL_GROUP_TAG, config.chap(named.getKey()),
                    config.allowedInitiators(named.getKey()), named.getKey())); // config name = alias
            if (config.chap(named.getKey()) != null) {
                log.info("target {} requires CHAP{}", t.iqn(), config.chap(named.getKey()).mutual() ? " (mutual)" : "");
            }
            if (!config.allowedInitiators(named.getKey()).isEmpty()) {
                log.info("target {} admits only {}", t.iqn(), config.allowedInitiators(named.getKey()));
            }
        }
    }

    /** What one target's SCSI layer asks of the node's other targets. */
    private void linkTargets() {
        for (ExportedTarget t : targets) {
            // EXTENDED COPY may name any LU of this node as source or destination
            t.scsi().onFindByNaa(naa -> targets.stream().map(x -> x.scsi().ownByNaa(naa))
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null));
            // PREEMPT AND ABORT: the preempted nexuses may reach a shared unit through any target exporting it
            t.scsi().onAbortTasks((nexuses, unit) -> targets.forEach(x -> x.scsi().luns().forEach((lun, u) -> {
                if (u == unit) registry.abortTasks(x, nexuses, lun);
            })));
        }
    }

    private MetricsEndpoint openMetrics(StowageConfig config) throws IOException {
        Map<String, io.stowage.volume.engine.Volume> byName = new TreeMap<>();
        volumes.forEach((name, dev) -> byName.put(name, dev.volume()));
        MetricsEndpoint m;
        try {
            m = new MetricsEndpoint(config.metrics(), byName, registry::size);
        } catch (IOException e) {
            throw new IOException("config key 'metrics': cannot listen on " + config.metrics() + ": "
                    + e.getMessage(), e);
        }
        log.info("metrics at http://{}:{}/metrics", config.metrics().getHostString(), m.address().getPort());
        return m;
    }

    /** The volume's logical unit, made on first use. */
    private LogicalUnit unit(StowageConfig config, String volume) throws IOException {
        LogicalUnit u = units.get(volume);
        if (u == null) {
            u = new LogicalUnit(openVolume(config, volume));
            units.put(volume, u);
        }
        return u;
    }

    /** The volume's device, opened (and created, or grown to its configured size) on first use. */
    private VolumeBlockDevice openVolume(StowageConfig config, String name) throws IOException {
        VolumeBlockDevice dev = volumes.get(name);
        if (dev != null) return dev;
        long size = config.volumeSizes().get(name);
        if (engine.find(name).isEmpty()) {
            engine.create(name, size);
            log.info("volume {} created ({} bytes, thin)", name, size);
        }
        io.stowage.volume.engine.Volume v = engine.open(name);
        if (size > v.info().sizeBytes()) v.resize(size); // the config grew while we were down
        dev = new VolumeBlockDevice(v, io, config.writeThrough(name));
        volumes.put(name, dev);
        devices.add(dev);
        log.info("volume {} ({} bytes, uuid {}) opened", name, dev.sizeBytes(), dev.info().uuid());
        return dev;
    }

    /**
     * Applies a re-read config file (SIGHUP, {@code systemctl reload}) to the running node: volumes whose size grew
     * are resized and every nexus of their LUs gets CAPACITY DATA HAS CHANGED; LUNs added to an existing target
     * are opened and the target's nexuses get REPORTED LUNS DATA HAS CHANGED. Anything else that changed (new or
     * removed targets and LUNs, portal, iSCSI or engine settings) is reported as needing a restart and left as
     * it is. Returns one line per change or refusal.
     */
    public synchronized List<String> reload(StowageConfig fresh) {
        List<String> report = new ArrayList<>();
        for (Map.Entry<String, VolumeBlockDevice> e : volumes.entrySet()) {
            Long wanted = fresh.volumeSizes().get(e.getKey());
            VolumeBlockDevice dev = e.getValue();
            if (wanted == null || wanted == dev.sizeBytes()) continue;
            try {
                dev.volume().resize(wanted);
                for (ExportedTarget t : targets) {
                    t.scsi().luns().values().stream().filter(u -> u.device() == dev)
                            .forEach(u -> t.scsi().capacityChanged(u));
                }
                report.add("volume " + e.getKey() + " resized to " + wanted + " bytes");
            } catch (IOException | RuntimeException ex) {
                report.add("volume " + e.getKey() + " not resized: " + ex.getMessage());
            }
        }
        for (StowageConfig.TargetConfig t : fresh.targets().values()) {
            ExportedTarget running = targets.stream().filter(x -> x.name().equals(t.iqn())).findFirst().orElse(null);
            if (running == null) {
                report.add("target " + t.iqn() + " is new: it is served after a restart");
                continue;
            }
            for (Map.Entry<Integer, String> lun : t.luns().entrySet()) {
                LogicalUnit current = running.scsi().luns().get(lun.getKey());
                if (current != null) {
                    if (!current.volume().name().equals(lun.getValue())) {
                        report.add("target " + t.iqn() + " LUN " + lun.getKey() + " changed volume: needs a restart");
                    }
                    continue;
                }
                try {
                    running.scsi().addLun(lun.getKey(), unit(fresh, lun.getValue()));
                    report.add("target " + t.iqn() + " LUN " + lun.getKey() + " added (volume " + lun.getValue() + ")");
                } catch (IOException | RuntimeException ex) {
                    report.add("target " + t.iqn() + " LUN " + lun.getKey() + " not added: " + ex.getMessage());
                }
            }
            for (int lun : running.scsi().luns().keySet()) {
                if (!t.luns().containsKey(lun)) {
                    report.add("target " + t.iqn() + " LUN " + lun + " removed from the config: needs a restart");
                }
            }
        }
        for (ExportedTarget running : targets) {
            if (fresh.targets().values().stream().noneMatch(t -> t.iqn().equals(running.name()))) {
                report.add("target " + running.name() + " removed from the config: needs a restart");
            }
        }
        if (!fresh.portal().equals(config.portal())) report.add("portal changed: needs a restart");
        if (!fresh.volumeConfig().equals(config.volumeConfig())) report.add("engine.* changed: needs a restart");
        config = fresh;
        for (String line : report) log.info("reload: {}", line);
        if (report.isEmpty()) log.info("reload: nothing changed");
        return report;
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

    /** Closes the volumes newest first; a volume that fails to close does not keep the others open. */
    private void closeVolumes() {
        for (int i = devices.size() - 1; i >= 0; i--) {
            VolumeBlockDevice d = devices.get(i);
            try {
                d.close();
            } catch (RuntimeException e) {
                log.error("closing volume {} failed: {}", d.info().name(), e.toString());
            }
        }
        devices.clear();
    }
}
