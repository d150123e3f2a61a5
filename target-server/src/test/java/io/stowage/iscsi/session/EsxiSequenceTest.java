package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.node.Daemon;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays what two ESXi hosts send to a LUN they share as a VMFS datastore: the device scan (VPD 00h/80h/83h/86h/
 * B0h/B2h, READ CAPACITY(16), MODE SENSE, REPORT TARGET PORT GROUPS), the ATS heartbeat (COMPARE AND WRITE
 * alternating between the hosts), 1 MiB UNMAPs, an XCOPY clone, ABORT TASK of a finished task and a LUN RESET —
 * and checks every answer.
 */
class EsxiSequenceTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    @TempDir static Path dir;
    static Daemon daemon;
    static InetSocketAddress portal;
    int itt = 100;

    @BeforeAll
    static void start() throws Exception {
        daemon = LoopbackDaemon.start(dir, Map.of("volume.demo.size", "64M"));
        portal = daemon.portalAddress();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static TestInitiator host(long isid, String name) throws Exception {
        TestInitiator t = new TestInitiator(portal);
        t.isid = isid;
        t.initiatorName = name;
        assertEquals(0, t.login(IQN, Map.of()).bhs()[36]);
        ServerProtocolTest.clearPowerOnAttention(t, 0);
        return t;
    }

    static byte[] cdb(String hex) {
        return Arrays.copyOf(java.util.HexFormat.ofDelimiter(" ").parseHex(hex), 16);
    }

    /** Sends a command and collects its answer: {status, data, sense}. */
    record Answer(int status, byte[] data, byte[] sense) {
    }

    Answer send(TestInitiator t, byte[] cdb, int edtl, boolean read, byte[] out) throws Exception {
        int tag = itt++;
        t.command(tag, cdb, edtl, read, out != null, out, true);
        java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
        while (true) {
            TestInitiator.Rx r = t.next();
            assertEquals(tag, r.itt(), "answer to our command");
            if (r.opcode() == 0x25) {
                in.writeBytes(r.data());
                if ((r.flags() & 0x01) != 0) return new Answer(r.bhs()[3], in.toByteArray(), null);
            } else {
                assertEquals(0x21, r.opcode());
                byte[] sense = r.data().length > 2 ? Arrays.copyOfRange(r.data(), 2, r.data().length) : null;
                return new Answer(r.bhs()[3], in.toByteArray(), sense);
            }
        }
    }

    Answer good(TestInitiator t, String cdb, int edtl, boolean read, byte[] out) throws Exception {
        Answer a = send(t, cdb(cdb), edtl, read, out);
        assertEquals(0, a.status(), cdb + " -> status " + a.status() + " sense " + Arrays.toString(a.sense()));
        return a;
    }

    @Test
    void twoHostsScanShareAndMaintainAVmfsLun() throws Exception {
        try (TestInitiator h1 = host(0x400000e51001L, "iqn.1998-01.com.vmware:esx1");
             TestInitiator h2 = host(0x400000e51002L, "iqn.1998-01.com.vmware:esx2")) {
            // --- scan
            byte[] std = good(h1, "12 00 00 00 ff 00", 255, true, null).data();
            assertEquals(0x10, std[5] & 0x30, "TPGS: implicit ALUA (VMW_SATP_ALUA)");
            assertEquals(0x08, std[5] & 0x08, "3PC: XCOPY");
            byte[] pages = good(h1, "12 01 00 00 ff 00", 255, true, null).data();
            for (int p : new int[] {0x80, 0x83, 0x86, 0xB0, 0xB2}) {
                boolean listed = false;
                for (int i = 4; i < pages.length; i++) listed |= (pages[i] & 0xFF) == p;
                assertTrue(listed, "VPD page " + Integer.toHexString(p) + " listed");
            }
            byte[] id1 = good(h1, "12 01 83 00 ff 00", 255, true, null).data();
            byte[] id2 = good(h2, "12 01 83 00 ff 00", 255, true, null).data();
            assertArrayEquals(id1, id2, "the same NAA on every path");
            assertEquals(0x6, (id1[8] >> 4) & 0x0F, "NAA 6h first");
            assertTrue(good(h1, "12 01 86 00 ff 00", 255, true, null).data().length >= 64);
            ByteBuffer b0 = ByteBuffer.wrap(good(h1, "12 01 b0 00 ff 00", 255, true, null).data());
            assertTrue((b0.get(5) & 0xFF) >= 1, "ATS: MAXIMUM COMPARE AND WRITE LENGTH");
            assertTrue(b0.getInt(20) >= 2048, "UNMAP of at least 1 MiB");
            assertTrue(b0.getInt(28) <= 2048, "optimal unmap granularity <= 1 MiB (ESXi 6.5 auto-unmap)");
            assertEquals(0x80, good(h1, "12 01 b2 00 ff 00", 255, true, null).data()[5] & 0x80, "LBPU");
            byte[] rc16 = good(h1, "9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00", 32, true, null).data();
            assertEquals(0x80, rc16[14] & 0x80, "LBPME");
            assertEquals(0x10, good(h1, "1a 00 3f 00 ff 00", 255, true, null).data()[2] & 0x10, "DPOFUA");
            byte[] tpg = good(h1, "a3 0a 00 00 00 00 00 00 01 00 00 00", 256, true, null).data();
            assertEquals(0, tpg[4] & 0x0F, "active/optimized");

            // --- ATS heartbeat: each host rewrites the heartbeat block, comparing with what the other wrote
            byte[] block = new byte[512];
            good(h1, "2a 00 00 00 10 00 00 00 01 00", 512, false, block);
            byte[] current = block;
            for (int round = 0; round < 20; round++) {
                TestInitiator h = round % 2 == 0 ? h1 : h2;
                byte[] next = new byte[512];
                Arrays.fill(next, (byte) (round + 1));
                byte[] caw = new byte[1024];
                System.arraycopy(current, 0, caw, 0, 512);
                System.arraycopy(next, 0, caw, 512, 512);
                good(h, "89 00 00 00 00 00 00 00 10 00 00 00 00 01 00 00", 1024, false, caw);
                // the other host's stale view miscompares
                Answer stale = send(round % 2 == 0 ? h2 : h1, cdb("89 00 00 00 00 00 00 00 10 00 00 00 00 01 00 00"),
                        1024, false, caw);
                assertEquals(2, stale.status());
                assertEquals(0x0E, stale.sense()[2] & 0x0F, "MISCOMPARE");
                current = next;
            }

            // --- a VM writes 2 MiB, then is deleted: VMFS6 unmaps in 1 MiB units
            byte[] vm = new byte[1 << 21];
            new Random(1).nextBytes(vm);
            for (int off = 0; off < vm.length; off += 65536) {
                long lba = 4096 + off / 512;
                good(h1, String.format("2a 00 %02x %02x %02x %02x 00 00 80 00", lba >>> 24, (lba >>> 16) & 0xFF,
                        (lba >>> 8) & 0xFF, lba & 0xFF), 65536, false,
                        Arrays.copyOfRange(vm, off, off + 65536));
            }
            // --- XCOPY clone of the first MiB of the VM to LBA 16384 (same LU)
            byte[] naa = Arrays.copyOfRange(id1, 8, 24);
            ByteBuffer p = ByteBuffer.allocate(16 + 32 + 28);
            p.putShort(2, (short) 32).putInt(8, 28);
            p.put(16, (byte) 0xE4).put(20, (byte) 1).put(21, (byte) 3).put(23, (byte) 16).put(24, naa)
                    .put(46, (byte) 0x02);
            p.put(48, (byte) 0x02).putShort(50, (short) 0x18).putShort(58, (short) 2048).putLong(60, 4096)
                    .putLong(68, 16384);
            good(h2, "83 00 00 00 00 00 00 00 00 00 00 00 00 4c 00 00", 76, false, p.array());
            byte[] clone = good(h1, "28 00 00 00 40 00 00 08 00 00", 1 << 20, true, null).data();
            assertArrayEquals(Arrays.copyOf(vm, 1 << 20), clone, "the clone reads back");
            for (int mib = 0; mib < 2; mib++) {
                byte[] list = new byte[24];
                ByteBuffer.wrap(list).putShort(0, (short) 22).putShort(2, (short) 16)
                        .putLong(8, 4096 + mib * 2048L).putInt(16, 2048);
                good(h1, "42 00 00 00 00 00 00 00 18 00", 24, false, list);
            }
            byte[] status = good(h1, "9e 12 00 00 00 00 00 00 10 00 00 00 00 18 00 00", 24, true, null).data();
            assertEquals(1, status[20] & 0x0F, "the unmapped range is deallocated");
            byte[] zeros = good(h2, "28 00 00 00 10 00 00 08 00 00", 1 << 20, true, null).data();
            assertArrayEquals(new byte[1 << 20], zeros, "unmapped space reads zeros (LBPRZ)");

            // --- ABORT TASK of a finished task, then LUN RESET
            int cmdSn = h1.cmdSn;
            good(h1, "00 00 00 00 00 00", 0, false, null);
            h1.taskManagement(0x900, 1, 0, itt - 1, cmdSn);
            TestInitiator.Rx abort = h1.next();
            assertEquals(0x22, abort.opcode());
            assertEquals(1, abort.bhs()[2], "TASK DOES NOT EXIST for a finished task, as LIO (its GOOD was seen)");
            h2.taskManagement(0x901, 5, 0, 0, 0);
            assertEquals(0, h2.next().bhs()[2], "LUN RESET: FUNCTION COMPLETE");
            for (TestInitiator h : new TestInitiator[] {h1, h2}) {
                Answer ua = send(h, cdb("00 00 00 00 00 00"), 0, false, null);
                assertEquals(2, ua.status());
                assertEquals(0x06, ua.sense()[2] & 0x0F, "UNIT ATTENTION after the reset, on both hosts");
                good(h, "00 00 00 00 00 00", 0, false, null);
            }
        }
    }
}
