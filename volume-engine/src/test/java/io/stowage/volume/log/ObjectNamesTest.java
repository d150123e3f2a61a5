package io.stowage.volume.log;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Names are built by hand now; they must stay byte for byte what the zero-padded format made (stored names). */
class ObjectNamesTest {
    private static final long[] VALUES = {0, 1, 9, 10, 99, 100, 12345678, 99999999, 100000000, 999999999999L,
            1000000000000L, Long.MAX_VALUE, -1, -123};

    @Test
    void namesAreExactlyTheZeroPaddedFormat() {
        for (long a : VALUES) {
            for (long b : VALUES) {
                assertEquals(String.format("sco.%08d.%012d.%02d", a, b, 0), ObjectNames.sco(a, b, 0));
                assertEquals(String.format("sco.%08d.%012d.%02d", a, b, 7), ObjectNames.sco(a, b, 7));
                assertEquals(String.format("sco.%08d.%012d.%02d", a, b, 123), ObjectNames.sco(a, b, 123));
                assertEquals(String.format("tlog.%08d.%012d", a, b), ObjectNames.tlog(a, b));
                assertEquals(String.format("checkpoint.%08d.%012d", a, b), ObjectNames.checkpoint(a, b));
                assertEquals(String.format("snapmap.%08d.%012d", a, b), ObjectNames.snapshotMap(a, b));
            }
        }
        assertEquals("sco.00000003.000000000042.00", ObjectNames.sco(3, 42, 0));
        assertEquals(42, ObjectNames.scoNumber(ObjectNames.sco(3, 42, 0)));
        assertEquals(3, ObjectNames.scoEpoch(ObjectNames.sco(3, 42, 0)));
    }
}
