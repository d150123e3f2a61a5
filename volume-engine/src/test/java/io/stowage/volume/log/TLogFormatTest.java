package io.stowage.volume.log;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The stored TLog format: what earlier releases wrote reads the same, and what this one does not know is refused. */
class TLogFormatTest {
    /** A TLog as the release before discard ranges wrote it (a copy's unmapped cluster: DISCARD with count 1). */
    static final String PREVIOUS_RELEASE = ""
            + "01000000000012340000000000000007000000000003000900000000a9948d2b"
            + "0200000000000000000000000000006400000000000000010000000047256642"
            + "050000000000123400000000000000080000000000030009000000003b5950fb"
            + "03000000000000550000000000000003000000000000000a0000000055070478"
            + "040000000000000000000000000000000000000000000000000000007447065b";

    @Test
    void aTlogOfThePreviousReleaseReadsTheSame() {
        List<TLogEntry> e = TLogReader.read(HexFormat.of().parseHex(PREVIOUS_RELEASE));
        assertEquals(List.of(TLogEntry.write(7, ClusterLocation.of(0, 3, 9), 0x1234), TLogEntry.discard(100, 1),
                TLogEntry.remap(8, ClusterLocation.of(0, 3, 9), 0x1234), TLogEntry.scoSealed(3, 10, 0x55),
                TLogEntry.closed()), e);
        ByteBuffer again = ByteBuffer.allocate(e.size() * TLogEntry.SIZE);
        for (TLogEntry x : e) x.writeTo(again);
        assertEquals(PREVIOUS_RELEASE, HexFormat.of().formatHex(again.array()), "and this release writes it the same");
    }

    @Test
    void anEntryTypeThisVersionDoesNotKnowIsRefusedNotCutAsATornTail() {
        byte[] bytes = HexFormat.of().parseHex(PREVIOUS_RELEASE);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.put(2 * TLogEntry.SIZE, (byte) 9); // a type from a later release, with a valid entry CRC
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(2 * TLogEntry.SIZE).limit(2 * TLogEntry.SIZE + 28));
        b.putInt(2 * TLogEntry.SIZE + 28, (int) c.getValue());
        TLogEntry.UnknownEntryTypeException e = assertThrows(TLogEntry.UnknownEntryTypeException.class,
                () -> TLogReader.read(bytes));
        assertTrue(e.getMessage().contains("type 9"), e.getMessage());
        // a torn entry (bad CRC) is still the end of a local TLog
        bytes[2 * TLogEntry.SIZE + 10] ^= 1;
        assertEquals(2, TLogReader.read(bytes).size());
    }
}
