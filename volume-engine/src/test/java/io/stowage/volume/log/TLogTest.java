package io.stowage.volume.log;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TLogTest {
    @TempDir Path dir;

    @Test
    void entriesRoundTripAndATornTailIsCutOff() throws Exception {
        Path f = dir.resolve("tlog");
        try (TLogWriter w = new TLogWriter(f)) {
            w.append(TLogEntry.write(7, ClusterLocation.of(0, 3, 9), 0x1234));
            w.append(TLogEntry.discard(100, 50));
            w.append(TLogEntry.scoSealed(3, 10, 0x55));
            w.append(TLogEntry.closed());
        }
        List<TLogEntry> e = TLogReader.read(f);
        assertEquals(4, e.size());
        assertEquals(TLogEntry.write(7, ClusterLocation.of(0, 3, 9), 0x1234), e.get(0));
        assertEquals(TLogEntry.discard(100, 50), e.get(1));
        byte[] bytes = Files.readAllBytes(f);
        bytes[3 * 32 + 10] ^= 1; // corrupt the last entry
        assertEquals(3, TLogReader.read(bytes).size());
        assertEquals(2, TLogReader.read(java.util.Arrays.copyOf(bytes, 3 * 32 - 5)).size(), "partial entry");
    }

    @Test
    void aCommittedTlogMustBeCompleteAndEndClosed() throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(3 * 32);
        TLogEntry.write(7, ClusterLocation.of(0, 3, 9), 0x1234).writeTo(b);
        TLogEntry.scoSealed(3, 10, 0x55).writeTo(b);
        TLogEntry.closed().writeTo(b);
        byte[] bytes = b.array();
        assertEquals(3, TLogReader.readCommitted(bytes, "tlog.x").size());
        java.io.IOException notClosed = assertThrows(java.io.IOException.class,
                () -> TLogReader.readCommitted(java.util.Arrays.copyOf(bytes, 64), "tlog.x"));
        assertTrue(notClosed.getMessage().contains("tlog.x"), notClosed.getMessage());
        assertThrows(java.io.IOException.class,
                () -> TLogReader.readCommitted(java.util.Arrays.copyOf(bytes, 3 * 32 - 5), "tlog.x"), "partial");
        byte[] damaged = bytes.clone();
        damaged[10] ^= 1;
        assertThrows(java.io.IOException.class, () -> TLogReader.readCommitted(damaged, "tlog.x"), "bad entry");
        byte[] unknown = bytes.clone(); // an entry type of a newer release, with a valid entry CRC
        unknown[32] = 99;
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(unknown, 32, 28);
        java.nio.ByteBuffer.wrap(unknown).putInt(32 + 28, (int) c.getValue());
        java.io.IOException newer = assertThrows(java.io.IOException.class,
                () -> TLogReader.readCommitted(unknown, "tlog.x"));
        assertTrue(newer.getMessage().contains("type 99"), newer.getMessage());
        byte[] trailing = java.util.Arrays.copyOf(bytes, 4 * 32);
        System.arraycopy(bytes, 0, trailing, 3 * 32, 32);
        assertThrows(java.io.IOException.class, () -> TLogReader.readCommitted(trailing, "tlog.x"),
                "entries after TLOG_CLOSED");
    }

    @Test
    void clusterLocationPacking() {
        long l = ClusterLocation.of(2, (1L << 40) - 1, 65535);
        assertEquals(2, ClusterLocation.cloneDepth(l));
        assertEquals((1L << 40) - 1, ClusterLocation.sco(l));
        assertEquals(65535, ClusterLocation.offset(l));
        assertThrows(IllegalArgumentException.class, () -> ClusterLocation.of(0, 0, 0));
        assertEquals("sco.00000003.000000000042.00", ObjectNames.sco(3, 42, 0));
        assertEquals(42, ObjectNames.scoNumber(ObjectNames.sco(3, 42, 0)));
        assertEquals(7, ObjectNames.tlogSeq(ObjectNames.tlog(1, 7)));
    }
}
