package io.stowage.target.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import io.stowage.target.transport.mina.MinaPortal;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recovery paths (RFC 7143 §6.3.5, §7): what happens to the commands of a session that is reinstated or whose
 * connection is lost. Runs the real portal, sessions and SCSI layer over loopback on a {@link ParkingBlockDevice},
 * so a write can be held in the "backend" while the initiator gives up on it and retries on a new session.
 */
class RecoveryTest {
    static final String IQN = "iqn.2026-11.io.stowage:recovery";
    ParkingBlockDevice device;
    MinaPortal portal;
    InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        device = new ParkingBlockDevice(1 << 20);
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(device));
        BufferPool buffers = new BufferPool(4 << 20);
        ExportedTarget target = new ExportedTarget(IQN, new ScsiTarget(new TargetPortIdentity(IQN, 1, 1), luns,
                buffers), 1);
        TargetDirectory directory = new TargetDirectory(List.of(target));
        SessionRegistry registry = new SessionRegistry();
        portal = new MinaPortal(new InetSocketAddress("127.0.0.1", 0), 15,
                wire -> new Connection(wire, directory, registry, buffers, 1, Map.of()));
        address = portal.boundAddress();
    }

    @AfterEach
    void stop() {
        device.releaseParked();
        portal.close();
    }

    TestInitiator login(long isid) throws Exception {
        TestInitiator t = new TestInitiator(address);
        t.isid = isid;
        TestInitiator.Rx r = t.login(IQN, Map.of());
        assertEquals(0x23, r.opcode());
        assertEquals(0, r.b().getShort(36), "login status (never 0301h for a reinstatement)");
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    static byte[] block(int fill) {
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    /** WRITE(10) of one block at LBA 0 with immediate data, and its GOOD status. */
    static void writeBlock(TestInitiator t, int itt, byte[] data) throws Exception {
        t.command(itt, ServerProtocolTest.write10(0, 1), 512, false, true, data, true);
        TestInitiator.Rx r = t.next();
        assertEquals(0x21, r.opcode());
        assertEquals(itt, r.itt());
        assertEquals(0, r.bhs()[3], "GOOD");
    }

    /**
     * Linux's escalation after a backend stall: the write A is stuck, the initiator drops the connection (or
     * just logs in again: reinstatement), logs in with the same ISID and retries with the newer data B. The old
     * write must not land after B: the new session's final Login Response waits until A has ended.
     */
    void anOldWriteNeverLandsAfterTheReinstatedSessionsWrite(boolean dropFirst) throws Exception {
        long isid = 0x400000000555L;
        TestInitiator first = login(isid);
        device.park(true);
        first.command(1, ServerProtocolTest.write10(0, 1), 512, false, true, block(0xAA), true);
        device.awaitParked(1);
        device.park(false);
        if (dropFirst) {
            first.close();
        }
        CompletableFuture<TestInitiator> retried = CompletableFuture.supplyAsync(() -> {
            try {
                TestInitiator second = login(isid);
                writeBlock(second, 2, block(0xBB));
                return second;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            retried.get(1, TimeUnit.SECONDS); // before the fix the new session wrote B at once
        } catch (TimeoutException expected) {
            // the login is held while the old session's write is in flight
        }
        device.releaseParked(); // the stalled backend comes back and the old write completes
        try (TestInitiator second = retried.get(10, TimeUnit.SECONDS)) {
            second.command(3, ServerProtocolTest.read10(0, 1), 512, true, false, null, true);
            assertArrayEquals(block(0xBB), ServerProtocolTest.readAll(second, 3, 512), "the retried write wins");
        } finally {
            first.close();
        }
    }

    @Test
    void connectionLossThenLoginWaitsForTheOldWrite() throws Exception {
        anOldWriteNeverLandsAfterTheReinstatedSessionsWrite(true);
    }

    @Test
    void reinstatementWaitsForTheOldWrite() throws Exception {
        anOldWriteNeverLandsAfterTheReinstatedSessionsWrite(false);
    }
}
