package io.stowage.volume.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stowage.volume.engine.DirectoryBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ranged reads of SCO objects keep their files open (OpenObjects): a name deleted and made again, by this store, by
 * another store on the same directory or by deleting the volume, is read afresh, never as the earlier file; the
 * open files stay bounded.
 */
class OpenObjectsTest {
    @TempDir Path dir;

    private static ByteBuffer filled(int value) {
        byte[] b = new byte[8192];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private static byte[] read(ObjectStore s, String name) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        s.get(name, 4096, 4096, b);
        return b.array();
    }

    @Test
    void aNameMadeAgainAfterADeleteIsReadAfresh() throws Exception {
        DirectoryObjectStore a = new DirectoryObjectStore(dir.resolve("v"));
        DirectoryObjectStore b = new DirectoryObjectStore(dir.resolve("./v")); // another instance, another spelling
        String name = "sco.00000001.000000000001.00";
        a.putExclusive(name, filled('A'));
        assertArrayEquals(filled('A').array(), pad(read(a, name)));
        assertArrayEquals(filled('A').array(), pad(read(b, name)));
        b.delete(name);
        assertThrows(IOException.class, () -> read(a, name), "deleted through another store: gone for this one");
        a.putExclusive(name, filled('B'));
        assertArrayEquals(filled('B').array(), pad(read(b, name)));
        assertArrayEquals(filled('B').array(), pad(read(a, name)));
    }

    @Test
    void aVolumeDeletedAndMadeAgainUnderItsNameIsReadAfresh() throws Exception {
        DirectoryBackend backend = new DirectoryBackend(dir.resolve("objects"));
        String name = "sco.00000001.000000000001.00";
        ObjectStore first = backend.volume("v");
        first.putExclusive(name, filled('A'));
        assertArrayEquals(filled('A').array(), pad(read(first, name)));
        backend.deleteVolume("v");
        ObjectStore second = backend.volume("v");
        second.putExclusive(name, filled('C'));
        assertArrayEquals(filled('C').array(), pad(read(second, name)), "the new volume's SCO, not the old one's");
    }

    @Test
    void openFilesStayBounded() throws Exception {
        DirectoryObjectStore s = new DirectoryObjectStore(dir.resolve("many"));
        int n = OpenObjects.CAPACITY + 50;
        for (int i = 0; i < n; i++) s.putExclusive(String.format("sco.00000001.%012d.00", i), filled(i));
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < n; i++) {
                assertArrayEquals(filled(i).array(), pad(read(s, String.format("sco.00000001.%012d.00", i))));
            }
        }
        assertTrue(OpenObjects.SHARED.size() <= OpenObjects.CAPACITY, "open: " + OpenObjects.SHARED.size());
        assertEquals(OpenObjects.CAPACITY, OpenObjects.SHARED.size(), "and it does keep them");
    }

    /** The 4 KiB read back, as the whole 8 KiB object it was cut from (every byte of an object is the same). */
    private static byte[] pad(byte[] half) {
        byte[] b = new byte[8192];
        Arrays.fill(b, half[0]);
        assertTrue(allSame(half), "a read is one object's bytes");
        return b;
    }

    private static boolean allSame(byte[] b) {
        for (byte x : b) if (x != b[0]) return false;
        return true;
    }
}
