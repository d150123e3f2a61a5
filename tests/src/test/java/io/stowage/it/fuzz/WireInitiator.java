package io.stowage.it.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A correct, blocking, one-command-at-a-time initiator over raw TCP: login straight to the full feature phase,
 * TEST UNIT READY, READ(16) and WRITE(16) with immediate data and R2T-solicited Data-Out, logout. It answers the
 * target's NOP-In pings and checks every answer; anything unexpected is an {@link IOException} naming what came.
 * Used beside the fuzzer as the session that must keep working.
 */
final class WireInitiator implements AutoCloseable {
    static final int BLOCK = 512;
    private final Socket socket;
    private final OutputStream out;
    private final TargetPduReader reader;
    private final String initiatorName;
    private final long isid;
    private final int timeoutMillis;
    private int cmdSn = 1;
    private int expStatSn;
    private int itt = 1;
    private boolean headerDigest;
    private boolean dataDigest;
    private int sendLimit = 8192;
    private int firstBurst;
    private int maxBurst;
    private boolean immediateData;
    private boolean initialR2t;

    WireInitiator(InetSocketAddress portal, String initiatorName, long isid, int timeoutMillis) throws IOException {
        this.socket = new Socket();
        socket.connect(portal, timeoutMillis);
        socket.setTcpNoDelay(true);
        this.out = socket.getOutputStream();
        this.reader = new TargetPduReader(socket);
        this.initiatorName = initiatorName;
        this.isid = isid;
        this.timeoutMillis = timeoutMillis;
    }

    static byte[] keys(Map<String, String> kv) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        kv.forEach((k, v) -> b.writeBytes((k + "=" + v + "\0").getBytes(StandardCharsets.UTF_8)));
        return b.toByteArray();
    }

    static Map<String, String> parseKeys(byte[] text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : new String(text, StandardCharsets.UTF_8).split("\0")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    /** Logs in to {@code target} (operational stage straight to full feature phase) with CRC32C digests or none. */
    void login(String target, boolean digests) throws IOException {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("InitiatorName", initiatorName);
        kv.put("TargetName", target);
        kv.put("SessionType", "Normal");
        kv.put("HeaderDigest", digests ? "CRC32C" : "None");
        kv.put("DataDigest", digests ? "CRC32C" : "None");
        kv.put("MaxRecvDataSegmentLength", "65536");
        kv.put("ImmediateData", "Yes");
        kv.put("InitialR2T", "No");
        kv.put("FirstBurstLength", "65536");
        kv.put("MaxBurstLength", "262144");
        send(RawPdu.login(0x80 | (1 << 2) | 3, isid, 0, 0, 0, cmdSn, 0, keys(kv)));
        TargetPduReader.Rx r = reader.next(timeoutMillis);
        if (r.opcode() != 0x23 || r.u8(36) != 0) {
            throw new IOException("login to " + target + " refused: opcode 0x" + Integer.toHexString(r.opcode())
                    + " status " + r.u8(36) + "/" + r.u8(37));
        }
        if ((r.flags() & 0x80) == 0 || (r.flags() & 0x03) != 3) {
            throw new IOException("login did not reach the full feature phase: flags 0x" + Integer.toHexString(r.flags()));
        }
        Map<String, String> a = parseKeys(r.data());
        expStatSn = r.statSn() + 1;
        headerDigest = "CRC32C".equals(a.get("HeaderDigest"));
        dataDigest = "CRC32C".equals(a.get("DataDigest"));
        if (headerDigest != digests || dataDigest != digests) {
            throw new IOException("digests not as asked: " + a);
        }
        sendLimit = Integer.parseInt(a.getOrDefault("MaxRecvDataSegmentLength", "8192"));
        firstBurst = Integer.parseInt(a.getOrDefault("FirstBurstLength", "65536"));
        maxBurst = Integer.parseInt(a.getOrDefault("MaxBurstLength", "262144"));
        immediateData = "Yes".equals(a.getOrDefault("ImmediateData", "Yes"));
        initialR2t = "Yes".equals(a.getOrDefault("InitialR2T", "No"));
        reader.headerDigest = headerDigest;
        reader.dataDigest = dataDigest;
    }

    /** TEST UNIT READY; returns the SCSI status (2 = CHECK CONDITION, e.g. the unit attention of a new nexus). */
    int testUnitReady(int lun) throws IOException {
        int tag = itt++;
        send(RawPdu.scsiCommand(false, 0x80, RawPdu.lun(lun), tag, 0, cmdSn++, expStatSn, new byte[16]));
        return response(tag, null).u8(3);
    }

    void write(int lun, long lba, byte[] data) throws IOException {
        int tag = itt++;
        int imm = immediateData ? Math.min(Math.min(firstBurst, sendLimit), data.length) : 0;
        byte[] first = java.util.Arrays.copyOf(data, imm);
        boolean fin = imm == data.length || initialR2t;
        RawPdu cmd = RawPdu.scsiCommand(false, (fin ? 0x80 : 0) | 0x20 | 0x01, RawPdu.lun(lun), tag, data.length,
                cmdSn++, expStatSn, cdb16(0x8A, lba, data.length / BLOCK));
        send(cmd.data(first));
        int sent = imm;
        if (!fin) { // unsolicited Data-Out up to FirstBurstLength
            int limit = Math.min(firstBurst, data.length);
            int dataSn = 0;
            while (sent < limit) {
                int n = Math.min(sendLimit, limit - sent);
                send(RawPdu.dataOut(sent + n == limit, RawPdu.lun(lun), tag, RawPdu.RESERVED_TAG, expStatSn,
                        dataSn++, sent, java.util.Arrays.copyOfRange(data, sent, sent + n)));
                sent += n;
            }
        }
        while (true) {
            TargetPduReader.Rx r = nextFor(tag);
            if (r.opcode() == 0x31) { // R2T: send the burst it asks for
                int offset = r.i32(40);
                int length = r.i32(44);
                int ttt = r.i32(20);
                int dataSn = 0;
                for (int done = 0; done < length; ) {
                    int n = Math.min(sendLimit, length - done);
                    send(RawPdu.dataOut(done + n == length, RawPdu.lun(lun), tag, ttt, expStatSn, dataSn++,
                            offset + done, java.util.Arrays.copyOfRange(data, offset + done, offset + done + n)));
                    done += n;
                }
                continue;
            }
            checkGood(r, "WRITE(16) LBA " + lba);
            return;
        }
    }

    byte[] read(int lun, long lba, int blocks) throws IOException {
        int tag = itt++;
        byte[] into = new byte[blocks * BLOCK];
        send(RawPdu.scsiCommand(false, 0x80 | 0x40 | 0x01, RawPdu.lun(lun), tag, into.length, cmdSn++, expStatSn,
                cdb16(0x88, lba, blocks)));
        TargetPduReader.Rx r = response(tag, into);
        if (r.opcode() == 0x21) {
            checkGood(r, "READ(16) LBA " + lba);
        }
        return into;
    }

    void logout() throws IOException {
        int tag = itt++;
        send(RawPdu.logout(true, 0, tag, 0, cmdSn, expStatSn));
        TargetPduReader.Rx r = nextFor(tag);
        if (r.opcode() != 0x26 || r.u8(2) != 0) {
            throw new IOException("logout answered with opcode 0x" + Integer.toHexString(r.opcode()) + " response "
                    + r.u8(2));
        }
    }

    static byte[] cdb16(int opcode, long lba, int blocks) {
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put(0, (byte) opcode).putLong(2, lba).putInt(10, blocks);
        return c.array();
    }

    /** The command's final answer: Data-In (copied into {@code into}) up to the status. */
    private TargetPduReader.Rx response(int tag, byte[] into) throws IOException {
        while (true) {
            TargetPduReader.Rx r = nextFor(tag);
            if (r.opcode() == 0x25) {
                int offset = r.i32(40);
                if (into == null || offset + r.data().length > into.length) {
                    throw new IOException("Data-In outside the buffer: offset " + offset + " + " + r.data().length);
                }
                System.arraycopy(r.data(), 0, into, offset, r.data().length);
                if ((r.flags() & 0x01) != 0) {
                    if (r.u8(3) != 0) {
                        throw new IOException("Data-In with status " + r.u8(3));
                    }
                    return r;
                }
                continue;
            }
            if (r.opcode() != 0x21) {
                throw new IOException("unexpected opcode 0x" + Integer.toHexString(r.opcode()) + " for task " + tag);
            }
            return r;
        }
    }

    private static void checkGood(TargetPduReader.Rx r, String what) throws IOException {
        if (r.opcode() != 0x21 || r.u8(2) != 0 || r.u8(3) != 0) {
            String sense = r.data().length >= 16 ? String.format(" sense %x/%02x/%02x", r.data()[4] & 0x0F,
                    r.data()[14] & 0xFF, r.data()[15] & 0xFF) : "";
            throw new IOException(what + ": opcode 0x" + Integer.toHexString(r.opcode()) + " response " + r.u8(2)
                    + " status " + r.u8(3) + sense);
        }
    }

    /** The next PDU for task {@code tag}, answering NOP-In pings on the way; a Reject or another task's PDU fails. */
    private TargetPduReader.Rx nextFor(int tag) throws IOException {
        while (true) {
            TargetPduReader.Rx r = reader.next(timeoutMillis);
            if (r.opcode() == 0x20 && r.itt() == RawPdu.RESERVED_TAG) { // the target's keepalive ping
                send(RawPdu.nopOut(true, RawPdu.RESERVED_TAG, r.i32(20), cmdSn, expStatSn, null));
                continue;
            }
            if (r.opcode() == 0x21 || r.opcode() == 0x26 || (r.opcode() == 0x25 && (r.flags() & 0x01) != 0)) {
                expStatSn = r.statSn() + 1;
            }
            if (r.itt() != tag) {
                throw new IOException("PDU opcode 0x" + Integer.toHexString(r.opcode()) + " for task 0x"
                        + Integer.toHexString(r.itt()) + " while waiting for 0x" + Integer.toHexString(tag)
                        + (r.opcode() == 0x3F ? " (Reject reason 0x" + Integer.toHexString(r.u8(2)) + ")" : ""));
            }
            return r;
        }
    }

    private void send(RawPdu p) throws IOException {
        out.write(p.encode(headerDigest, dataDigest));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
