package io.stowage.rados;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.store.Lease;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Volume leases as Ceph exclusive locks with a duration, between two RADOS clients (two nodes). */
class RadosLeaseIT {
    static CephCluster ceph;

    @BeforeAll
    static void cluster() throws Exception {
        ceph = CephCluster.get();
    }

    @Test
    void oneHolderAtATimeUntilItStopsRenewingThenTheNextTakesIt() throws Exception {
        RadosBackendConfig cfg = ceph.config(CephCluster.uniquePrefix("lease"));
        Duration d = Duration.ofSeconds(2);
        try (RadosBackend nodeA = new RadosBackend(cfg); RadosBackend nodeB = new RadosBackend(cfg)) {
            Lease a = nodeA.leases().lease("vol", 1, "alpha");
            Lease b = nodeB.leases().lease("vol", 2, "beta");
            assertEquals(Optional.empty(), b.holder(), "nobody holds a fresh volume's lease");
            assertFalse(a.renew(d), "a lease never taken cannot be renewed");
            assertTrue(a.acquire(d));
            assertTrue(a.acquire(d), "taking what this handle holds extends it");
            assertFalse(b.acquire(d), "held by the other node");
            assertEquals(Optional.of(new Lease.Holder(1, "alpha")), b.holder());
            long until = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < until) { // renewed, it never expires
                assertTrue(a.renew(d));
                assertFalse(b.acquire(d), "a renewed lease is never taken");
                Thread.sleep(500);
            }
            Thread.sleep(2500); // a stops renewing: it expires
            assertTrue(b.acquire(d), "the first other node to ask after expiry takes it");
            assertFalse(a.renew(d), "the expired holder cannot renew what another took");
            assertFalse(a.acquire(d));
            assertEquals(Optional.of(new Lease.Holder(2, "beta")), a.holder());
            b.release();
            assertTrue(a.acquire(d), "a released lease is free at once");
            assertTrue(a.renew(d));
        }
    }

    @Test
    void aRestartedNodeCannotTakeItsOldLeaseBackBeforeItExpires() throws Exception {
        RadosBackendConfig cfg = ceph.config(CephCluster.uniquePrefix("lease"));
        Duration d = Duration.ofSeconds(3);
        try (RadosBackend before = new RadosBackend(cfg)) {
            assertTrue(before.leases().lease("vol", 1, "alpha").acquire(d));
        } // the process is gone; its lock stays until it expires
        try (RadosBackend after = new RadosBackend(cfg)) {
            Lease again = after.leases().lease("vol", 1, "alpha");
            assertFalse(again.acquire(d), "a new instance of the same node is another holder");
            assertFalse(again.renew(d));
            Thread.sleep(3500);
            assertTrue(again.acquire(d), "after expiry it may");
        }
    }

    @Test
    void aMoveRequestIsSeenByEveryNodeAndCleared() throws Exception {
        RadosBackendConfig cfg = ceph.config(CephCluster.uniquePrefix("lease"));
        try (RadosBackend nodeA = new RadosBackend(cfg); RadosBackend nodeB = new RadosBackend(cfg)) {
            Lease a = nodeA.leases().lease("vol", 1, "alpha");
            Lease b = nodeB.leases().lease("vol", 2, "beta");
            assertEquals(Optional.empty(), a.moveRequest());
            a.requestMove(null); // clearing nothing is fine
            assertTrue(a.acquire(Duration.ofSeconds(5)));
            b.requestMove(new Lease.MoveRequest("beta", 1234567890123L));
            assertEquals(Optional.of(new Lease.MoveRequest("beta", 1234567890123L)), a.moveRequest());
            assertTrue(a.renew(Duration.ofSeconds(5)), "the request leaves the lock alone");
            b.requestMove(null);
            assertEquals(Optional.empty(), a.moveRequest());
        }
    }
}
