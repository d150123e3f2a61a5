package io.stowage.scsi;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** PERSISTENT RESERVE IN/OUT between two I_T nexuses, and the access each reservation type leaves the other. */
class PersistentReserveTest {
    final MemoryBlockDevice dev = new MemoryBlockDevice(1 << 20);
    final ScsiTarget target;
    final Nexus a = new Nexus("iqn.a,i,0x1", "t");
    final Nexus b = new Nexus("iqn.b,i,0x2", "t");

    PersistentReserveTest() {
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(dev));
        target = new ScsiTarget(new TargetPortIdentity("iqn.t", 1, 1), luns, new BufferPool(1 << 20));
    }

    ScsiResult run(Nexus n, String cdb, byte[] data) {
        return target.submit(new ScsiRequest(ScsiTargetTest.cdb(cdb), 0, data == null ? null : ByteBuffer.wrap(data), n))
                .toCompletableFuture().join();
    }

    ScsiResult out(Nexus n, int sa, int type, long key, long saKey) {
        byte[] p = new byte[24];
        ByteBuffer.wrap(p).putLong(0, key).putLong(8, saKey);
        return run(n, String.format("5f %02x %02x 00 00 00 00 00 18 00", sa, type), p);
    }

    int write(Nexus n) {
        return run(n, "2a 00 00 00 00 00 00 00 01 00", new byte[512]).status();
    }

    int read(Nexus n) {
        ScsiResult r = run(n, "28 00 00 00 00 00 00 00 01 00", null);
        r.release();
        return r.status();
    }

    @Test
    void writeExclusiveLetsOthersReadButNotWrite() {
        assertEquals(ScsiStatus.GOOD, out(a, 0, 0, 0, 0xA).status(), "register a");
        assertEquals(ScsiStatus.GOOD, out(b, 0, 0, 0, 0xB).status(), "register b");
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, out(b, 1, 1, 0xA, 0).status(), "reserve with a's key");
        assertEquals(ScsiStatus.GOOD, out(a, 1, 1, 0xA, 0).status(), "a reserves WRITE EXCLUSIVE");
        assertEquals(ScsiStatus.GOOD, read(b));
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, write(b));
        assertEquals(ScsiStatus.GOOD, write(a));
        byte[] keys = ScsiTargetTest.data(run(a, "5e 00 00 00 00 00 00 01 00 00", null));
        assertEquals(16, ByteBuffer.wrap(keys).getInt(4));
        assertEquals(0xA, ByteBuffer.wrap(keys).getLong(8));
        assertEquals(0xB, ByteBuffer.wrap(keys).getLong(16));
        byte[] res = ScsiTargetTest.data(run(b, "5e 01 00 00 00 00 00 01 00 00", null));
        assertEquals(0xA, ByteBuffer.wrap(res).getLong(8));
        assertEquals(1, res[21] & 0x0F, "type WRITE EXCLUSIVE");
    }

    @Test
    void exclusiveAccessRegistrantsOnlyAndPreemption() {
        out(a, 0, 0, 0, 0xA);
        assertEquals(ScsiStatus.GOOD, out(a, 1, 6, 0xA, 0).status());
        Nexus c = new Nexus("iqn.c,i,0x3", "t");
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, read(c), "not registered: no access at all");
        out(b, 0, 0, 0, 0xB);
        assertEquals(ScsiStatus.GOOD, read(b), "registrants may access");
        assertEquals(ScsiStatus.GOOD, out(b, 4, 3, 0xB, 0xA).status(), "b preempts a, taking EXCLUSIVE ACCESS");
        ScsiResult ua = run(a, "00 00 00 00 00 00", null);
        assertEquals(0x2A, ua.sense()[12] & 0xFF, "a sees REGISTRATIONS PREEMPTED first");
        assertEquals(0x05, ua.sense()[13] & 0xFF);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, out(a, 2, 6, 0xA, 0).status(), "a's registration is gone");
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, read(a));
        assertEquals(ScsiStatus.GOOD, out(b, 3, 0, 0xB, 0).status(), "clear");
        assertEquals(ScsiStatus.GOOD, write(a));
    }

    @Test
    void aptplReservationsComeBackWithTheVolume() {
        byte[] p = new byte[24];
        ByteBuffer.wrap(p).putLong(8, 0xA);
        p[20] = 0x01; // APTPL
        assertEquals(ScsiStatus.GOOD, run(a, "5f 00 00 00 00 00 00 00 18 00", p).status());
        assertEquals(ScsiStatus.GOOD, out(a, 1, 3, 0xA, 0).status(), "EXCLUSIVE ACCESS");
        assertNotNull(dev.state.get(LogicalUnit.RESERVATION_STATE), "stored with the volume");
        // the daemon restarts: a new LU over the same volume
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(dev));
        ScsiTarget restarted = new ScsiTarget(new TargetPortIdentity("iqn.t", 1, 1), luns, new BufferPool(1 << 20));
        ScsiResult r = restarted.submit(new ScsiRequest(ScsiTargetTest.cdb("5e 01 00 00 00 00 00 01 00 00"), 0, null, b))
                .toCompletableFuture().join();
        byte[] res = ScsiTargetTest.data(r);
        assertEquals(0xA, ByteBuffer.wrap(res).getLong(8), "the reservation survived");
        assertEquals(3, res[21] & 0x0F);
        ScsiResult blocked = restarted.submit(new ScsiRequest(ScsiTargetTest.cdb("28 00 00 00 00 00 00 00 01 00"), 0,
                null, b)).toCompletableFuture().join();
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, blocked.status());
        byte[] caps = ScsiTargetTest.data(run(a, "5e 02 00 00 00 00 00 00 08 00", null));
        assertEquals(0x01, caps[3] & 0x01, "PTPL_A");
        assertEquals(ScsiStatus.GOOD, out(a, 3, 0, 0xA, 0).status(), "clear");
        assertEquals(ScsiStatus.GOOD, out(a, 0, 0, 0, 0xC).status(), "register again without APTPL");
        assertNull(dev.state.get(LogicalUnit.RESERVATION_STATE), "APTPL ended: the stored state is dropped");
    }

    @Test
    void badRequestsAreRefused() {
        ScsiTargetTest.assertSense(run(a, "5e 07 00 00 00 00 00 01 00 00", null), 0x5, 0x24, 0x00);
        ScsiTargetTest.assertSense(run(a, "5f 00 00 00 00 00 00 00 10 00", new byte[16]), 0x5, 0x1A, 0x00);
        byte[] allPorts = new byte[24];
        allPorts[20] = 0x04; // ALL_TG_PT is not supported
        ScsiTargetTest.assertSense(run(a, "5f 00 00 00 00 00 00 00 18 00", allPorts), 0x5, 0x26, 0x00);
        out(a, 0, 0, 0, 0xA);
        ScsiTargetTest.assertSense(out(a, 1, 2, 0xA, 0), 0x5, 0x24, 0x00); // type 2 does not exist
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, run(b, "16 00 00 00 00 00", null).status(),
                "SCSI-2 RESERVE conflicts while persistent reservations are in use");
        byte[] caps = ScsiTargetTest.data(run(a, "5e 02 00 00 00 00 00 00 08 00", null));
        assertEquals(0x80, caps[3] & 0x80, "TMV");
        assertEquals(0x01, caps[2] & 0x01, "PTPL_C");
        assertEquals(0, caps[3] & 0x01, "PTPL_A: not requested");
    }
}
