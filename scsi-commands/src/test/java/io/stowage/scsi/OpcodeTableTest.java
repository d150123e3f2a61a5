package io.stowage.scsi;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Table-driven: every row dispatches, and REPORT SUPPORTED OPERATION CODES reports exactly the table. */
class OpcodeTableTest {
    private final ScsiTargetTest t = new ScsiTargetTest();

    @Test
    void everyEntryDispatchesToItsHandlerNotToInvalidOpcode() {
        for (OpcodeEntry e : OpcodeTable.STANDARD.all()) {
            byte[] cdb = new byte[16];
            cdb[0] = (byte) e.opcode();
            if (e.hasServiceAction()) cdb[1] = (byte) e.serviceAction();
            cdb[e.cdbLength() - 1 - (e.cdbLength() == 16 ? 2 : e.cdbLength() == 12 ? 1 : 0)] = 0x10; // some length
            ScsiResult r = t.target.submit(new ScsiRequest(cdb, 0, ByteBuffer.allocate(1 << 14), new Nexus("i", "t")))
                    .toCompletableFuture().join();
            if (r.sense() != null) {
                assertFalse((r.sense()[12] & 0xFF) == 0x20, e.name() + " answered INVALID COMMAND OPERATION CODE");
            }
            r.release();
            assertEquals(e.opcode(), e.usage()[0] & 0xFF, e.name() + ": usage data starts with the opcode");
            assertEquals(e.cdbLength(), e.usage().length);
        }
    }

    @Test
    void reportAllListsExactlyTheTable() {
        byte[] d = ScsiTargetTest.data(t.run("a3 0c 00 00 00 00 00 00 10 00 00 00"));
        ByteBuffer b = ByteBuffer.wrap(d);
        int length = b.getInt(0);
        assertEquals(d.length - 4, length);
        Set<String> reported = new HashSet<>();
        for (int i = 4; i < d.length; i += 8) {
            String key = (d[i] & 0xFF) + "/" + ((d[i + 5] & 1) != 0 ? b.getShort(i + 2) : -1);
            assertTrue(reported.add(key), "listed once: " + key);
            assertEquals(OpcodeTable.STANDARD.lookup(cdbFor(d[i] & 0xFF, b.getShort(i + 2))).cdbLength(),
                    b.getShort(i + 6));
        }
        assertEquals(OpcodeTable.STANDARD.all().size(), reported.size());
    }

    @Test
    void reportOneCommand() {
        byte[] read10 = ScsiTargetTest.data(t.run("a3 0c 01 28 00 00 00 00 00 ff 00 00"));
        assertEquals(3, read10[1] & 0x07, "supported");
        assertEquals(10, read10[3]);
        assertEquals(0x28, read10[4] & 0xFF);
        byte[] missing = ScsiTargetTest.data(t.run("a3 0c 01 c0 00 00 00 00 00 ff 00 00"));
        assertEquals(1, missing[1] & 0x07, "not supported");
        byte[] rc16 = ScsiTargetTest.data(t.run("a3 0c 02 9e 00 10 00 00 00 ff 00 00"));
        assertEquals(3, rc16[1] & 0x07);
        ScsiTargetTest.assertSense(t.run("a3 0c 01 9e 00 00 00 00 00 ff 00 00"), 0x5, 0x24, 0x00);
        byte[] withTimeouts = ScsiTargetTest.data(t.run("a3 0c 81 28 00 00 00 00 00 ff 00 00"));
        assertEquals(4 + 10 + 12, withTimeouts.length);
    }

    private static byte[] cdbFor(int opcode, int sa) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        c[1] = (byte) sa;
        return c;
    }

    @Test
    void bufferPoolSizeClasses() {
        assertEquals(0, BufferPool.classOf(1));
        assertEquals(0, BufferPool.classOf(4096));
        assertEquals(1, BufferPool.classOf(4097));
        assertEquals(12, BufferPool.classOf(16 << 20));
        BufferPool pool = new BufferPool(1 << 20);
        ByteBuffer a = pool.acquire(5000);
        assertEquals(5000, a.limit());
        assertEquals(8192, a.capacity());
        pool.release(a);
        assertSame(a, pool.acquire(8000), "recycled");
        TreeMap<Integer, LogicalUnit> none = new TreeMap<>();
        assertTrue(none.isEmpty());
    }

    /** The pipeline's facts live in the rows; these are the SPC-4/SAM-5 sets they must add up to. */
    @Test
    void everyRowCarriesItsPipelineFacts() {
        Set<Integer> noLu = new HashSet<>();
        Set<Integer> uaExempt = new HashSet<>();
        for (OpcodeEntry e : OpcodeTable.STANDARD.all()) {
            if (e.has(OpcodeEntry.Trait.NO_LU)) noLu.add(e.opcode());
            if (e.has(OpcodeEntry.Trait.UA_EXEMPT)) uaExempt.add(e.opcode());
            String n = e.name();
            boolean reads = n.startsWith("READ(") || n.startsWith("VERIFY") || n.startsWith("PRE-FETCH");
            boolean writes = n.startsWith("WRITE") || n.equals("UNMAP") || n.contains("COMPARE AND WRITE")
                    || n.startsWith("ORWRITE") || n.startsWith("SYNCHRONIZE CACHE") || n.startsWith("EXTENDED COPY");
            assertEquals(writes, e.has(OpcodeEntry.Trait.WRITES), n + " writes the medium");
            assertFalse(e.has(OpcodeEntry.Trait.READS) && e.has(OpcodeEntry.Trait.WRITES), n);
            if (reads) assertTrue(e.has(OpcodeEntry.Trait.READS), n + " reads the medium");
            if (e.has(OpcodeEntry.Trait.NO_LU)) assertTrue(e.has(OpcodeEntry.Trait.SCSI2_EXEMPT), n);
            assertEquals(e.hasServiceAction(), OpcodeTable.STANDARD.usesServiceActions(e.opcode()), n);
        }
        assertEquals(Set.of(0x12, 0xA0, 0x03), noLu, "SPC-4 4.6.4");
        assertEquals(Set.of(0x12, 0xA0), uaExempt, "SAM-5 5.3.2");
    }
}
