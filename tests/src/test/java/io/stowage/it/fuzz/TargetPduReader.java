package io.stowage.it.fuzz;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Splits the target's byte stream into PDUs (RFC 7143 §11.1), checking its digests once they are on. Reads either
 * only what has already arrived ({@link #poll}, never blocks) or waits ({@link #next}). Not thread-safe.
 */
final class TargetPduReader {
    /** A PDU from the target. */
    record Rx(byte[] bhs, byte[] data) {
        int opcode() {
            return bhs[0] & 0x3F;
        }

        int flags() {
            return bhs[1] & 0xFF;
        }

        int u8(int at) {
            return bhs[at] & 0xFF;
        }

        int i32(int at) {
            return ByteBuffer.wrap(bhs).getInt(at);
        }

        int itt() {
            return i32(16);
        }

        int statSn() {
            return i32(24);
        }

        int expCmdSn() {
            return i32(28);
        }

        int maxCmdSn() {
            return i32(32);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int filled;
    boolean headerDigest;
    boolean dataDigest;

    TargetPduReader(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** A PDU that has fully arrived, or null without waiting. EOF is an {@link EOFException}. */
    Rx poll() throws IOException {
        Rx r = parse();
        while (r == null && in.available() > 0) {
            readSome();
            r = parse();
        }
        return r;
    }

    /** The next PDU, waiting up to {@code millis}; {@link SocketTimeoutException} if none came. */
    Rx next(int millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        Rx r;
        while ((r = parse()) == null) {
            int left = (int) ((deadline - System.nanoTime()) / 1_000_000L);
            if (left <= 0) {
                throw new SocketTimeoutException("no PDU from the target within " + millis + " ms");
            }
            socket.setSoTimeout(left);
            readSome();
        }
        return r;
    }

    private void readSome() throws IOException {
        if (filled == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        int n = in.read(buf, filled, buf.length - filled);
        if (n < 0) {
            throw new EOFException("connection closed by the target");
        }
        filled += n;
    }

    private Rx parse() throws IOException {
        if (filled < RawPdu.BHS) {
            return null;
        }
        int ahs = (buf[4] & 0xFF) * 4;
        int dsl = ((buf[5] & 0xFF) << 16) | ((buf[6] & 0xFF) << 8) | (buf[7] & 0xFF);
        int pad = (4 - dsl % 4) % 4;
        int headerEnd = RawPdu.BHS + ahs;
        int dataStart = headerEnd + (headerDigest ? 4 : 0);
        int total = dataStart + dsl + pad + (dataDigest && dsl > 0 ? 4 : 0);
        if (filled < total) {
            return null;
        }
        if (headerDigest && digestAt(headerEnd) != RawPdu.crc32c(buf, 0, headerEnd)) {
            throw new IOException("the target sent a bad header digest");
        }
        if (dataDigest && dsl > 0 && digestAt(dataStart + dsl + pad) != RawPdu.crc32c(buf, dataStart, dsl + pad)) {
            throw new IOException("the target sent a bad data digest");
        }
        Rx r = new Rx(Arrays.copyOf(buf, RawPdu.BHS), Arrays.copyOfRange(buf, dataStart, dataStart + dsl));
        System.arraycopy(buf, total, buf, 0, filled - total);
        filled -= total;
        return r;
    }

    private int digestAt(int at) {
        return Integer.reverseBytes(ByteBuffer.wrap(buf).getInt(at));
    }
}
