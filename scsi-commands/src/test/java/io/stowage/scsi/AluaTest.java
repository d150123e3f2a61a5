package io.stowage.scsi;

import static io.stowage.scsi.ScsiTargetTest.assertSense;
import static io.stowage.scsi.ScsiTargetTest.data;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * ALUA as one node of several shows it (SPC-4 5.15): this node's target port group and relative port in VPD 83h and
 * REPORT TARGET PORT GROUPS, the LU's access state (active/optimized where it is owned, standby or transitioning
 * elsewhere), what each state admits, the unit attention a change raises on every nexus, and SET TARGET PORT GROUPS
 * refused (transitions are the nodes' decision, never the initiator's).
 */
class AluaTest {
    static final String IQN = "iqn.2026-11.io.stowage:t";
    final MemoryBlockDevice dev = new MemoryBlockDevice(1 << 20);
    final LogicalUnit unit = new LogicalUnit(dev);
    final ScsiTarget target;
    final Nexus a = new Nexus("iqn.a,i,0x1", IQN + ",t,0x0003");
    final Nexus b = new Nexus("iqn.b,i,0x2", IQN + ",t,0x0003");

    AluaTest() {
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, unit);
        target = new ScsiTarget(TargetPortIdentity.ofNode(IQN, 3), luns, new BufferPool(1 << 20));
    }

    ScsiResult run(Nexus n, String cdb, byte[] data) {
        return target.submit(new ScsiRequest(ScsiTargetTest.cdb(cdb), 0, data == null ? null : ByteBuffer.wrap(data),
                n)).toCompletableFuture().join();
    }

    ScsiResult run(Nexus n, String cdb) {
        return run(n, cdb, null);
    }

    /** The one target port group descriptor of REPORT TARGET PORT GROUPS (extended header). */
    ByteBuffer rtpg(Nexus n) {
        ByteBuffer r = ByteBuffer.wrap(data(run(n, "a3 2a 00 00 00 00 00 00 01 00 00 00")));
        assertEquals(0x10, r.get(4) & 0x70, "format type 001b: extended header");
        assertEquals(AccessState.IMPLICIT_TRANSITION_SECONDS, r.get(5) & 0xFF, "implicit transition time");
        assertEquals(r.capacity() - 4, r.getInt(0), "returned data length");
        return r.position(8).slice();
    }

    @Test
    void eachNodeHasItsOwnPortGroupAndRelativePort() {
        TargetPortIdentity one = TargetPortIdentity.ofNode(IQN, 1);
        TargetPortIdentity three = TargetPortIdentity.ofNode(IQN, 3);
        assertNotEquals(one.portGroupId(), three.portGroupId());
        assertNotEquals(one.relativePortId(), three.relativePortId());
        assertNotEquals(one.portName(), three.portName(), "each node is its own iSCSI target port");
        assertEquals(three, TargetPortIdentity.ofNode(IQN, 3), "derived from the node id alone: stable");
        assertThrows(IllegalArgumentException.class, () -> TargetPortIdentity.ofNode(IQN, 0), "0 is reserved");

        byte[] d = data(run(a, "12 01 83 00 ff 00"));
        ByteBuffer v = ByteBuffer.wrap(d);
        int relativePort = -1;
        int group = -1;
        for (int at = 4; at < d.length; at += 4 + (d[at + 3] & 0xFF)) {
            int type = d[at + 1] & 0x3F; // association (bits 5-4) and designator type
            if (type == 0x14) relativePort = v.getShort(at + 6) & 0xFFFF;
            if (type == 0x15) group = v.getShort(at + 6) & 0xFFFF;
        }
        assertEquals(three.relativePortId(), relativePort, "VPD 83h relative target port (type 4)");
        assertEquals(three.portGroupId(), group, "VPD 83h target port group (type 5)");
        assertTrue(new String(d, StandardCharsets.ISO_8859_1).contains(IQN + ",t,0x0003"), "SCSI name string");
        assertEquals(0x10, data(run(a, "12 00 00 00 ff 00"))[5] & 0x30, "TPGS = 01b: implicit ALUA only");
    }

    @Test
    void reportTargetPortGroupsShowsTheStateOfThisNodesGroup() {
        ByteBuffer g = rtpg(a);
        assertEquals(0x0, g.get(0) & 0x0F, "active/optimized: this node owns what it serves");
        assertEquals(0, g.get(0) & 0x80, "no group is preferred over another node's");
        assertEquals(0x85, g.get(1) & 0xFF, "T_SUP, S_SUP, AO_SUP: the states a LU can be in");
        assertEquals(3, g.getShort(2), "target port group = node 3");
        assertEquals(0, g.get(5), "status: no transition yet");
        assertEquals(1, g.get(7), "one target port");
        assertEquals(3, g.getShort(10), "relative target port of node 3");

        unit.changeAccessState(AccessState.STANDBY);
        g = rtpg(a);
        assertEquals(0x2, g.get(0) & 0x0F, "standby");
        assertEquals(0x02, g.get(5), "status: altered by implicit behaviour");
        unit.changeAccessState(AccessState.TRANSITIONING);
        assertEquals(0xF, rtpg(a).get(0) & 0x0F, "transitioning");

        ByteBuffer lengthOnly = ByteBuffer.wrap(data(run(a, "a3 0a 00 00 00 00 00 00 01 00 00 00")));
        assertEquals(12, lengthOnly.getInt(0), "length-only header: 4 + one descriptor of 8 + one port of 4");
        assertEquals(0xF, lengthOnly.get(4) & 0x0F);
    }

    @Test
    void aStateChangeIsAUnitAttentionOnEveryNexusOnce() {
        target.nexusConnected(a);
        target.nexusConnected(b);
        assertSense(run(a, "00 00 00 00 00 00"), 0x6, 0x29, 0x00);
        assertSense(run(b, "00 00 00 00 00 00"), 0x6, 0x29, 0x00);
        assertTrue(unit.changeAccessState(AccessState.STANDBY));
        assertFalse(unit.changeAccessState(AccessState.STANDBY), "no change, no attention");
        for (Nexus n : new Nexus[] {a, b}) {
            assertSense(run(n, "28 00 00 00 00 00 00 00 01 00"), 0x6, 0x2A, 0x06); // ASYMMETRIC ACCESS STATE CHANGED
            assertSense(run(n, "28 00 00 00 00 00 00 00 01 00"), 0x2, 0x04, 0x0B); // then: standby
        }
        unit.changeAccessState(AccessState.ACTIVE_OPTIMIZED);
        assertSense(run(a, "00 00 00 00 00 00"), 0x6, 0x2A, 0x06);
        assertEquals(ScsiStatus.GOOD, run(a, "00 00 00 00 00 00").status());
    }

    /** READ CAPACITY too, as LIO: Linux's sd reads it on every path while it probes the device. */
    @Test
    void standbyAdmitsOnlyWhatDoesNotTouchTheMedium() {
        unit.changeAccessState(AccessState.STANDBY);
        run(a, "00 00 00 00 00 00"); // the attention
        assertSense(run(a, "00 00 00 00 00 00"), 0x2, 0x04, 0x0B); // TUR: dm-multipath's tur checker sees a ghost path
        assertSense(run(a, "28 00 00 00 00 00 00 00 01 00"), 0x2, 0x04, 0x0B);
        assertSense(run(a, "2a 00 00 00 00 00 00 00 01 00", new byte[512]), 0x2, 0x04, 0x0B);
        assertSense(run(a, "35 00 00 00 00 00 00 00 00 00"), 0x2, 0x04, 0x0B);
        assertEquals(0, dev.bytes[0] | dev.flushes.get(), "the device was not touched");
        for (String admitted : new String[] {"12 00 00 00 ff 00", "12 01 83 00 ff 00", "1a 00 3f 00 ff 00",
                "a0 00 00 00 00 00 00 00 01 00 00 00", "a3 0a 00 00 00 00 00 00 01 00 00 00", "03 00 00 00 ff 00",
                "5e 00 00 00 00 00 00 01 00 00", "a3 0c 00 00 00 00 00 00 10 00 00 00",
                "25 00 00 00 00 00 00 00 00 00", "9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00"}) {
            assertEquals(ScsiStatus.GOOD, run(a, admitted).status(), admitted);
        }
    }

    @Test
    void transitioningAdmitsOnlyInquiryReportLunsRtpgAndRequestSense() {
        unit.changeAccessState(AccessState.TRANSITIONING);
        run(a, "00 00 00 00 00 00"); // the attention
        assertSense(run(a, "00 00 00 00 00 00"), 0x2, 0x04, 0x0A);
        assertSense(run(a, "28 00 00 00 00 00 00 00 01 00"), 0x2, 0x04, 0x0A);
        assertSense(run(a, "1a 00 3f 00 ff 00"), 0x2, 0x04, 0x0A);
        assertSense(run(a, "5e 00 00 00 00 00 00 01 00 00"), 0x2, 0x04, 0x0A);
        for (String admitted : new String[] {"12 00 00 00 ff 00", "a0 00 00 00 00 00 00 00 01 00 00 00",
                "a3 0a 00 00 00 00 00 00 01 00 00 00", "03 00 00 00 ff 00"}) {
            assertEquals(ScsiStatus.GOOD, run(a, admitted).status(), admitted);
        }
    }

    /**
     * EXTENDED COPY sent to a served LU that names one this node does not serve (standby): the copy may not read it
     * here; COPY ABORTED / COPY TARGET DEVICE NOT REACHABLE, so the initiator copies by itself through the right path.
     */
    @Test
    void extendedCopyDoesNotReachALogicalUnitInStandby() {
        MemoryBlockDevice otherDev = new MemoryBlockDevice(1 << 20, false);
        LogicalUnit other = new LogicalUnit(otherDev);
        target.addLun(1, other);
        other.changeAccessState(AccessState.STANDBY);
        ByteBuffer p = ByteBuffer.allocate(16 + 64 + 28);
        p.putShort(2, (short) 64);
        p.putInt(8, 28);
        p.put(16, ScsiTargetTest.cscd(other)).put(48, ScsiTargetTest.cscd(unit));
        p.put(80, (byte) 0x02).putShort(82, (short) 0x18).putShort(84, (short) 0).putShort(86, (short) 1)
                .putShort(90, (short) 8).putLong(92, 0).putLong(100, 0);
        otherDev.bytes[0] = 7;
        ScsiResult r = run(b, "83 00 00 00 00 00 00 00 00 00 00 00 00 6c 00 00", p.array());
        assertSense(r, 0xA, 0x0D, 0x02);
        assertEquals(0, dev.bytes[0], "nothing was copied from the standby LU");
    }

    @Test
    void setTargetPortGroupsIsRefused() {
        byte[] param = new byte[8];
        ByteBuffer.wrap(param).put(4, (byte) 0x02).putShort(6, (short) 3); // "make group 3 standby"
        assertSense(run(a, "a4 0a 00 00 00 00 00 00 00 08 00 00", param), 0x5, 0x20, 0x00);
        assertEquals(AccessState.ACTIVE_OPTIMIZED, unit.accessState());
    }
}
