package io.stowage.node.ownership;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.scsi.AccessState;
import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeHaltedException;
import io.stowage.volume.VolumeInfo;
import io.stowage.volume.store.Lease;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The lease state machine on a fake clock, against a lease store that behaves like cls_lock. */
class VolumeOwnershipTest {
    static final LeaseSettings S = LeaseSettings.DEFAULT; // 15 s, renew 3 s, poll 2 s
    static final long MS = 1_000_000L;

    /** Both clocks, moved by the test. */
    static final class FakeClocks implements Clocks {
        long nanos = 1_000_000_000_000L;

        @Override
        public long nanos() {
            return nanos;
        }

        @Override
        public long wallMillis() {
            return nanos / MS;
        }
    }

    /** One lock like the OSD's: one holder handle, expiring {@code duration} after it last granted or renewed. */
    static final class FakeStore {
        final FakeClocks clock;
        FakeLease holder;
        long expiresAt;
        Lease.MoveRequest move;

        FakeStore(FakeClocks clock) {
            this.clock = clock;
        }

        FakeLease handle(int id, String name) {
            return new FakeLease(this, new Lease.Holder(id, name));
        }

        boolean expired() {
            return holder == null || clock.nanos - expiresAt >= 0;
        }
    }

    static final class FakeLease implements Lease {
        final FakeStore s;
        final Holder me;
        boolean unreachable;

        FakeLease(FakeStore s, Holder me) {
            this.s = s;
            this.me = me;
        }

        private void reach() throws IOException {
            if (unreachable) throw new IOException("cluster unreachable");
        }

        @Override
        public boolean acquire(Duration d) throws IOException {
            reach();
            if (!s.expired()) return false;
            s.holder = this;
            s.expiresAt = s.clock.nanos + d.toNanos();
            return true;
        }

        @Override
        public boolean renew(Duration d) throws IOException {
            reach();
            if (s.holder != this || s.expired()) return false;
            s.expiresAt = s.clock.nanos + d.toNanos();
            return true;
        }

        @Override
        public void release() throws IOException {
            reach();
            if (s.holder == this) s.holder = null;
        }

        @Override
        public Optional<Holder> holder() throws IOException {
            reach();
            return s.expired() ? Optional.empty() : Optional.of(s.holder.me);
        }

        @Override
        public void requestMove(MoveRequest request) throws IOException {
            reach();
            s.move = request;
        }

        @Override
        public Optional<MoveRequest> moveRequest() throws IOException {
            reach();
            return Optional.ofNullable(s.move);
        }
    }

    /** The opened volume: records what reached it; writes complete when the test says (or at once). */
    static class FakeVolume implements BlockDevice {
        final VolumeInfo info;
        final List<String> calls = new ArrayList<>();
        CompletableFuture<Void> pending;
        boolean holdWrites;
        boolean closed;
        boolean halted;

        @Override
        public boolean halted() {
            return halted;
        }

        FakeVolume(VolumeInfo info) {
            this.info = info;
        }

        @Override
        public VolumeInfo info() {
            return info;
        }

        @Override
        public CompletionStage<Void> read(long offset, ByteBuffer dst) {
            calls.add("read");
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> write(long offset, ByteBuffer src, boolean fua) {
            calls.add("write");
            if (holdWrites) return pending = new CompletableFuture<>();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> flush() {
            calls.add("flush");
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            calls.add("close");
            closed = true;
        }
    }

    /** One node's view of the volume: its machine, its LU states, the volumes it opened. */
    static final class Node {
        final VolumeOwnership own;
        final FakeLease lease;
        final List<AccessState> states = new ArrayList<>();
        final List<FakeVolume> opened = new ArrayList<>();
        /** The LU's state when each opened volume was closed. */
        final List<AccessState> stateAtClose = new ArrayList<>();
        boolean openFails;

        Node(FakeStore store, FakeClocks clock, int id) {
            VolumeInfo info = new VolumeInfo("vol", new UUID(1, 2), 1 << 20);
            lease = store.handle(id, "node" + id);
            LeasedDevice dev = new LeasedDevice(info, BlockDevice.Capabilities.NONE, clock, k -> null);
            own = new VolumeOwnership("vol", lease, lease.me, S, clock, dev, () -> {
                if (openFails) throw new IOException("cannot open");
                FakeVolume v = new FakeVolume(info) {
                    @Override
                    public void close() {
                        stateAtClose.add(state());
                        super.close();
                    }
                };
                opened.add(v);
                return v;
            });
            own.bind(s -> { // what the LU sees: changes only (it ignores a change to the state it is in)
                if (states.isEmpty() || states.get(states.size() - 1) != s) states.add(s);
            });
        }

        AccessState state() {
            return states.get(states.size() - 1);
        }

        FakeVolume volume() {
            return opened.get(opened.size() - 1);
        }

        CompletionStage<Void> write() {
            return own.device().write(0, ByteBuffer.allocate(512), false);
        }
    }

    final FakeClocks clock = new FakeClocks();
    final FakeStore store = new FakeStore(clock);

    /** Advances the clock in 100 ms steps for {@code millis}, ticking the given nodes at each step. */
    void run(long millis, Node... nodes) {
        for (long t = 0; t < millis; t += 100) {
            clock.nanos += 100 * MS;
            for (Node n : nodes) n.own.tick();
        }
    }

    static Throwable failure(CompletionStage<?> s) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> s.toCompletableFuture().get());
        return e.getCause();
    }

    /**
     * A command still running at the deadline (a write-through write waiting for a DTL write while the cluster is
     * down) is answered NOT READY then, not when the backend gives up a minute later: RadosFailoverIT's initiator
     * timed out waiting for it once leased volumes became write-through.
     */
    @Test
    void aCommandStillRunningAtTheDeadlineIsFailedThen() throws Exception {
        Node a = new Node(store, clock, 1);
        a.own.tick();
        run(5_000, a);
        a.lease.unreachable = true;
        a.volume().holdWrites = true; // the write never completes on its own
        CompletionStage<Void> stuck = a.write();
        for (int i = 0; i < 200 && a.own.device().serving(); i++) clock.nanos += 100 * MS; // no tick: nobody detaches
        assertFalse(a.own.device().serving(), "the deadline passed");
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> stuck.toCompletableFuture().get(2 * LeasedDevice.SWEEP_MILLIS + 2_000,
                        java.util.concurrent.TimeUnit.MILLISECONDS));
        assertInstanceOf(VolumeHaltedException.class, e.getCause());
    }

    @Test
    void aStandbyTakesAFreeLeaseOpensTheVolumeAndServesItActiveOptimized() throws Exception {
        Node a = new Node(store, clock, 1);
        assertEquals(AccessState.STANDBY, a.state());
        assertInstanceOf(VolumeHaltedException.class, failure(a.write()), "a standby serves nothing");
        a.own.tick();
        assertEquals(VolumeOwnership.Phase.ACTIVE, a.own.phase());
        assertEquals(List.of(AccessState.STANDBY, AccessState.TRANSITIONING, AccessState.ACTIVE_OPTIMIZED), a.states);
        a.write().toCompletableFuture().get();
        assertEquals(List.of("write"), a.volume().calls);
        run(60_000, a); // renewed: served for a minute and more
        assertTrue(a.own.device().serving());
        assertFalse(store.expired());
    }

    @Test
    void aNodeThatCannotRenewStopsServingBeforeItsLeaseCanExpire() throws Exception {
        Node a = new Node(store, clock, 1);
        a.own.tick();
        run(5_000, a);
        a.lease.unreachable = true; // renewals go unanswered from now on
        long lastGrant = store.expiresAt; // the store's expiry as of the last renewal answered
        a.volume().holdWrites = true;
        CompletionStage<Void> inFlight = null;
        long stoppedAt = -1;
        for (int i = 0; i < 200; i++) {
            clock.nanos += 100 * MS;
            a.own.tick();
            boolean serving = a.own.device().serving();
            if (serving) {
                assertTrue(clock.nanos < lastGrant, "serving only before the lease can expire");
                if (inFlight == null && lastGrant - clock.nanos < 3_500 * MS) inFlight = a.write(); // admitted late
            } else if (stoppedAt < 0) {
                stoppedAt = clock.nanos;
            }
        }
        assertTrue(stoppedAt > 0 && stoppedAt < lastGrant, "stopped " + (lastGrant - stoppedAt) / MS
                + " ms before the lease could expire");
        assertTrue(lastGrant - stoppedAt >= S.margin().toNanos() - S.renewInterval().toNanos(),
                "with a margin of about " + S.margin());
        assertNotNull(inFlight);
        a.volume().pending.complete(null); // the write admitted before the deadline completes after it
        assertInstanceOf(VolumeHaltedException.class, failure(inFlight), "never acknowledged after the deadline");
        assertInstanceOf(VolumeHaltedException.class, failure(a.write()));
        assertEquals(VolumeOwnership.Phase.STANDBY, a.own.phase());
        assertEquals(List.of(AccessState.STANDBY, AccessState.TRANSITIONING, AccessState.ACTIVE_OPTIMIZED,
                AccessState.TRANSITIONING, AccessState.STANDBY), a.states, "02/04/0A, then standby; no error state");
        assertTrue(a.volume().closed, "the volume is closed: the next owner's now");
        assertEquals(List.of(AccessState.STANDBY), a.stateAtClose, "standby before the close, which may take long");
    }

    @Test
    void whenTheOwnerDiesTheFirstStandbyTakesOverAfterExpiryAndTheOtherStaysStandby() {
        Node a = new Node(store, clock, 1);
        Node b = new Node(store, clock, 2);
        Node c = new Node(store, clock, 3);
        a.own.tick();
        run(10_000, a, b, c);
        assertEquals(AccessState.ACTIVE_OPTIMIZED, a.state());
        assertEquals(AccessState.STANDBY, b.state());
        assertTrue(b.opened.isEmpty(), "a standby never opens the volume");
        long died = clock.nanos; // a is SIGKILLed: it ticks no more
        long expiry = store.expiresAt;
        long tookOver = -1;
        for (int i = 0; i < 400 && tookOver < 0; i++) {
            clock.nanos += 100 * MS;
            b.own.tick();
            c.own.tick();
            if (b.own.phase() == VolumeOwnership.Phase.ACTIVE || c.own.phase() == VolumeOwnership.Phase.ACTIVE) {
                tookOver = clock.nanos;
                assertTrue(clock.nanos >= expiry, "never before the dead owner's lease expired");
            }
        }
        assertTrue(tookOver > 0);
        assertTrue(tookOver - died <= S.failoverBound().toNanos(), "failover took " + (tookOver - died) / MS + " ms");
        run(30_000, b, c);
        int active = (b.own.phase() == VolumeOwnership.Phase.ACTIVE ? 1 : 0)
                + (c.own.phase() == VolumeOwnership.Phase.ACTIVE ? 1 : 0);
        assertEquals(1, active, "exactly one standby took it");
        assertEquals(1, b.opened.size() + c.opened.size());
    }

    @Test
    void aReturningNodeComesBackAsStandbyAndDoesNotStealTheLease() {
        Node a = new Node(store, clock, 1);
        Node b = new Node(store, clock, 2);
        a.own.tick();
        run(3_000, a, b);
        run(20_000, b); // a is dead; b takes over
        assertEquals(VolumeOwnership.Phase.ACTIVE, b.own.phase());
        Node back = new Node(store, clock, 1); // a restarted: same node id, a new handle
        back.own.tick();
        run(60_000, back, b);
        assertEquals(VolumeOwnership.Phase.STANDBY, back.own.phase());
        assertEquals(AccessState.STANDBY, back.state());
        assertTrue(back.opened.isEmpty());
        assertEquals(VolumeOwnership.Phase.ACTIVE, b.own.phase());
    }

    @Test
    void aLeaseTakenByAnotherNodeStopsTheFormerOwnerAtItsNextRenewal() {
        Node a = new Node(store, clock, 1);
        a.own.tick();
        run(1_000, a);
        store.expiresAt = clock.nanos; // the store let it expire (say the OSD's clock jumped) and b took it
        Node b = new Node(store, clock, 2);
        b.own.tick();
        assertEquals(VolumeOwnership.Phase.ACTIVE, b.own.phase());
        run(3_000, a, b);
        assertEquals(VolumeOwnership.Phase.STANDBY, a.own.phase(), "its renewal was refused: it stopped at once");
        assertTrue(a.volume().closed);
    }

    @Test
    void aMoveRequestHandsTheVolumeOverFlushedAndTheNamedNodeTakesIt() throws Exception {
        Node a = new Node(store, clock, 1);
        Node b = new Node(store, clock, 2);
        Node c = new Node(store, clock, 3);
        a.own.tick();
        run(2_000, a, b, c);
        a.write().toCompletableFuture().get();
        a.lease.requestMove(new Lease.MoveRequest("node3", clock.wallMillis() + 60_000));
        run(10_000, a, b, c);
        assertEquals(List.of("write", "flush", "close"), a.opened.get(0).calls, "flushed and closed, then released");
        assertEquals(VolumeOwnership.Phase.STANDBY, a.own.phase());
        assertEquals(VolumeOwnership.Phase.STANDBY, b.own.phase(), "not the named node: leaves it");
        assertEquals(VolumeOwnership.Phase.ACTIVE, c.own.phase());
        assertNull(store.move, "the named node clears the request once it serves");
        run(60_000, a, b, c);
        assertEquals(VolumeOwnership.Phase.ACTIVE, c.own.phase(), "and keeps it");
    }

    @Test
    void aVolumeThatCannotBeOpenedGivesTheLeaseBack() {
        Node a = new Node(store, clock, 1);
        a.openFails = true;
        a.own.tick();
        assertEquals(VolumeOwnership.Phase.STANDBY, a.own.phase());
        assertEquals(AccessState.STANDBY, a.state());
        assertTrue(store.holder == null, "released for another node to try");
    }

    @Test
    void anOwnerWhoseVolumeHaltedGivesTheLeaseUpAtOnceAndAnotherNodeTakesIt() {
        Node a = new Node(store, clock, 1);
        Node b = new Node(store, clock, 2);
        a.own.tick();
        run(5_000, a, b);
        a.volume().halted = true; // a local failure (its cache disk): it refuses all I/O until reopened
        long halted = clock.nanos;
        run(5_000, a, b);
        assertEquals(VolumeOwnership.Phase.ACTIVE, b.own.phase(), "taken over without waiting for the lease to run out");
        assertTrue(clock.nanos - halted <= S.pollInterval().toNanos() + S.renewInterval().toNanos() + 1_000 * MS);
        assertEquals(VolumeOwnership.Phase.STANDBY, a.own.phase());
        assertEquals(AccessState.STANDBY, a.state());
        assertTrue(a.volume().closed);
        run(60_000, a, b);
        assertEquals(VolumeOwnership.Phase.ACTIVE, b.own.phase(), "and keeps it");
        assertEquals(1, a.opened.size(), "the node that halted does not take it back while another serves it");
    }
}
