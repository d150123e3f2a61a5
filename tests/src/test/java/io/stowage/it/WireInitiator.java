package io.stowage.it;

import io.stowage.iscsi.login.KeyValues;
import io.stowage.iscsi.pdu.Bhs;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.PduDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A raw iSCSI initiator for storms against the real daemon: builds PDUs byte by byte (RFC 7143 §11), answers the
 * target's NOP-In pings by itself, and can send anything, well-formed or not. Not thread-safe: one per thread.
 */
final class WireInitiator implements AutoCloseable {
    record Rx(byte[] bhs, byte[] data) {
        int opcode() {
            return bhs[0] & 0x3F;
        }

        ByteBuffer b() {
            return ByteBuffer.wrap(bhs);
        }

        int itt() {
            return b().getInt(16);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ArrayDeque<Rx> received = new ArrayDeque<>();
    private final byte[] readBuffer = new byte[256 * 1024];
    private final PduDecoder decoder = new PduDecoder(16 << 20, new PduDecoder.Sink() {
        @Override
        public void onPdu(Pdu pdu) {
            byte[] d = new byte[pdu.dataLength()];
            pdu.data().duplicate().get(d);
            received.add(new Rx(pdu.headerCopy(), d));
        }

        @Override
        public void onDataDigestError(Pdu pdu) {
            throw new IllegalStateException("data digest error");
        }
    });
    int cmdSn;
    int expStatSn;

    /** How long {@link #next} waits for a PDU before it fails (a real initiator's command timeout is 30 s). */
    private int answerMillis = 5000;

    /** Waits up to {@code millis} for each PDU from now on. */
    void answerTimeout(int millis) throws IOException {
        answerMillis = millis;
        socket.setSoTimeout(millis);
    }

    WireInitiator(InetSocketAddress portal, InetAddress source) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        if (source != null) socket.bind(new InetSocketAddress(source, 0));
        socket.connect(portal, 5000);
        socket.setSoTimeout(answerMillis);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static InetAddress loopback(int last) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    static ByteBuffer bhs(int opcode, int flags, int dataLength) {
        ByteBuffer h = ByteBuffer.allocate(48);
        h.put(0, (byte) opcode);
        h.put(1, (byte) flags);
        Bhs.setDataSegmentLength(h, dataLength);
        return h;
    }

    /** Logs in to a normal session in one operational-stage request; true on success. */
    boolean login(String iqn, long isid, Map<String, String> keys) throws IOException {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("InitiatorName", "iqn.2026-11.io.stowage:storm");
        all.put("TargetName", iqn);
        all.put("SessionType", "Normal");
        all.putAll(keys);
        byte[] text = KeyValues.format(all);
        ByteBuffer h = bhs(0x43, 0x80 | (1 << 2) | 3, text.length);
        h.putLong(8, isid << 16);
        h.putInt(16, 0x1000);
        h.putInt(24, cmdSn);
        send(h, text);
        Rx r = next();
        expStatSn = r.b().getInt(24) + 1;
        return r.opcode() == 0x23 && r.bhs()[36] == 0;
    }

    void command(int itt, boolean immediate, byte[] cdb, int edtl, boolean write, byte[] data) throws IOException {
        int len = data == null ? 0 : data.length;
        ByteBuffer h = bhs(0x01 | (immediate ? 0x40 : 0), 0x80 | (write ? 0x20 : 0x40) | 0x01, len);
        h.putInt(16, itt);
        h.putInt(20, edtl);
        h.putInt(24, immediate ? cmdSn : cmdSn++);
        h.putInt(28, expStatSn);
        h.put(32, cdb, 0, Math.min(16, cdb.length));
        send(h, data);
    }

    static byte[] rw10(int opcode, long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        ByteBuffer.wrap(c).putInt(2, (int) lba).putShort(7, (short) blocks);
        return c;
    }

    void send(ByteBuffer header, byte[] data) throws IOException {
        int len = data == null ? 0 : data.length;
        byte[] w = new byte[48 + len + Bhs.padding(len)];
        header.get(0, w, 0, 48);
        if (len > 0) System.arraycopy(data, 0, w, 48, len);
        out.write(w);
        out.flush();
    }

    void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next PDU other than a keepalive ping (answered here); IOException on close or after the timeout. */
    Rx next() throws IOException {
        while (true) {
            while (received.isEmpty()) {
                int n = in.read(readBuffer);
                if (n < 0) throw new IOException("connection closed by target");
                try {
                    decoder.feed(ByteBuffer.wrap(readBuffer, 0, n));
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
            Rx r = received.poll();
            int op = r.opcode();
            if (op == 0x21 || op == 0x22 || op == 0x3F || (op == 0x25 && (r.bhs()[1] & 0x01) != 0)
                    || (op == 0x20 && r.itt() != Bhs.RESERVED_TAG)) {
                expStatSn = r.b().getInt(24) + 1;
            }
            if (op == 0x20 && r.itt() == Bhs.RESERVED_TAG) {
                ByteBuffer h = bhs(0x40, 0x80, 0);
                h.putInt(16, Bhs.RESERVED_TAG);
                h.putInt(20, r.b().getInt(20));
                h.putInt(24, cmdSn);
                h.putInt(28, expStatSn);
                send(h, null);
                continue;
            }
            return r;
        }
    }

    /** The next PDU, or null if none within {@code millis}. */
    Rx nextWithin(int millis) throws IOException {
        if (!received.isEmpty()) return next();
        socket.setSoTimeout(millis);
        try {
            return next();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(answerMillis);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
