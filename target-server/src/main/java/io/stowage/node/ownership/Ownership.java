package io.stowage.node.ownership;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import io.stowage.volume.engine.VolumeEngine;
import io.stowage.volume.store.Backend;
import io.stowage.volume.store.Lease;
import io.stowage.volume.store.LeaseStore;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volumes of a node that serves under leases ({@code node.ownership = lease}): every node exports every
 * shared target, and each volume's LU is active/optimized on the one node holding its lease and standby on the
 * others. Each volume has its {@link VolumeOwnership}, ticked on a small scheduler (one renewal stuck on an
 * unreachable cluster delays only that volume's steps; the deadline is enforced by the device anyway).
 */
public final class Ownership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Ownership.class);
    private static final long TICK_MILLIS = 200;

    private final VolumeEngine engine;
    private final Backend backend;
    private final LeaseStore leases;
    private final Lease.Holder me;
    private final LeaseSettings settings;
    private final Executor io;
    private final Clocks clocks;
    private final ScheduledExecutorService scheduler;
    private final Map<String, VolumeOwnership> volumes = new LinkedHashMap<>();
    private final Map<String, ScheduledFuture<?>> ticking = new LinkedHashMap<>();

    public Ownership(VolumeEngine engine, Backend backend, int nodeId, String nodeName, LeaseSettings settings,
                     Executor io) {
        this.engine = engine;
        this.backend = backend;
        this.leases = backend.leases();
        this.me = new Lease.Holder(nodeId, nodeName);
        this.settings = settings;
        this.io = io;
        this.clocks = Clocks.SYSTEM;
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(4, r -> {
            Thread t = new Thread(r, "stowage-lease-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        log.info("volumes are served under leases: node {} ({}), lease {} s, renewed every {} ms, standbys poll every"
                + " {} ms", nodeId, nodeName, settings.duration().toSeconds(), settings.renewInterval().toMillis(),
                settings.pollInterval().toMillis());
    }

    public Lease.Holder node() {
        return me;
    }

    public LeaseSettings settings() {
        return settings;
    }

    /**
     * The volume's ownership here, made on first use (the volume created in the backend if the catalogue has it
     * and the backend not yet): a standby device until the lease is taken. {@code catalogued} gives the size the
     * catalogue wants (the volume is grown to it when opened); {@code writeThrough} is the volume's setting.
     */
    public synchronized VolumeOwnership join(String volume, LongSupplier catalogued, boolean writeThrough)
            throws IOException {
        VolumeOwnership o = volumes.get(volume);
        if (o != null) return o;
        VolumeInfo info = engine.find(volume).orElse(null);
        if (info == null) {
            try {
                info = engine.create(volume, catalogued.getAsLong());
                log.info("volume {} created ({} bytes, thin)", volume, info.sizeBytes());
            } catch (IOException e) { // another node created it first
                info = engine.find(volume).orElseThrow(() -> e);
            }
        }
        LeasedDevice device = new LeasedDevice(info, new BlockDevice.Capabilities(true, true, !writeThrough), clocks,
                key -> backend.volume(volume).getState(key));
        o = new VolumeOwnership(volume, leases.lease(volume, me.nodeId(), me.nodeName()), me, settings, clocks,
                device, () -> open(volume, catalogued.getAsLong(), writeThrough));
        volumes.put(volume, o);
        return o;
    }

    /** Starts the volume's state machine: one step now (a free lease is taken before the node serves), then timed. */
    public synchronized void start(VolumeOwnership o) {
        if (ticking.containsKey(o.volume())) return;
        o.tick();
        ticking.put(o.volume(), scheduler.scheduleWithFixedDelay(o::tick, TICK_MILLIS, TICK_MILLIS,
                TimeUnit.MILLISECONDS));
    }

    private BlockDevice open(String volume, long cataloguedSize, boolean writeThrough) throws IOException {
        Volume v = engine.open(volume);
        try {
            if (cataloguedSize > v.info().sizeBytes()) v.resize(cataloguedSize); // grown while not open here
        } catch (IOException | RuntimeException e) {
            v.close();
            throw e;
        }
        VolumeBlockDevice dev = new VolumeBlockDevice(v, io, writeThrough);
        log.info("volume {} ({} bytes, uuid {}) opened", volume, dev.sizeBytes(), dev.info().uuid());
        return dev;
    }

    /** The opened volume if this node serves it now, else null. */
    public synchronized VolumeBlockDevice owned(String volume) {
        VolumeOwnership o = volumes.get(volume);
        return o != null && o.device().active() instanceof VolumeBlockDevice v ? v : null;
    }

    /** Why an operation that needs the opened volume cannot run here: who serves it, and how to bring it here. */
    public String notServedHere(String volume) {
        String who;
        try {
            who = holder(volume).map(h -> "node " + h.nodeName() + " (node.id " + h.nodeId() + ")").orElse("no node");
        } catch (IOException e) {
            who = "another node (the lease cannot be read: " + e.getMessage() + ")";
        }
        return "volume " + volume + " is served by " + who + ", not this one; run this there, or move it here first"
                + " (stowage volume move " + volume + " --to " + me.nodeName() + ")";
    }

    /** The volumes with a state machine here (exported by this node at some point). */
    public synchronized java.util.List<String> volumes() {
        return java.util.List.copyOf(volumes.keySet());
    }

    /** The volumes this node serves now, by name. */
    public synchronized Map<String, VolumeBlockDevice> ownedDevices() {
        Map<String, VolumeBlockDevice> out = new TreeMap<>();
        for (String name : volumes.keySet()) {
            VolumeBlockDevice d = owned(name);
            if (d != null) out.put(name, d);
        }
        return out;
    }

    /** Who holds the volume's lease, as the lease store says (empty: nobody, or not a volume of this node). */
    public Optional<Lease.Holder> holder(String volume) throws IOException {
        VolumeOwnership o;
        synchronized (this) {
            o = volumes.get(volume);
        }
        Lease l = o != null ? o.lease() : leases.lease(volume, me.nodeId(), me.nodeName());
        return l.holder();
    }

    /** This node's phase for the volume, or null if it does not serve it. */
    public synchronized VolumeOwnership of(String volume) {
        return volumes.get(volume);
    }

    /**
     * Asks the volume's owner, whichever node it is, to hand it over to {@code toNode} (a node name or id), and
     * waits until {@code toNode} holds the lease or {@code waitMillis} passed. Returns the holder then.
     */
    public Optional<Lease.Holder> move(String volume, String toNode, long waitMillis) throws IOException,
            InterruptedException {
        Lease l;
        synchronized (this) {
            VolumeOwnership o = volumes.get(volume);
            l = o != null ? o.lease() : leases.lease(volume, me.nodeId(), me.nodeName());
        }
        long until = clocks.wallMillis() + Math.max(60_000, 4 * settings.duration().toMillis());
        Optional<Lease.Holder> h = l.holder();
        if (h.isPresent() && h.get().is(toNode)) return h;
        l.requestMove(new Lease.MoveRequest(toNode, until));
        log.info("volume {}: move to node {} requested (held by {})", volume, toNode,
                h.map(x -> x.nodeName() + " (node " + x.nodeId() + ")").orElse("nobody"));
        long end = System.nanoTime() + waitMillis * 1_000_000L;
        while (System.nanoTime() < end) {
            h = l.holder();
            if (h.isPresent() && h.get().is(toNode)) {
                VolumeOwnership mine = of(volume);
                // on the named node itself, answer once it serves (not just holds the lease)
                if (!me.is(toNode) || mine == null || mine.phase() == VolumeOwnership.Phase.ACTIVE) return h;
            }
            Thread.sleep(100);
        }
        h = l.holder();
        if (h.isEmpty() || !h.get().is(toNode)) {
            // the named node did not take it (not running, or not exporting the volume): withdraw the request, so
            // that any node, the former owner too, takes the volume at its next poll instead of after the request
            Optional<Lease.MoveRequest> still = l.moveRequest();
            if (still.isPresent() && still.get().untilMillis() == until) l.requestMove(null);
            log.warn("volume {}: node {} did not take it within {} ms; move request withdrawn", volume, toNode,
                    waitMillis);
        }
        return h;
    }

    /** Stops the volume's state machine here (deleted or unexported): handed over if served, lease released. */
    public synchronized void leave(String volume) {
        ScheduledFuture<?> f = ticking.remove(volume);
        if (f != null) f.cancel(false);
        VolumeOwnership o = volumes.remove(volume);
        if (o != null) o.close();
    }

    /** A clean stop: every served volume is flushed, closed and its lease released, so others take it at once. */
    @Override
    public void close() {
        java.util.List<String> names;
        synchronized (this) {
            names = java.util.List.copyOf(volumes.keySet());
        }
        for (String n : names) leave(n);
        scheduler.shutdownNow();
    }
}
