package io.stowage.scsi;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Each handler at byte level, through the same pipeline the fabric uses. */
class ScsiTargetTest {
    static final long SIZE = 1 << 20; // 2048 blocks
    final MemoryBlockDevice dev = new MemoryBlockDevice(SIZE);
    final ScsiTarget target;

    ScsiTargetTest() {
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(dev));
        luns.put(3, new LogicalUnit(new MemoryBlockDevice(SIZE * 16, false))); // no thin provisioning, no CAW
        target = new ScsiTarget(new TargetPortIdentity("iqn.2026-11.io.stowage:t", 1, 1), luns, new BufferPool(1 << 20));
    }

    static byte[] cdb(String hex) {
        byte[] c = Arrays.copyOf(HexFormat.ofDelimiter(" ").parseHex(hex), 16);
        return c;
    }

    ScsiResult run(long lun, String cdb, byte[] dataOut) {
        return target.submit(new ScsiRequest(cdb(cdb), lun, dataOut == null ? null : ByteBuffer.wrap(dataOut),
                new Nexus("i", "t"))).toCompletableFuture().join();
    }

    ScsiResult run(String cdb) {
        return run(0, cdb, null);
    }

    static byte[] data(ScsiResult r) {
        byte[] b = new byte[r.dataIn().remaining()];
        r.dataIn().duplicate().get(b);
        return b;
    }

    static void assertSense(ScsiResult r, int key, int asc, int ascq) {
        assertEquals(ScsiStatus.CHECK_CONDITION, r.status(), r.toString());
        assertEquals(key, r.sense()[2] & 0x0F);
        assertEquals(asc, r.sense()[12] & 0xFF);
        assertEquals(ascq, r.sense()[13] & 0xFF);
    }

    @Test
    void removingALunTellsThisTargetsNexusesToRescanAndLaterCommandsFindNoLun() {
        Nexus n = new Nexus("i", target.port().portName());
        target.nexusConnected(n);
        java.util.function.IntFunction<ScsiResult> tur = lun -> target.submit(new ScsiRequest(cdb("00 00 00 00 00 00"),
                lun, null, n)).toCompletableFuture().join();
        assertSense(tur.apply(0), 0x6, 0x29, 0x00);
        assertSense(tur.apply(3), 0x6, 0x29, 0x00);
        assertEquals(ScsiStatus.GOOD, tur.apply(0).status());
        assertNotNull(target.removeLun(3));
        assertNull(target.removeLun(3), "already gone");
        assertSense(tur.apply(3), 0x5, 0x25, 0x00);
        assertSense(tur.apply(0), 0x6, 0x3F, 0x0E);
        assertEquals(ScsiStatus.GOOD, tur.apply(0).status(), "reported once");
        assertEquals(java.util.Set.of(0), target.luns().keySet());
    }

    @Test
    void unknownOpcodeIsInvalidCommandOperationCode() {
        assertSense(run("c0 00 00 00 00 00"), 0x5, 0x20, 0x00);
        assertSense(run("9e 1f 00 00 00 00 00 00 00 00 00 00 00 20 00 00"), 0x5, 0x24, 0x00); // unknown SA
    }

    @Test
    void absentLunGetsLogicalUnitNotSupportedButInquiryAndReportLunsWork() {
        assertSense(run(7, "00 00 00 00 00 00", null), 0x5, 0x25, 0x00);
        ScsiResult inq = run(7, "12 00 00 00 24 00", null);
        assertEquals(0x7F, data(inq)[0] & 0xFF, "peripheral qualifier 3, type 1Fh");
        ScsiResult luns = run(7, "a0 00 00 00 00 00 00 00 01 00 00 00", null);
        byte[] d = data(luns);
        assertEquals(16, ByteBuffer.wrap(d).getInt(0), "two LUNs");
        assertEquals(0, d[9]);
        assertEquals(3, d[17]);
    }

    @Test
    void nacaIsRejected() {
        assertSense(run("00 00 00 00 00 04"), 0x5, 0x24, 0x00);
    }

    @Test
    void standardInquiry() {
        byte[] d = data(run("12 00 00 00 ff 00"));
        assertEquals(74, d.length);
        assertEquals(0x00, d[0]);
        assertEquals(0x06, d[2], "SPC-4");
        assertEquals(0x12, d[3], "HiSup, format 2");
        assertEquals(69, d[4]);
        assertEquals(0x02, d[7], "CmdQue");
        assertEquals("STOWAGE VOLUME          0001", new String(d, 8, 28));
        assertEquals(5, data(run("12 00 00 00 05 00")).length, "allocation length truncates");
        assertSense(run("12 00 80 00 ff 00"), 0x5, 0x24, 0x00);
        assertSense(run("12 02 00 00 ff 00"), 0x5, 0x24, 0x00);
    }

    @Test
    void vpdPagesListedAreServed() {
        byte[] list = data(run("12 01 00 00 ff 00"));
        assertEquals(8, list[3]);
        for (int i = 4; i < 4 + list[3]; i++) {
            int page = list[i] & 0xFF;
            byte[] p = data(run(String.format("12 01 %02x 00 ff 00", page)));
            assertEquals(page, p[1] & 0xFF);
            assertEquals(p.length - 4, ((p[2] & 0xFF) << 8) | (p[3] & 0xFF), "page length of " + page);
        }
        assertSense(run("12 01 89 00 ff 00"), 0x5, 0x24, 0x00);
    }

    @Test
    void deviceIdentificationCarriesAStableNaa6() {
        byte[] d = data(run("12 01 83 00 ff 00"));
        assertEquals(0x01, d[4], "binary code set");
        assertEquals(0x03, d[5], "LU association, NAA");
        assertEquals(16, d[7]);
        assertEquals(0x6, (d[8] >> 4) & 0x0F, "NAA 6h");
        byte[] again = data(run("12 01 83 00 ff 00"));
        assertArrayEquals(d, again);
        assertArrayEquals(LogicalUnit.naa6(dev.info().uuid()), Arrays.copyOfRange(d, 8, 24));
        String all = new String(d, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(all.contains("iqn.2026-11.io.stowage:t,t,0x0001"), "SCSI name string of the target port");
    }

    @Test
    void serialIsTheVolumeUuid() {
        byte[] d = data(run("12 01 80 00 ff 00"));
        assertEquals("123456789abc4def8123456789abcdef", new String(d, 4, d[3]));
    }

    @Test
    void blockLimitsAdvertiseTheTransferLimits() {
        ByteBuffer b = ByteBuffer.wrap(data(run("12 01 b0 00 ff 00")));
        assertEquals(8, b.getShort(6));
        assertEquals(ScsiTarget.MAX_TRANSFER_BLOCKS, b.getInt(8));
        assertEquals(CompareAndWrite.MAX_BLOCKS, b.get(5));
        assertEquals(ThinProvisioning.MAX_UNMAP_BLOCKS, b.getInt(20));
        assertEquals(8, b.getInt(28), "optimal unmap granularity: one 4 KiB cluster");
        assertEquals(0x80, b.get(32) & 0x80, "UGAVALID");
        ByteBuffer plain = ByteBuffer.wrap(data(run(3, "12 01 b0 00 ff 00", null)));
        assertEquals(0, plain.get(5), "no COMPARE AND WRITE without the capability");
        assertEquals(0, plain.getInt(20), "no UNMAP without the capability");
    }

    @Test
    void readCapacityReportsTheLastLba() {
        ByteBuffer rc10 = ByteBuffer.wrap(data(run("25 00 00 00 00 00 00 00 00 00")));
        assertEquals(2047, rc10.getInt(0));
        assertEquals(512, rc10.getInt(4));
        ByteBuffer rc16 = ByteBuffer.wrap(data(run("9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00")));
        assertEquals(2047, rc16.getLong(0));
        assertEquals(512, rc16.getInt(8));
        assertEquals(3, rc16.get(13) & 0x0F, "LBPPBE: 4 KiB physical blocks");
        assertEquals(0xC0, rc16.get(14) & 0xC0, "LBPME and LBPRZ, as VPD B2h says");
        assertEquals(0xE4, data(run("12 01 b2 00 ff 00"))[5] & 0xFF, "LBPU LBPWS LBPWS10 LBPRZ");
        ByteBuffer plain = ByteBuffer.wrap(data(run(3, "9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00", null)));
        assertEquals(0, plain.get(14) & 0xC0);
        assertEquals(0, data(run(3, "12 01 b2 00 ff 00", null))[5]);
        assertEquals(8, data(run("9e 10 00 00 00 00 00 00 00 00 00 00 00 08 00 00")).length);
        assertSense(run("25 00 00 00 00 01 00 00 00 00"), 0x5, 0x24, 0x00);
    }

    @Test
    void modeSenseReturnsCachingWithWceAndDpofua() {
        byte[] all = data(run("1a 00 3f 00 ff 00"));
        assertEquals(all.length - 1, all[0] & 0xFF);
        assertEquals(0x10, all[2], "DPOFUA");
        assertEquals(8, all[3], "one block descriptor");
        assertEquals(2048, ByteBuffer.wrap(all).getInt(4));
        byte[] caching = data(run("1a 08 08 00 ff 00"));
        assertEquals(0, caching[3], "DBD: no descriptor");
        assertEquals(0x08, caching[4]);
        assertEquals(0x12, caching[5]);
        assertEquals(0x04, caching[6] & 0x04, "WCE");
        assertEquals(0, data(run(3, "1a 08 08 00 ff 00", null))[6] & 0x04, "write-through LU: WCE = 0");
        byte[] changeable = data(run("1a 08 48 00 ff 00"));
        assertEquals(0, changeable[6], "nothing changeable");
        byte[] ten = data(run("5a 10 0a 00 00 00 00 00 ff 00"));
        assertEquals(1, ten[4], "LONGLBA");
        assertEquals(16, ten[7]);
        assertEquals(0x0A, ten[8 + 16]);
        assertSense(run("1a 00 c8 00 ff 00"), 0x5, 0x39, 0x00);
        assertSense(run("1a 00 05 00 ff 00"), 0x5, 0x24, 0x00);
    }

    @Test
    void writeReadVerifyRoundTrip() {
        byte[] block = new byte[1024];
        Arrays.fill(block, (byte) 0x5a);
        ScsiResult w = run(0, "2a 08 00 00 00 10 00 00 02 00", block);
        assertEquals(ScsiStatus.GOOD, w.status());
        assertEquals(1024, w.transferLength());
        assertEquals(1, dev.fuaWrites.get(), "FUA reaches the device");
        ScsiResult r = run("88 00 00 00 00 00 00 00 00 10 00 00 00 02 00 00");
        assertArrayEquals(block, data(r));
        r.release();
        assertEquals(ScsiStatus.GOOD, run(0, "2f 02 00 00 00 10 00 00 02 00", block).status());
        byte[] other = block.clone();
        other[700] = 1;
        ScsiResult mis = run(0, "2f 02 00 00 00 10 00 00 02 00", other);
        assertSense(mis, 0xE, 0x1D, 0x00);
        assertEquals(700, ByteBuffer.wrap(mis.sense()).getInt(3), "offset of the first difference");
        assertEquals(0x80, mis.sense()[0] & 0x80, "INFORMATION valid");
    }

    @Test
    void aFullCacheDiskIsSpaceAllocationFailedWriteProtect() {
        byte[] block = new byte[512];
        dev.writeFailure = new io.stowage.volume.OutOfSpaceException("cache disk full (test)", null);
        assertSense(run(0, "2a 00 00 00 00 10 00 00 01 00", block), 0x7, 0x27, 0x07); // DATA PROTECT
        ScsiResult read = run("28 00 00 00 00 10 00 00 01 00");
        assertEquals(ScsiStatus.GOOD, read.status(), "reads go on");
        read.release();
        dev.writeFailure = new java.io.IOException("Input/output error");
        assertSense(run(0, "2a 00 00 00 00 10 00 00 01 00", block), 0x3, 0x0C, 0x00); // any other: WRITE ERROR
        dev.writeFailure = null;
        assertEquals(ScsiStatus.GOOD, run(0, "2a 00 00 00 00 10 00 00 01 00", block).status());
    }

    @Test
    void theSenseFollowsTheEngineExceptionUnderTheAsyncWrappers() {
        byte[] block = new byte[512];
        dev.wrapFailures = true;
        dev.writeFailure = new io.stowage.volume.OutOfSpaceException("cache disk full (test)", null);
        assertSense(run(0, "2a 00 00 00 00 10 00 00 01 00", block), 0x7, 0x27, 0x07);
        dev.writeFailure = new io.stowage.volume.VolumeHaltedException("volume mem is halted (test)", null);
        assertSense(run(0, "2a 00 00 00 00 10 00 00 01 00", block), 0x2, 0x04, 0x0A);
    }

    @Test
    void shortDataOutWritesOnlyWholeBlocksReceived() {
        byte[] one = new byte[512];
        Arrays.fill(one, (byte) 'b');
        ScsiResult w = run(0, "2a 00 00 00 00 00 00 00 02 00", one);
        assertEquals(ScsiStatus.GOOD, w.status());
        assertEquals(1024, w.transferLength(), "wanted two blocks: the fabric reports the overflow");
        assertEquals('b', dev.bytes[511]);
        assertEquals(0, dev.bytes[512], "second block untouched");
    }

    @Test
    void rangeAndTransferLengthChecks() {
        assertSense(run("28 00 00 00 07 ff 00 00 02 00"), 0x5, 0x21, 0x00);
        assertEquals(ScsiStatus.GOOD, run("28 00 00 00 08 00 00 00 00 00").status(), "0 blocks at the end is fine");
        assertSense(run("28 00 00 00 08 01 00 00 00 00"), 0x5, 0x21, 0x00);
        assertSense(run("88 00 ff ff ff ff ff ff ff ff 00 00 00 01 00 00"), 0x5, 0x21, 0x00);
        assertSense(run("28 20 00 00 00 00 00 00 01 00"), 0x5, 0x24, 0x00); // RDPROTECT
        assertSense(run(3, "a8 00 00 00 00 00 00 00 20 01 00 00", null), 0x5, 0x24, 0x00); // above max transfer
    }

    @Test
    void read6TransferLengthZeroMeans256Blocks() {
        ScsiResult r = run("08 00 00 00 00 00");
        assertEquals(256 * 512, r.dataIn().remaining());
        r.release();
    }

    @Test
    void synchronizeCacheFlushes() {
        assertEquals(ScsiStatus.GOOD, run("35 00 00 00 00 00 00 00 00 00").status());
        assertEquals(ScsiStatus.GOOD, run("91 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00").status());
        assertEquals(2, dev.flushes.get());
        assertSense(run("35 00 00 00 09 00 00 00 00 00"), 0x5, 0x21, 0x00);
    }

    @Test
    void unmapWriteSameAndLbaStatus() {
        byte[] data = new byte[8192];
        Arrays.fill(data, (byte) 7);
        run(0, "2a 00 00 00 00 00 00 00 10 00", data); // blocks 0..15 (two clusters)
        byte[] list = new byte[24];
        ByteBuffer.wrap(list).putShort(0, (short) 22).putShort(2, (short) 16).putLong(8, 8).putInt(16, 8);
        assertEquals(ScsiStatus.GOOD, run(0, "42 00 00 00 00 00 00 00 18 00", list).status());
        assertEquals(0, dev.bytes[4096], "unmapped blocks read zeros");
        assertEquals(7, dev.bytes[4095]);
        ByteBuffer st = ByteBuffer.wrap(data(run("9e 12 00 00 00 00 00 00 00 00 00 00 00 40 00 00")));
        assertEquals(0, st.getLong(8));
        assertEquals(8, st.getInt(16));
        assertEquals(0, st.get(20), "mapped");
        assertEquals(8, st.getLong(24));
        assertEquals(1, st.get(36), "deallocated");
        byte[] block = new byte[512];
        Arrays.fill(block, (byte) 3);
        assertEquals(ScsiStatus.GOOD, run(0, "93 00 00 00 00 00 00 00 00 20 00 00 00 10 00 00", block).status());
        assertEquals(3, dev.bytes[0x20 * 512 + 16 * 512 - 1]);
        assertEquals(ScsiStatus.GOOD, run(0, "93 09 00 00 00 00 00 00 00 20 00 00 00 10 00 00", null).status(),
                "NDOB + UNMAP");
        assertEquals(0, dev.bytes[0x20 * 512]);
        assertSense(run(0, "93 00 00 00 00 00 00 00 00 20 00 00 00 00 00 00", block), 0x5, 0x24, 0x00); // WSNZ
        ByteBuffer bad = ByteBuffer.wrap(list.clone()).putLong(8, 4096); // beyond 2048 blocks
        assertSense(run(0, "42 00 00 00 00 00 00 00 18 00", bad.array()), 0x5, 0x21, 0x00);
        assertSense(run(3, "42 00 00 00 00 00 00 00 18 00", list), 0x5, 0x20, 0x00); // not for a thick LU
    }

    @Test
    void compareAndWriteIsAtomicCompareThenWrite() {
        byte[] both = new byte[1024];
        Arrays.fill(both, 512, 1024, (byte) 9); // compare with zeros, write nines
        assertEquals(ScsiStatus.GOOD, run(0, "89 00 00 00 00 00 00 00 00 05 00 00 00 01 00 00", both).status());
        assertEquals(9, dev.bytes[5 * 512]);
        ScsiResult mis = run(0, "89 00 00 00 00 00 00 00 00 05 00 00 00 01 00 00", both);
        assertSense(mis, 0xE, 0x1D, 0x00);
        assertEquals(0, ByteBuffer.wrap(mis.sense()).getInt(3), "first differing byte");
        assertSense(run(0, "89 00 00 00 00 00 00 00 00 05 00 00 00 01 00 00", new byte[512]), 0x5, 0x24, 0x00);
        assertSense(run(0, "89 00 00 00 00 00 00 00 00 05 00 00 00 09 00 00", new byte[9216]), 0x5, 0x24, 0x00);
    }

    /** An E4h identification descriptor naming {@code unit} by its NAA. */
    static byte[] cscd(LogicalUnit unit) {
        byte[] d = new byte[32];
        d[0] = (byte) 0xE4;
        d[4] = 0x01;       // binary
        d[5] = 0x03;       // LU, NAA
        d[7] = 16;
        System.arraycopy(unit.naa(), 0, d, 8, 16);
        d[30] = 0x02;      // block length 512
        return d;
    }

    @Test
    void extendedCopyCopiesBetweenLogicalUnitsAndReportsStatus() {
        byte[] data = new byte[4096];
        new java.util.Random(5).nextBytes(data);
        run(0, "2a 00 00 00 00 10 00 00 08 00", data);
        LogicalUnit src = target.luns().get(0);
        LogicalUnit dst = target.luns().get(3);
        ByteBuffer p = ByteBuffer.allocate(16 + 64 + 28);
        p.put(0, (byte) 7);                      // list identifier
        p.putShort(2, (short) 64);               // two CSCD descriptors
        p.putInt(8, 28);                         // one segment
        p.put(16, cscd(src)).put(48, cscd(dst));
        int seg = 80;
        p.put(seg, (byte) 0x02).putShort(seg + 2, (short) 0x18).putShort(seg + 4, (short) 0).putShort(seg + 6, (short) 1)
                .putShort(seg + 10, (short) 8).putLong(seg + 12, 0x10).putLong(seg + 20, 0x100);
        ScsiResult r = run(0, "83 00 00 00 00 00 00 00 00 00 00 00 00 6c 00 00", p.array());
        assertEquals(ScsiStatus.GOOD, r.status(), r.toString());
        ScsiResult back = run(3, "28 00 00 00 01 00 00 00 08 00", null);
        assertArrayEquals(data, data(back));
        back.release();
        byte[] status = data(run(0, "84 00 07 00 00 00 00 00 00 00 00 00 00 20 00 00", null));
        assertEquals(1, ByteBuffer.wrap(status).getShort(5), "one segment processed");
        assertEquals(8, ByteBuffer.wrap(status).getInt(8), "eight blocks");
        assertSense(run(0, "84 00 07 00 00 00 00 00 00 00 00 00 00 20 00 00", null), 0x5, 0x24, 0x00); // reported once
        p.put(seg + 7, (byte) 5);                // a CSCD index that does not exist
        assertSense(run(0, "83 00 00 00 00 00 00 00 00 00 00 00 00 6c 00 00", p.array()), 0xA, 0x08, 0x04);
        assertEquals(0x08, data(run("12 00 00 00 ff 00"))[5] & 0x08, "3PC");
    }

    @Test
    void extendedCopyBetweenDevicesThatShareClustersLeavesTheCopyToTheDestination() {
        java.util.concurrent.atomic.AtomicLong asked = new java.util.concurrent.atomic.AtomicLong(-1);
        MemoryBlockDevice sharing = new MemoryBlockDevice(SIZE) { // a clone's parent: remaps what it shares
            @Override
            public io.stowage.volume.VolumeInfo info() { // its own NAA
                return new io.stowage.volume.VolumeInfo("sharing",
                        java.util.UUID.fromString("0badc0de-9abc-4def-8123-456789abcdef"), SIZE);
            }

            @Override
            public java.util.concurrent.CompletionStage<Boolean> copyFrom(io.stowage.volume.BlockDevice source,
                                                                          long src, long dst, long length) {
                asked.set(length);
                return java.util.concurrent.CompletableFuture.completedFuture(true);
            }
        };
        target.addLun(6, new LogicalUnit(sharing));
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 7);
        run(0, "2a 00 00 00 00 10 00 00 08 00", data);
        ByteBuffer p = ByteBuffer.allocate(16 + 64 + 28);
        p.put(0, (byte) 8);
        p.putShort(2, (short) 64);
        p.putInt(8, 28);
        p.put(16, cscd(target.luns().get(0))).put(48, cscd(target.luns().get(6)));
        int seg = 80;
        p.put(seg, (byte) 0x02).putShort(seg + 2, (short) 0x18).putShort(seg + 4, (short) 0).putShort(seg + 6, (short) 1)
                .putShort(seg + 10, (short) 8).putLong(seg + 12, 0x10).putLong(seg + 20, 0x100);
        ScsiResult r = run(0, "83 00 00 00 00 00 00 00 00 00 00 00 00 6c 00 00", p.array());
        assertEquals(ScsiStatus.GOOD, r.status(), r.toString());
        assertEquals(4096, asked.get(), "the destination was asked to copy from the source");
        ScsiResult back = run(6, "28 00 00 00 01 00 00 00 08 00", null);
        assertArrayEquals(new byte[4096], data(back), "no data moved by the command: the device remapped it");
        back.release();
    }

    @Test
    void orWriteOrsTheDataIn() {
        byte[] a = new byte[512];
        Arrays.fill(a, (byte) 0x0F);
        run(0, "2a 00 00 00 00 40 00 00 01 00", a);
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) 0xF0);
        assertEquals(ScsiStatus.GOOD, run(0, "8b 00 00 00 00 00 00 00 00 40 00 00 00 01 00 00", b).status());
        assertEquals((byte) 0xFF, dev.bytes[0x40 * 512 + 100]);
        assertSense(run(0, "8b 20 00 00 00 00 00 00 00 40 00 00 00 01 00 00", b), 0x5, 0x24, 0x00); // ORPROTECT
    }

    @Test
    void reportTargetPortGroupsAndTpgs() {
        assertEquals(0x10, data(run("12 00 00 00 ff 00"))[5] & 0x30, "TPGS = implicit ALUA");
        ByteBuffer b = ByteBuffer.wrap(data(run("a3 0a 00 00 00 00 00 00 01 00 00 00")));
        assertEquals(12, b.getInt(0));
        assertEquals(0x00, b.get(4) & 0xFF, "active/optimized, not preferred over other nodes");
        assertEquals(1, b.getShort(6), "target port group 1");
        assertEquals(1, b.getShort(14), "relative target port 1");
    }

    @Test
    void requestSenseAndUnitCommands() {
        byte[] s = data(run("03 00 00 00 ff 00"));
        assertEquals(0x70, s[0]);
        assertEquals(0, s[2]);
        assertEquals(0x72, data(run("03 01 00 00 ff 00"))[0]);
        assertEquals(ScsiStatus.GOOD, run("00 00 00 00 00 00").status());
        assertEquals(ScsiStatus.GOOD, run("1b 00 00 00 01 00").status());
    }

    /** SPC-4 6.39: REQUEST SENSE with DESC = 1 reports a pending unit attention in descriptor format (72h). */
    @Test
    void requestSenseReportsAUnitAttentionInTheFormatAskedFor() {
        target.nexusConnected(new Nexus("i", "t"));
        byte[] d = data(run("03 01 00 00 ff 00"));
        assertEquals(0x72, d[0], "descriptor format");
        assertEquals(0x06, d[1] & 0x0F, "UNIT ATTENTION");
        assertEquals(0x29, d[2] & 0xFF, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED");
        assertEquals(8, d.length);
        target.nexusConnected(new Nexus("i", "t"));
        byte[] f = data(run("03 00 00 00 ff 00"));
        assertEquals(0x70, f[0], "fixed format");
        assertEquals(0x29, f[12] & 0xFF);
    }

    /** SPC-4 6.33: REPORT LUNS clears the nexus's REPORTED LUNS DATA HAS CHANGED, on every LU of the target. */
    @Test
    void reportLunsClearsReportedLunsDataHasChanged() {
        Nexus n = new Nexus("i", "t");
        target.nexusConnected(n);
        run(0, "00 00 00 00 00 00", null); // the power-on attentions
        run(3, "00 00 00 00 00 00", null);
        target.addLun(5, new LogicalUnit(new MemoryBlockDevice(SIZE, false)));
        ScsiResult luns = run(0, "a0 00 00 00 00 00 00 00 01 00 00 00", null);
        assertEquals(ScsiStatus.GOOD, luns.status());
        luns.release();
        assertEquals(ScsiStatus.GOOD, run(0, "00 00 00 00 00 00", null).status(), "cleared on LU 0");
        assertEquals(ScsiStatus.GOOD, run(3, "00 00 00 00 00 00", null).status(), "and on LU 3");
    }
}
