package io.stowage.it.fuzz;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * An initiator PDU as bytes, written from RFC 7143 §11 independently of the target's codec (so that a bug shared by
 * encoder and decoder cannot hide): a 48-byte BHS, an optional AHS and a data segment. {@link #encode} lays it out
 * on the wire with padding and, when asked, CRC32C digests (least significant byte first, §11.1).
 */
final class RawPdu {
    static final int BHS = 48;
    static final int RESERVED_TAG = 0xFFFFFFFF;

    final ByteBuffer bhs = ByteBuffer.allocate(BHS);
    byte[] ahs = new byte[0];
    byte[] data = new byte[0];
    /** What the fuzzer meant to send, for the rejection report ("SCSI_COMMAND", "DATA_OUT", ...). */
    final String kind;
    /** The CDB was randomised: the PDU counts as fuzzed even when {@link PduMutator} leaves it alone. */
    boolean cdbFuzzed;

    RawPdu(String kind, int opcode, boolean immediate, int flags) {
        this.kind = kind;
        bhs.put(0, (byte) ((immediate ? 0x40 : 0) | (opcode & 0x3F)));
        bhs.put(1, (byte) flags);
    }

    RawPdu data(byte[] d) {
        data = d == null ? new byte[0] : d;
        return dataSegmentLength(data.length);
    }

    RawPdu dataSegmentLength(int n) {
        bhs.put(5, (byte) (n >>> 16)).put(6, (byte) (n >>> 8)).put(7, (byte) n);
        return this;
    }

    int dataSegmentLength() {
        return ((bhs.get(5) & 0xFF) << 16) | ((bhs.get(6) & 0xFF) << 8) | (bhs.get(7) & 0xFF);
    }

    RawPdu ahs(byte[] a) {
        ahs = a;
        bhs.put(4, (byte) (a.length / 4));
        return this;
    }

    RawPdu i32(int at, int v) {
        bhs.putInt(at, v);
        return this;
    }

    RawPdu i64(int at, long v) {
        bhs.putLong(at, v);
        return this;
    }

    int opcode() {
        return bhs.get(0) & 0x3F;
    }

    /** The wire form: BHS, AHS, [header digest], data, padding, [data digest if data]. */
    byte[] encode(boolean headerDigest, boolean dataDigest) {
        int pad = (4 - data.length % 4) % 4;
        int n = BHS + ahs.length + (headerDigest ? 4 : 0) + data.length + pad
                + (dataDigest && data.length > 0 ? 4 : 0);
        ByteBuffer w = ByteBuffer.allocate(n);
        w.put(bhs.array()).put(ahs);
        if (headerDigest) {
            putDigest(w, crc32c(w.array(), 0, BHS + ahs.length));
        }
        int dataStart = w.position();
        w.put(data).put(new byte[pad]);
        if (dataDigest && data.length > 0) {
            putDigest(w, crc32c(w.array(), dataStart, data.length + pad));
        }
        return w.array();
    }

    static int crc32c(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static void putDigest(ByteBuffer w, int crc) {
        w.putInt(Integer.reverseBytes(crc));
    }

    // ------------------------------------------------------------------ the initiator PDUs (§11)

    static RawPdu login(int flags, long isid, int tsih, int itt, int cid, int cmdSn, int expStatSn, byte[] text) {
        RawPdu p = new RawPdu("LOGIN", 0x03, true, flags);
        p.bhs.put(2, (byte) 0).put(3, (byte) 0); // version max / min
        p.i64(8, (isid << 16) | (tsih & 0xFFFF)).i32(16, itt).i32(20, cid << 16).i32(24, cmdSn).i32(28, expStatSn);
        return p.data(text);
    }

    static RawPdu scsiCommand(boolean immediate, int flags, long lunField, int itt, int edtl, int cmdSn, int expStatSn,
                              byte[] cdb16) {
        RawPdu p = new RawPdu("SCSI_COMMAND", 0x01, immediate, flags);
        p.i64(8, lunField).i32(16, itt).i32(20, edtl).i32(24, cmdSn).i32(28, expStatSn);
        p.bhs.put(32, cdb16, 0, Math.min(16, cdb16.length));
        return p;
    }

    static RawPdu dataOut(boolean fin, long lunField, int itt, int ttt, int expStatSn, int dataSn, int offset,
                          byte[] d) {
        RawPdu p = new RawPdu("DATA_OUT", 0x05, false, fin ? 0x80 : 0);
        p.i64(8, lunField).i32(16, itt).i32(20, ttt).i32(28, expStatSn).i32(36, dataSn).i32(40, offset);
        return p.data(d);
    }

    static RawPdu nopOut(boolean immediate, int itt, int ttt, int cmdSn, int expStatSn, byte[] ping) {
        RawPdu p = new RawPdu("NOP_OUT", 0x00, immediate, 0x80);
        p.i32(16, itt).i32(20, ttt).i32(24, cmdSn).i32(28, expStatSn);
        return p.data(ping);
    }

    static RawPdu taskManagement(boolean immediate, int function, long lunField, int itt, int rtt, int cmdSn,
                                 int expStatSn, int refCmdSn) {
        RawPdu p = new RawPdu("TMF", 0x02, immediate, 0x80 | function);
        return p.i64(8, lunField).i32(16, itt).i32(20, rtt).i32(24, cmdSn).i32(28, expStatSn).i32(32, refCmdSn);
    }

    static RawPdu text(boolean immediate, int flags, int itt, int ttt, int cmdSn, int expStatSn, byte[] keys) {
        RawPdu p = new RawPdu("TEXT", 0x04, immediate, flags);
        p.i32(16, itt).i32(20, ttt).i32(24, cmdSn).i32(28, expStatSn);
        return p.data(keys);
    }

    static RawPdu logout(boolean immediate, int reason, int itt, int cid, int cmdSn, int expStatSn) {
        RawPdu p = new RawPdu("LOGOUT", 0x06, immediate, 0x80 | reason);
        return p.i32(16, itt).i32(20, cid << 16).i32(24, cmdSn).i32(28, expStatSn);
    }

    static RawPdu snack(int type, int itt, int ttt, int expStatSn, int begRun, int runLength) {
        RawPdu p = new RawPdu("SNACK", 0x10, false, 0x80 | type);
        return p.i32(16, itt).i32(20, ttt).i32(28, expStatSn).i32(40, begRun).i32(44, runLength);
    }

    /** LUN field for a LUN below 256, peripheral device addressing (SAM-5 4.6.6). */
    static long lun(int lun) {
        return ((long) lun & 0xFF) << 48;
    }
}
