package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

/** Data the engine tests write and read back: seeded random bytes, and a volume's bytes at an offset. */
final class TestBytes {
    private TestBytes() {
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] read(Volume v, long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        v.read(off, b);
        return b.array();
    }
}
