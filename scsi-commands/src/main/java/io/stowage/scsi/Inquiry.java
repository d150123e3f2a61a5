package io.stowage.scsi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * INQUIRY (SPC-4 6.6): standard data and the vital product data pages 00h, 80h, 83h, B0h, B1h, B2h.
 * Every page listed in 00h is served, and nothing is listed that is not (Linux only fetches listed pages).
 */
final class Inquiry {
    static final String VENDOR = "STOWAGE ";          // T10 vendor identification, 8 bytes
    static final String PRODUCT = "VOLUME          "; // product identification, 16 bytes
    static final String REVISION = "0001";
    static final int[] VPD_PAGES = {0x00, 0x80, 0x83, 0x86, 0x8F, 0xB0, 0xB1, 0xB2};

    private Inquiry() {
    }

    static CompletionStage<ScsiResult> execute(Command c) {
        byte[] cdb = c.cdb();
        boolean evpd = (cdb[1] & 0x01) != 0;
        int page = Cdb.u8(cdb, 2);
        int alloc = Cdb.u16(cdb, 3);
        if ((cdb[1] & 0x02) != 0) {
            throw ScsiError.invalidField(1); // CMDDT is obsolete (SPC-4 6.6.1)
        }
        if (!evpd && page != 0) {
            throw ScsiError.invalidField(2);
        }
        byte[] data;
        if (c.unit() == null) {
            // SPC-4 6.6.2: peripheral qualifier 011b, device type 1Fh for a LUN that does not exist
            data = standard();
            data[0] = 0x7F;
        } else if (!evpd) {
            data = standard();
        } else {
            data = switch (page) {
                case 0x00 -> supportedPages();
                case 0x80 -> serial(c.unit());
                case 0x83 -> deviceIdentification(c.unit(), c.target().port());
                case 0x86 -> extendedInquiry();
                case 0x8F -> ExtendedCopy.thirdPartyCopyPage();
                case 0xB0 -> blockLimits(c.unit().device().capabilities());
                case 0xB1 -> blockDeviceCharacteristics();
                case 0xB2 -> logicalBlockProvisioning(c.unit().device().capabilities());
                default -> throw ScsiError.invalidField(2);
            };
        }
        return CompletableFuture.completedFuture(ScsiResult.data(data, alloc));
    }

    /** Standard INQUIRY data, 74 bytes (SPC-4 table 138). */
    static byte[] standard() {
        byte[] d = new byte[74];
        d[0] = 0x00;                 // connected, direct-access block device
        d[2] = 0x06;                 // VERSION: SPC-4
        d[3] = 0x12;                 // HISUP=1, RESPONSE DATA FORMAT=2
        d[4] = (byte) (d.length - 5);
        // TPGS=01b: implicit ALUA only (the nodes move volumes; SET TARGET PORT GROUPS is not supported); 3PC: XCOPY
        d[5] = 0x10 | 0x08;
        d[7] = 0x02;                 // CMDQUE: full task management model
        ascii(d, 8, VENDOR, 8);
        ascii(d, 16, PRODUCT, 16);
        ascii(d, 32, REVISION, 4);
        int[] versions = {0x00A0 /* SAM-5 */, 0x0960 /* iSCSI */, 0x0460 /* SPC-4 */, 0x04C0 /* SBC-3 */};
        for (int i = 0; i < versions.length; i++) {
            Cdb.put16(d, 58 + 2 * i, versions[i]);
        }
        return d;
    }

    static byte[] supportedPages() {
        byte[] d = new byte[4 + VPD_PAGES.length];
        d[1] = 0x00;
        Cdb.put16(d, 2, VPD_PAGES.length);
        for (int i = 0; i < VPD_PAGES.length; i++) {
            d[4 + i] = (byte) VPD_PAGES[i];
        }
        return d;
    }

    static byte[] serial(LogicalUnit unit) {
        byte[] s = unit.serial().getBytes(StandardCharsets.US_ASCII);
        byte[] d = new byte[4 + s.length];
        d[1] = (byte) 0x80;
        Cdb.put16(d, 2, s.length);
        System.arraycopy(s, 0, d, 4, s.length);
        return d;
    }

    /**
     * VPD 83h (SPC-4 7.8.6): NAA 6h for the LU, a T10 vendor ID designator, then for the target port the
     * relative target port (type 4), the target port group (type 5) and its SCSI name string (type 8).
     */
    static byte[] deviceIdentification(LogicalUnit unit, TargetPortIdentity port) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        designator(out, 0x01, 0x03, unit.naa());                                       // binary, LU, NAA
        designator(out, 0x02, 0x01, (VENDOR + unit.serial()).getBytes(StandardCharsets.US_ASCII)); // ASCII, T10
        byte[] rel = new byte[4];
        Cdb.put16(rel, 2, port.relativePortId());
        designator(out, 0x51, 0x94, rel);                         // iSCSI, PIV, target port, relative port
        byte[] group = new byte[4];
        Cdb.put16(group, 2, port.portGroupId());
        designator(out, 0x51, 0x95, group);                       // iSCSI, PIV, target port, port group
        byte[] name = port.portName().getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[(name.length + 1 + 3) & ~3];     // null-terminated, multiple of 4 (7.8.6.11)
        System.arraycopy(name, 0, padded, 0, name.length);
        designator(out, 0x53, 0x98, padded);                      // iSCSI, UTF-8, PIV, target port, SCSI name
        byte[] body = out.toByteArray();
        byte[] d = new byte[4 + body.length];
        d[1] = (byte) 0x83;
        Cdb.put16(d, 2, body.length);
        System.arraycopy(body, 0, d, 4, body.length);
        return d;
    }

    private static void designator(ByteArrayOutputStream out, int protocolAndCodeSet, int pivAssocType, byte[] id) {
        out.write(protocolAndCodeSet);
        out.write(pivAssocType);
        out.write(0);
        out.write(id.length);
        out.writeBytes(id);
    }

    /** VPD B0h (SBC-3 6.5.3): the limits the handlers enforce. */
    static byte[] blockLimits(io.stowage.volume.BlockDevice.Capabilities caps) {
        byte[] d = new byte[64];
        d[1] = (byte) 0xB0;
        Cdb.put16(d, 2, 0x3C);
        d[4] = 0x01; // WSNZ: WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 is refused
        if (caps.compareAndWrite()) {
            d[5] = (byte) CompareAndWrite.MAX_BLOCKS;
        }
        Cdb.put16(d, 6, 1 << LogicalUnit.PHYSICAL_BLOCK_EXPONENT); // OPTIMAL TRANSFER LENGTH GRANULARITY: 4 KiB
        Cdb.put32(d, 8, ScsiTarget.MAX_TRANSFER_BLOCKS);
        Cdb.put32(d, 12, ScsiTarget.OPTIMAL_TRANSFER_BLOCKS);
        if (caps.unmap()) {
            Cdb.put32(d, 20, ThinProvisioning.MAX_UNMAP_BLOCKS);
            Cdb.put32(d, 24, ThinProvisioning.MAX_UNMAP_DESCRIPTORS);
            Cdb.put32(d, 28, ThinProvisioning.UNMAP_GRANULARITY);
            d[32] = (byte) 0x80; // UGAVALID, UNMAP GRANULARITY ALIGNMENT 0
            Cdb.put64(d, 36, ThinProvisioning.MAX_WRITE_SAME_BLOCKS);
        }
        return d;
    }

    /** VPD 86h (SPC-4 7.8.7): simple task attribute; a volatile write cache exists (V_SUP). */
    static byte[] extendedInquiry() {
        byte[] d = new byte[64];
        d[1] = (byte) 0x86;
        Cdb.put16(d, 2, 0x3C);
        d[5] = 0x01; // SIMPSUP
        d[6] = 0x01; // V_SUP
        return d;
    }

    /** VPD B1h (SBC-3 6.5.2): non-rotating medium. */
    static byte[] blockDeviceCharacteristics() {
        byte[] d = new byte[64];
        d[1] = (byte) 0xB1;
        Cdb.put16(d, 2, 0x3C);
        Cdb.put16(d, 4, 0x0001);
        return d;
    }

    /**
     * VPD B2h (SBC-3 6.5.4): with an unmap-capable volume, LBPU (UNMAP), LBPWS and LBPWS10 (WRITE SAME with UNMAP)
     * and LBPRZ (deallocated blocks read zeros), thin provisioning — matching LBPME and LBPRZ in READ CAPACITY(16).
     */
    static byte[] logicalBlockProvisioning(io.stowage.volume.BlockDevice.Capabilities caps) {
        byte[] d = new byte[8];
        d[1] = (byte) 0xB2;
        Cdb.put16(d, 2, 4);
        if (caps.unmap()) {
            d[5] = (byte) 0xE4; // LBPU, LBPWS, LBPWS10, LBPRZ
            d[6] = 0x02;        // provisioning type: thin
        }
        return d;
    }

    /**
     * REPORT TARGET PORT GROUPS (SPC-4 6.27): implicit ALUA, this node's target port group with its one target port,
     * in the LU's access state here (active/optimized where this node owns the volume, standby or transitioning
     * elsewhere). Other nodes' groups are theirs to report: initiators ask every path (Linux scsi_dh_alua and ESXi
     * keep the state per group from the path that reported it). No group is preferred (PREF = 0): which node
     * serves is the owner's lease, not a static preference.
     */
    static CompletionStage<ScsiResult> reportTargetPortGroups(Command c) {
        byte[] cdb = c.cdb();
        int format = (cdb[1] >>> 5) & 0x07;
        long alloc = Cdb.u32(cdb, 6);
        if (format > 1) {
            throw ScsiError.invalidField(1);
        }
        TargetPortIdentity port = c.target().port();
        LogicalUnit unit = c.unit();
        unit.noticeHalt();
        int header = format == 1 ? 8 : 4;
        byte[] d = new byte[header + 8 + 4];
        Cdb.put32(d, 0, d.length - 4);
        if (format == 1) {
            d[4] = 0x10; // FORMAT TYPE 001b: extended header
            d[5] = (byte) AccessState.IMPLICIT_TRANSITION_SECONDS;
        }
        int at = header;
        d[at] = (byte) unit.accessState().code;      // PREF = 0, ASYMMETRIC ACCESS STATE
        d[at + 1] = (byte) AccessState.SUPPORTED;
        Cdb.put16(d, at + 2, port.portGroupId());
        d[at + 5] = (byte) (unit.accessStateChanged() ? 0x02 : 0x00); // STATUS: altered by implicit behaviour
        d[at + 7] = 1;                                                // one target port in the group
        Cdb.put16(d, at + 10, port.relativePortId());
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    private static void ascii(byte[] d, int at, String s, int width) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < width; i++) {
            d[at + i] = i < b.length ? b[i] : (byte) ' ';
        }
    }
}
