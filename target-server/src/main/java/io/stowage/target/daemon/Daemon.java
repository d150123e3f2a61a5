package io.stowage.target.daemon;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import io.stowage.target.login.TextKey;
import io.stowage.target.session.Connection;
import io.stowage.target.session.ExportedTarget;
import io.stowage.target.session.SessionRegistry;
import io.stowage.target.session.TargetDirectory;
import io.stowage.target.transport.mina.MinaPortal;
import io.stowage.volume.BlockDevice;
import io.stowage.rados.RadosBackend;
import io.stowage.volume.engine.Backend;
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
    private final List<BlockDevice> devices = new ArrayList<>();
    private final TargetDirectory directory;
    private final MinaPortal portal;
    private final Backend backend;

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
        VolumeEngine engine = new VolumeEngine(config.dataDir().resolve("cache"), backend, config.volumeConfig());
        Map<String, BlockDevice> volumes = new LinkedHashMap<>();
        List<ExportedTarget> targets = new ArrayList<>();
        int relativePort = 1;
        try {
            for (StowageConfig.TargetConfig t : config.targets().values()) {
                TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
                for (Map.Entry<Integer, String> lun : t.luns().entrySet()) {
                    String name = lun.getValue();
                    BlockDevice dev = volumes.get(name);
                    if (dev == null) {
                        if (engine.find(name).isEmpty()) {
                            engine.create(name, config.volumeSizes().get(name));
                            log.info("volume {} created ({} bytes, thin)", name, config.volumeSizes().get(name));
                        }
                        dev = new VolumeBlockDevice(engine.open(name), io, config.writeThrough(name));
                        volumes.put(name, dev);
                        devices.add(dev);
                        log.info("volume {} ({} bytes, uuid {}) opened", name, dev.sizeBytes(), dev.info().uuid());
                    }
                    luns.put(lun.getKey(), new LogicalUnit(dev));
                }
                ScsiTarget scsi = new ScsiTarget(new TargetPortIdentity(t.iqn(), relativePort++, PORTAL_GROUP_TAG),
                        luns, buffers);
                targets.add(new ExportedTarget(t.iqn(), scsi, PORTAL_GROUP_TAG));
            }
        } catch (IOException | RuntimeException e) {
            closeVolumes();
            io.shutdownNow();
            throw e;
        }
        directory = new TargetDirectory(targets);
        SessionRegistry registry = new SessionRegistry();
        for (ExportedTarget t : targets) {
            // EXTENDED COPY may name any LU of this node as source or destination
            t.scsi().onFindByNaa(naa -> targets.stream().map(x -> x.scsi().ownByNaa(naa))
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null));
            t.scsi().onAbortTasks((nexuses, unit) -> t.scsi().luns().forEach((lun, u) -> {
                if (u == unit) registry.abortTasks(t, nexuses, lun);
            }));
        }
        Map<TextKey, String> ours = new EnumMap<>(TextKey.class);
        ours.put(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(config.maxRecvDataSegmentLength()));
        ours.put(TextKey.MAX_BURST_LENGTH, Integer.toString(config.maxBurstLength()));
        ours.put(TextKey.FIRST_BURST_LENGTH, Integer.toString(config.firstBurstLength()));
        ours.put(TextKey.IMMEDIATE_DATA, config.immediateData() ? "Yes" : "No");
        ours.put(TextKey.INITIAL_R2T, config.initialR2T() ? "Yes" : "No");
        ours.put(TextKey.HEADER_DIGEST, config.digests());
        ours.put(TextKey.DATA_DIGEST, config.digests());
        try {
            portal = new MinaPortal(config.portal(), config.nopInInterval(),
                    wire -> new Connection(wire, directory, registry, buffers, PORTAL_GROUP_TAG, ours));
        } catch (IOException e) {
            closeVolumes();
            io.shutdownNow();
            throw new IOException("cannot listen on " + config.portal() + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress portalAddress() {
        return portal.boundAddress();
    }

    public TargetDirectory targets() {
        return directory;
    }

    @Override
    public void close() {
        portal.close();
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
        for (BlockDevice d : devices) {
            try {
                d.close();
            } catch (RuntimeException e) {
                log.error("closing volume {} failed: {}", d.info().name(), e.toString());
            }
        }
        devices.clear();
        if (backend instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing the backend failed: {}", e.toString());
            }
        }
    }
}
