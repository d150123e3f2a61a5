package io.stowage.node.ownership;

import io.stowage.scsi.AccessState;
import io.stowage.volume.BlockDevice;
import io.stowage.volume.store.Lease;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume's ownership on this node: the lease state machine. {@link #tick} is driven every few hundred ms (by
 * {@link Ownership}, or by a test with a fake clock) and does at most one step:
 *
 * <ul>
 *   <li>STANDBY: every poll interval, unless a move request leaves the volume to another node, try to take the
 *       lease; once taken: TAKING.</li>
 *   <li>TAKING: the LU goes transitioning; the volume is opened (the open is the takeover: the former owner is
 *       blocklisted, the epoch bumped, the DTL replayed); the lease is renewed once more (the open took time);
 *       then the LU goes active/optimized, which raises ASYMMETRIC ACCESS STATE CHANGED: ACTIVE.</li>
 *   <li>ACTIVE: every renew interval the lease is renewed; the deadline for serving becomes the time the renewal
 *       was <em>sent</em> plus the duration minus the margin. The device refuses I/O past the deadline by itself
 *       ({@link LeasedDevice}); the machine notices at its next tick, or when a renewal is refused, and stops: the
 *       LU goes transitioning, the volume is closed (its data is the DTL's and the next owner's now), then
 *       standby. A move request naming another node makes it hand over: flush, close (uploads), release.</li>
 * </ul>
 */
public final class VolumeOwnership {
    private static final Logger log = LoggerFactory.getLogger(VolumeOwnership.class);

    public enum Phase { STANDBY, TAKING, ACTIVE, RELEASING, CLOSED }

    /** Opens the volume for I/O (a takeover). */
    public interface Opener {
        BlockDevice open() throws IOException;
    }

    private final String volume;
    private final Lease lease;
    private final Lease.Holder me;
    private final LeaseSettings settings;
    private final Clocks clocks;
    private final LeasedDevice device;
    private final Opener opener;
    private volatile Consumer<AccessState> unit = s -> { };
    private volatile Phase phase = Phase.STANDBY;
    private long nextPoll;
    private long nextRenew;
    /** Wall clock millis before which this node does not take the volume (it handed it over). */
    private long holdOffUntil;
    private boolean renewFailing;
    private volatile String lastChange = "standby since start";

    public VolumeOwnership(String volume, Lease lease, Lease.Holder me, LeaseSettings settings, Clocks clocks,
                           LeasedDevice device, Opener opener) {
        this.volume = volume;
        this.lease = lease;
        this.me = me;
        this.settings = settings;
        this.clocks = clocks;
        this.device = device;
        this.opener = opener;
        this.nextPoll = clocks.nanos();
    }

    /** Where the LU's access state goes (its {@code changeAccessState}); set before the first tick. */
    public void bind(Consumer<AccessState> unitState) {
        this.unit = unitState;
        unitState.accept(AccessState.STANDBY);
    }

    public String volume() {
        return volume;
    }

    public LeasedDevice device() {
        return device;
    }

    public Phase phase() {
        return phase;
    }

    /** One line about the last change of phase (status). */
    public String lastChange() {
        return lastChange;
    }

    public Lease lease() {
        return lease;
    }

    /** One step of the state machine; never throws. */
    public synchronized void tick() {
        try {
            switch (phase) {
                case STANDBY -> standby();
                case ACTIVE -> active();
                default -> { }
            }
        } catch (RuntimeException e) {
            log.error("volume {}: ownership step failed: {}", volume, e.toString());
        }
    }

    private long durationNanos() {
        return settings.duration().toNanos();
    }

    private long deadlineFrom(long sentNanos) {
        return sentNanos + durationNanos() - settings.margin().toNanos();
    }

    private void standby() {
        long now = clocks.nanos();
        if (now - nextPoll < 0) return;
        nextPoll = now + settings.pollInterval().toNanos();
        if (clocks.wallMillis() < holdOffUntil) return;
        Optional<Lease.MoveRequest> move;
        try {
            move = lease.moveRequest();
        } catch (IOException e) {
            log.debug("volume {}: cannot read the move request: {}", volume, e.getMessage());
            return;
        }
        if (move.isPresent() && clocks.wallMillis() < move.get().untilMillis() && !me.is(move.get().toNode())) {
            return; // being moved to another node: leave it to that one
        }
        long sent = clocks.nanos();
        boolean taken;
        try {
            taken = lease.acquire(settings.duration());
        } catch (IOException e) {
            log.debug("volume {}: cannot try the lease: {}", volume, e.getMessage());
            return;
        }
        if (taken) take(sent);
    }

    private void take(long sent) {
        phase = Phase.TAKING;
        log.info("volume {}: lease taken, opening it (takeover)", volume);
        unit.accept(AccessState.TRANSITIONING);
        BlockDevice real;
        try {
            real = opener.open();
        } catch (IOException | RuntimeException e) {
            log.error("volume {}: took the lease but cannot open the volume: {}; giving the lease back", volume,
                    e.getMessage());
            releaseQuietly();
            toStandby("the open failed: " + e.getMessage());
            holdOffUntil = clocks.wallMillis() + settings.duration().toMillis();
            return;
        }
        // the open took a while: serve only on a fresh renewal
        long renewed = clocks.nanos();
        boolean ok;
        try {
            ok = lease.renew(settings.duration());
        } catch (IOException e) {
            ok = clocks.nanos() - deadlineFrom(sent) < 0; // still within the first grant
            renewed = sent;
        }
        if (!ok) {
            log.error("volume {}: lease lost while opening the volume; closing it", volume);
            closeQuietly(real);
            toStandby("lease lost during the takeover");
            return;
        }
        device.attach(real, deadlineFrom(renewed));
        nextRenew = renewed + settings.renewInterval().toNanos();
        renewFailing = false;
        try {
            Optional<Lease.MoveRequest> move = lease.moveRequest();
            if (move.isPresent() && me.is(move.get().toNode())) lease.requestMove(null); // done
        } catch (IOException e) {
            log.debug("volume {}: cannot clear the move request: {}", volume, e.getMessage());
        }
        phase = Phase.ACTIVE;
        lastChange = "active since " + java.time.Instant.ofEpochMilli(clocks.wallMillis());
        unit.accept(AccessState.ACTIVE_OPTIMIZED);
        log.info("volume {}: served here (active/optimized)", volume);
    }

    private void active() {
        long now = clocks.nanos();
        if (!device.serving()) {
            stop("its lease was not renewed in time (renewals unanswered)");
            return;
        }
        BlockDevice real = device.active();
        if (real != null && real.halted()) {
            giveUp();
            return;
        }
        if (now - nextRenew < 0) return;
        long sent = now;
        boolean ok;
        try {
            ok = lease.renew(settings.duration());
        } catch (IOException e) {
            if (!renewFailing) log.warn("volume {}: renewing the lease failed: {}; retrying", volume, e.getMessage());
            renewFailing = true;
            nextRenew = clocks.nanos() + Math.min(settings.renewInterval().toNanos(), 500_000_000L);
            if (!device.serving()) stop("its lease could not be renewed in time");
            return;
        }
        if (!ok) {
            stop("its lease was lost (expired, or another node holds it)");
            return;
        }
        if (renewFailing) log.info("volume {}: lease renewed again", volume);
        renewFailing = false;
        device.extend(deadlineFrom(sent));
        nextRenew = sent + settings.renewInterval().toNanos();
        try {
            Optional<Lease.MoveRequest> move = lease.moveRequest();
            if (move.isPresent() && clocks.wallMillis() < move.get().untilMillis() && !me.is(move.get().toNode())) {
                handOver("moved to node " + move.get().toNode() + " on request", 0); // the request keeps it away
            }
        } catch (IOException e) {
            log.debug("volume {}: cannot read the move request: {}", volume, e.getMessage());
        }
    }

    /** Lost the lease: stop serving at once; the volume's data is the next owner's now. */
    private void stop(String why) {
        phase = Phase.RELEASING;
        log.warn("volume {}: stops being served here: {}", volume, why);
        unit.accept(AccessState.TRANSITIONING);
        BlockDevice real = device.detach(1000);
        // standby before the close, which may take long (uploads retried while the cluster is away): another node
        // may serve the volume by now, and initiators wait out a transitioning path for up to 30 s before they
        // use another
        unit.accept(AccessState.STANDBY);
        closeQuietly(real);
        toStandby("standby since " + why);
    }

    /**
     * The volume halted here (a local failure: the engine refuses its I/O until it is reopened). Renewing would keep
     * it unserved, so the lease is released for another node to take it over at once (from the backend and the
     * DTL); this node leaves it alone for two lease durations.
     */
    private void giveUp() {
        String why = "the volume halted here";
        stop(why);
        releaseQuietly();
        holdOffUntil = clocks.wallMillis() + 2 * settings.duration().toMillis();
        log.warn("volume {}: lease released for another node to take over ({})", volume, why);
    }

    /**
     * Gives the volume up on purpose (a move, a clean stop): the LU goes transitioning, I/O drains, the volume is
     * flushed and closed (its uploads committed), then the lease released. Until {@code holdOffUntilMillis} this
     * node does not take it again.
     */
    private void handOver(String why, long holdOffUntilMillis) {
        phase = Phase.RELEASING;
        log.info("volume {}: handing over: {}", volume, why);
        unit.accept(AccessState.TRANSITIONING);
        BlockDevice real = device.detach(10_000);
        if (real != null) {
            try {
                real.flush().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                log.debug("volume {}: the node is stopping; the close flushes", volume);
            } catch (Exception e) {
                log.warn("volume {}: flush before the hand-over failed: {}", volume, e.toString());
            }
        }
        closeQuietly(real);
        releaseQuietly();
        holdOffUntil = holdOffUntilMillis;
        toStandby("standby since " + why);
    }

    /** A clean stop of the node: hand an active volume over (released, so another node takes it at once). */
    public synchronized void close() {
        if (phase == Phase.ACTIVE) handOver("the node stops", Long.MAX_VALUE);
        phase = Phase.CLOSED;
        lease.close();
    }

    private void toStandby(String why) {
        phase = Phase.STANDBY;
        lastChange = why;
        nextPoll = clocks.nanos() + settings.pollInterval().toNanos();
        unit.accept(AccessState.STANDBY);
    }

    private void releaseQuietly() {
        try {
            lease.release();
        } catch (IOException e) {
            log.warn("volume {}: releasing the lease failed ({}); it expires by itself", volume, e.getMessage());
        }
    }

    private void closeQuietly(BlockDevice real) {
        if (real == null) return;
        try {
            real.close();
        } catch (RuntimeException e) {
            log.warn("volume {}: closing it after losing the lease: {}", volume, e.toString());
        }
    }
}
