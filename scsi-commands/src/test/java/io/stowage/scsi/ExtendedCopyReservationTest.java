package io.stowage.scsi;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * EXTENDED COPY under reservations, decided as follows. The copy is a write to the LU it is sent to (the table's
 * WRITES trait, as LIO treats a command that carries data out and SPC-4's conflict table lists EXTENDED COPY), and
 * every segment is checked against the LUs it touches, which the copy names by NAA and may be other LUs: the
 * source as a read, the destination as a write, for the nexus that sent the copy. So a nexus can never move data
 * into (or, under the EXCLUSIVE ACCESS types, out of) a LU reserved by another one, whichever LU it addresses.
 */
class ExtendedCopyReservationTest {
    final Nexus a = new Nexus("iqn.a,i,0x1", "t");
    final Nexus b = new Nexus("iqn.b,i,0x2", "t");
    final ScsiTarget target;
    final LogicalUnit reserved;
    final LogicalUnit free;

    ExtendedCopyReservationTest() {
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        reserved = new LogicalUnit(new MemoryBlockDevice(1 << 20, true));
        free = new LogicalUnit(new MemoryBlockDevice(1 << 20, false));
        luns.put(0, reserved);
        luns.put(1, free);
        target = new ScsiTarget(new TargetPortIdentity("iqn.t", 1, 1), luns, new BufferPool(1 << 20));
    }

    ScsiResult run(Nexus n, int lun, String cdb, byte[] data) {
        return target.submit(new ScsiRequest(ScsiTargetTest.cdb(cdb), lun, data == null ? null
                : ByteBuffer.wrap(data), n)).toCompletableFuture().join();
    }

    int prOut(Nexus n, int sa, int type, long key, long saKey) {
        byte[] p = new byte[24];
        ByteBuffer.wrap(p).putLong(0, key).putLong(8, saKey);
        return run(n, 0, String.format("5f %02x %02x 00 00 00 00 00 18 00", sa, type), p).status();
    }

    /** EXTENDED COPY sent to {@code lun}: 8 blocks from {@code from} to {@code to}. */
    int copy(Nexus n, int lun, LogicalUnit from, LogicalUnit to) {
        ByteBuffer p = ByteBuffer.allocate(16 + 64 + 28);
        p.putShort(2, (short) 64);
        p.putInt(8, 28);
        p.put(16, ScsiTargetTest.cscd(from)).put(48, ScsiTargetTest.cscd(to));
        p.put(80, (byte) 0x02).putShort(82, (short) 0x18).putShort(84, (short) 0).putShort(86, (short) 1)
                .putShort(90, (short) 8).putLong(92, 0).putLong(100, 64);
        return run(n, lun, "83 00 00 00 00 00 00 00 00 00 00 00 00 6c 00 00", p.array()).status();
    }

    /** Per persistent reservation type (SPC-4 table 48 codes) and whether b is registered. */
    void expect(int type, boolean bRegistered) {
        assertEquals(ScsiStatus.GOOD, prOut(a, 0, 0, 0, 0xA));
        if (bRegistered) assertEquals(ScsiStatus.GOOD, prOut(b, 0, 0, 0, 0xB));
        assertEquals(ScsiStatus.GOOD, prOut(a, 1, type, 0xA, 0), "a reserves type " + type);
        boolean registrantsMayWrite = type >= 5 && bRegistered; // RO and AR types open access to registrants
        boolean othersMayRead = type == 1 || type == 5 || type == 7 || registrantsMayWrite;
        String what = "type " + type + (bRegistered ? ", b registered" : ", b not registered");
        int conflict = ScsiStatus.RESERVATION_CONFLICT;
        assertEquals(registrantsMayWrite ? ScsiStatus.GOOD : conflict, copy(b, 0, free, reserved),
                "b copies into the reserved LU, sent to it; " + what);
        assertEquals(registrantsMayWrite ? ScsiStatus.GOOD : conflict, copy(b, 1, free, reserved),
                "b copies into the reserved LU, sent to the free one; " + what);
        assertEquals(othersMayRead ? ScsiStatus.GOOD : conflict, copy(b, 1, reserved, free),
                "b copies out of the reserved LU, sent to the free one; " + what);
        assertEquals(ScsiStatus.GOOD, copy(a, 0, free, reserved), "the holder copies; " + what);
        assertEquals(ScsiStatus.GOOD, copy(a, 1, reserved, free), "the holder copies; " + what);
        assertEquals(ScsiStatus.GOOD, copy(b, 1, free, free), "the free LU is free; " + what);
    }

    @Test
    void writeExclusive() {
        expect(1, false);
    }

    @Test
    void exclusiveAccess() {
        expect(3, false);
    }

    @Test
    void writeExclusiveRegistrantsOnly() {
        expect(5, true);
    }

    @Test
    void writeExclusiveRegistrantsOnlyUnregistered() {
        expect(5, false);
    }

    @Test
    void exclusiveAccessRegistrantsOnly() {
        expect(6, true);
    }

    @Test
    void exclusiveAccessRegistrantsOnlyUnregistered() {
        expect(6, false);
    }

    @Test
    void writeExclusiveAllRegistrants() {
        expect(7, true);
    }

    @Test
    void exclusiveAccessAllRegistrants() {
        expect(8, true);
    }

    @Test
    void exclusiveAccessAllRegistrantsUnregistered() {
        expect(8, false);
    }

    /** A SCSI-2 reservation (RESERVE(6)) keeps every other nexus's copy away from the LU, in both directions. */
    @Test
    void scsi2Reservation() {
        assertEquals(ScsiStatus.GOOD, run(a, 0, "16 00 00 00 00 00", null).status());
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, copy(b, 0, free, reserved));
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, copy(b, 1, free, reserved));
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, copy(b, 1, reserved, free));
        assertEquals(ScsiStatus.GOOD, copy(a, 1, reserved, free));
        assertEquals(ScsiStatus.GOOD, copy(b, 1, free, free));
    }
}
