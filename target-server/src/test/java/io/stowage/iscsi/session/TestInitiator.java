package io.stowage.iscsi.session;

import io.stowage.iscsi.login.KeyValues;
import io.stowage.iscsi.pdu.Bhs;
import io.stowage.iscsi.pdu.Digest;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.PduDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A deliberately naive initiator for protocol tests: builds initiator PDUs byte by byte from RFC 7143 §11 and can
 * send anything, well-formed or not. Not thread-safe.
 */
final class TestInitiator implements AutoCloseable {
    /** A received PDU, copied out of the decoder. */
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

        int flags() {
            return bhs[1] & 0xFF;
        }

        int statSn() {
            return b().getInt(24);
        }

        int expCmdSn() {
            return b().getInt(28);
        }

        int maxCmdSn() {
            return b().getInt(32);
        }
    }

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ArrayDeque<Rx> received = new ArrayDeque<>();
    private final PduDecoder decoder = new PduDecoder(16 << 20, new PduDecoder.Sink() {
        @Override
        public void onPdu(Pdu pdu) {
            byte[] d = new byte[pdu.dataLength()];
            pdu.data().duplicate().get(d);
            received.add(new Rx(pdu.headerCopy(), d));
        }

        @Override
        public void onDataDigestError(Pdu pdu) {
            throw new AssertionError("data digest error");
        }
    });
    int cmdSn;
    int expStatSn;
    long isid = 0x400000000001L;
    String initiatorName = "iqn.2026-11.io.stowage:test-initiator";
    Map<String, String> loginAnswers;
    /** Digests we send (CRC32C, least significant byte first, RFC 7143 §11.1) once {@link #useDigests} is called. */
    private boolean headerDigest;
    private boolean dataDigest;
    /** Corrupts the header digest or the data digest of the next PDU sent, once. */
    enum Corrupt { NONE, HEADER_DIGEST, DATA_DIGEST }
    Corrupt corruptNext = Corrupt.NONE;
    /** The next PDU with data goes out with a wrong data digest (shorthand for {@link Corrupt#DATA_DIGEST}). */
    boolean corruptNextDataDigest;
    /** Answer the target's keepalive NOP-In pings inside {@link #next} instead of returning them. */
    boolean answerPings;

    TestInitiator(InetSocketAddress portal) throws IOException {
        this(portal, null, 0);
    }

    /** From {@code source} (e.g. 127.0.0.2: every 127/8 address is loopback), or any address if null. */
    TestInitiator(InetSocketAddress portal, java.net.InetAddress source) throws IOException {
        this(portal, source, 0);
    }

    /** With a TCP receive buffer of {@code receiveBuffer} bytes (0: the system's), so a stalled reader fills up. */
    TestInitiator(InetSocketAddress portal, java.net.InetAddress source, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
        if (source != null) socket.bind(new InetSocketAddress(source, 0));
        socket.connect(portal);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Logs in straight to the operational stage; returns the login response. */
    Rx login(String targetName, Map<String, String> keys) throws IOException {
        return login(targetName, keys, 1);
    }

    /** Logs in from stage {@code csg} (0: security, 1: operational) straight to full feature phase. */
    Rx login(String targetName, Map<String, String> keys, int csg) throws IOException {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("InitiatorName", initiatorName);
        if (targetName == null) {
            all.put("SessionType", "Discovery");
        } else {
            all.put("TargetName", targetName);
            all.put("SessionType", "Normal");
        }
        all.putAll(keys);
        ByteBuffer h = bhs(0x43, 0x80 | (csg << 2) | 3, KeyValues.format(all).length);
        h.putLong(8, (isid << 16));
        h.putInt(16, 0x1000);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        send(h, KeyValues.format(all));
        Rx r = next();
        loginAnswers = KeyValues.parse(r.data());
        expStatSn = r.statSn() + 1;
        return r;
    }

    /** After a login that negotiated them: digests on both directions, as the login answers say. */
    void useDigests() {
        headerDigest = "CRC32C".equals(loginAnswers.get("HeaderDigest"));
        dataDigest = "CRC32C".equals(loginAnswers.get("DataDigest"));
        decoder.setDigests(headerDigest, dataDigest);
    }

    /**
     * TEST UNIT READY to {@code lun} with tag {@code itt}: 0 for GOOD, (ASC << 8 | ASCQ) of a UNIT ATTENTION, or
     * -(key << 16 | ASC << 8 | ASCQ) of any other CHECK CONDITION.
     */
    int testUnitReady(long lun, int itt) throws IOException {
        ByteBuffer h = bhs(0x01, 0x81, 0);
        h.putLong(8, lun << 48);
        h.putInt(16, itt);
        h.putInt(24, cmdSn++);
        send(h, null);
        Rx r = next();
        if (r.opcode() != 0x21) throw new IOException("expected a SCSI Response, got opcode " + r.opcode());
        if (r.bhs()[3] == 0) return 0;
        if (r.bhs()[3] != 0x02) throw new IOException("expected CHECK CONDITION, got status " + r.bhs()[3]);
        int key = r.data()[2 + 2] & 0x0F;
        int ascq = (r.data()[2 + 12] & 0xFF) << 8 | (r.data()[2 + 13] & 0xFF);
        return key == 0x06 ? ascq : -(key << 16 | ascq);
    }

    static ByteBuffer bhs(int opcode, int flags, int dataLength) {
        ByteBuffer h = ByteBuffer.allocate(48);
        h.put(0, (byte) opcode);
        h.put(1, (byte) flags);
        Bhs.setDataSegmentLength(h, dataLength);
        return h;
    }

    /** SCSI Command (§11.3); advances CmdSN unless immediate. */
    void command(int itt, byte[] cdb, int edtl, boolean read, boolean write, byte[] immediateData, boolean fin) throws IOException {
        int len = immediateData == null ? 0 : immediateData.length;
        ByteBuffer h = bhs(0x01, (fin ? 0x80 : 0) | (read ? 0x40 : 0) | (write ? 0x20 : 0) | 0x01, len);
        h.putInt(16, itt);
        h.putInt(20, edtl);
        h.putInt(24, cmdSn++);
        h.putInt(28, expStatSn);
        h.put(32, cdb, 0, Math.min(16, cdb.length));
        send(h, immediateData);
    }

    void dataOut(int itt, int ttt, int dataSn, int offset, byte[] data, boolean fin) throws IOException {
        ByteBuffer h = bhs(0x05, fin ? 0x80 : 0, data.length);
        h.putInt(16, itt);
        h.putInt(20, ttt);
        h.putInt(28, expStatSn);
        h.putInt(36, dataSn);
        h.putInt(40, offset);
        send(h, data);
    }

    void nopOut(int itt, byte[] ping) throws IOException {
        ByteBuffer h = bhs(0x40, 0x80, ping.length);
        h.putInt(16, itt);
        h.putInt(20, Bhs.RESERVED_TAG);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        send(h, ping);
    }

    void taskManagement(int itt, int function, long lun, int rtt, int refCmdSn) throws IOException {
        ByteBuffer h = bhs(0x42, 0x80 | function, 0);
        h.putLong(8, lun << 48);
        h.putInt(16, itt);
        h.putInt(20, rtt);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        h.putInt(32, refCmdSn);
        send(h, null);
    }

    void text(int itt, String keys) throws IOException {
        byte[] t = keys.getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = bhs(0x04, 0x80, t.length);
        h.putInt(16, itt);
        h.putInt(20, Bhs.RESERVED_TAG);
        h.putInt(24, cmdSn++);
        h.putInt(28, expStatSn);
        send(h, t);
    }

    void logout(int itt) throws IOException {
        ByteBuffer h = bhs(0x46, 0x80, 0);
        h.putInt(16, itt);
        h.putInt(24, cmdSn);
        h.putInt(28, expStatSn);
        send(h, null);
    }

    void send(ByteBuffer header, byte[] data) throws IOException {
        int len = data == null ? 0 : data.length;
        if (corruptNextDataDigest && len > 0) {
            corruptNext = Corrupt.DATA_DIGEST;
            corruptNextDataDigest = false;
        }
        int hd = headerDigest ? 4 : 0;
        int dd = dataDigest && len > 0 ? 4 : 0;
        byte[] w = new byte[48 + hd + len + Bhs.padding(len) + dd];
        header.get(0, w, 0, 48);
        if (hd > 0) {
            putCrc(w, 48, crc32c(w, 0, 48) ^ (corruptNext == Corrupt.HEADER_DIGEST ? 1 : 0));
        }
        if (len > 0) System.arraycopy(data, 0, w, 48 + hd, len);
        if (dd > 0) {
            int covered = len + Bhs.padding(len);
            putCrc(w, 48 + hd + covered, crc32c(w, 48 + hd, covered) ^ (corruptNext == Corrupt.DATA_DIGEST ? 1 : 0));
        }
        corruptNext = Corrupt.NONE;
        out.write(w);
        out.flush();
    }

    private static int crc32c(byte[] b, int off, int len) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static void putCrc(byte[] w, int at, int crc) {
        ByteBuffer.wrap(w).putInt(at, Integer.reverseBytes(crc));
    }

    void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next PDU, or an exception after the socket timeout. */
    Rx next() throws IOException {
        byte[] buf = new byte[65536];
        while (received.isEmpty()) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("connection closed by target");
            }
            try {
                decoder.feed(ByteBuffer.wrap(buf, 0, n));
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        Rx r = received.poll();
        if (answerPings && r.opcode() == 0x20 && r.itt() == Bhs.RESERVED_TAG) {
            ByteBuffer h = bhs(0x40, 0x80, 0); // §11.18: NOP-Out, ITT reserved, echoing the ping's TTT
            h.putInt(16, Bhs.RESERVED_TAG);
            h.putInt(20, r.b().getInt(20));
            h.putInt(24, cmdSn);
            h.putInt(28, expStatSn);
            send(h, null);
            return next();
        }
        if (r.opcode() == 0x21 || (r.opcode() == 0x25 && (r.flags() & 0x01) != 0) || r.opcode() == 0x22
                || r.opcode() == 0x24 || r.opcode() == 0x26 || r.opcode() == 0x3F
                || (r.opcode() == 0x20 && r.itt() != Bhs.RESERVED_TAG)) {
            expStatSn = r.statSn() + 1;
        }
        return r;
    }

    /** The next PDU, or null if none arrives within {@code millis}. */
    Rx nextWithin(int millis) throws IOException {
        if (!received.isEmpty()) return next();
        socket.setSoTimeout(millis);
        try {
            return next();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(5000);
        }
    }

    /** True if nothing arrives within {@code millis} (what does arrive is consumed). */
    boolean silentFor(int millis) throws IOException {
        if (!received.isEmpty()) return false;
        socket.setSoTimeout(millis);
        try {
            next();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(5000);
        }
    }

    /** Bytes read (PDUs discarded) until the target closes the connection; -1 if it stays open for the timeout. */
    long bytesUntilClosed() throws IOException {
        byte[] buf = new byte[65536];
        long total = 0;
        try {
            for (int n; (n = in.read(buf)) >= 0; ) total += n;
            return total;
        } catch (SocketTimeoutException e) {
            return -1;
        } catch (java.net.SocketException e) {
            return total; // reset: closed too
        }
    }

    /** True once the target has closed the connection (reads EOF within the timeout). */
    boolean closedByTarget() {
        try {
            while (true) next();
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("closed");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
