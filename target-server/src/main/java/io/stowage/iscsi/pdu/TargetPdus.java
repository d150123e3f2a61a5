package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * Builders for the PDUs a target sends (RFC 7143 §11). Sequence numbers that the connection assigns at send time
 * (StatSN, ExpCmdSN, MaxCmdSN) are at the same offsets (24, 28, 32) in every one of them and are filled in by
 * {@link #stampSequence}.
 */
public final class TargetPdus {
    public static final int STAT_SN = 24;
    public static final int EXP_CMD_SN = 28;
    public static final int MAX_CMD_SN = 32;

    private TargetPdus() {
    }

    public static void stampSequence(Pdu pdu, int statSn, int expCmdSn, int maxCmdSn) {
        ByteBuffer b = pdu.bhs();
        b.putInt(STAT_SN, statSn);
        b.putInt(EXP_CMD_SN, expCmdSn);
        b.putInt(MAX_CMD_SN, maxCmdSn);
    }

    /** SCSI Response, §11.4. {@code residualFlags} is O (04h) or U (02h) or 0. */
    public static Pdu scsiResponse(int itt, int status, int residualFlags, int residual, int expDataSn, byte[] sense) {
        ByteBuffer data = null;
        if (sense != null) {
            data = ByteBuffer.allocate(2 + sense.length); // §11.4.7.2: SenseLength then sense data
            data.putShort((short) sense.length).put(sense).flip();
        }
        Pdu p = Pdu.outgoing(IscsiOpcode.SCSI_RESPONSE, data);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) (0x80 | residualFlags));
        b.put(2, (byte) 0x00); // Command Completed at Target
        b.put(3, (byte) status);
        b.putInt(Bhs.ITT, itt);
        b.putInt(36, expDataSn);
        b.putInt(44, residual);
        return p;
    }

    /**
     * SCSI Data-In, §11.7. With {@code withStatus} the S bit carries the command's status and residual
     * (phase collapse, §11.7.1); F must then also be set.
     */
    public static Pdu dataIn(int itt, long lun, ByteBuffer data, int dataSn, int offset, boolean fin,
                             boolean withStatus, int status, int residualFlags, int residual) {
        Pdu p = Pdu.outgoing(IscsiOpcode.SCSI_DATA_IN, data);
        ByteBuffer b = p.bhs();
        int flags = (fin ? 0x80 : 0) | (withStatus ? 0x01 | residualFlags : 0);
        b.put(1, (byte) flags);
        if (withStatus) {
            b.put(3, (byte) status);
            b.putInt(44, residual);
        }
        b.putLong(Bhs.LUN, lun);
        b.putInt(Bhs.ITT, itt);
        b.putInt(20, Bhs.RESERVED_TAG);
        b.putInt(36, dataSn);
        b.putInt(40, offset);
        return p;
    }

    /** Ready To Transfer, §11.8. */
    public static Pdu r2t(int itt, long lun, int ttt, int r2tSn, int offset, int length) {
        Pdu p = Pdu.outgoing(IscsiOpcode.R2T, null);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) 0x80);
        b.putLong(Bhs.LUN, lun);
        b.putInt(Bhs.ITT, itt);
        b.putInt(20, ttt);
        b.putInt(36, r2tSn);
        b.putInt(40, offset);
        b.putInt(44, length);
        return p;
    }

    /** NOP-In, §11.19: a reply to a NOP-Out (ttt = FFFFFFFFh) or a target ping (itt = FFFFFFFFh). */
    public static Pdu nopIn(int itt, int ttt, long lun, ByteBuffer data) {
        Pdu p = Pdu.outgoing(IscsiOpcode.NOP_IN, data);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) 0x80);
        b.putLong(Bhs.LUN, lun);
        b.putInt(Bhs.ITT, itt);
        b.putInt(20, ttt);
        return p;
    }

    /** Task Management Function Response, §11.6. */
    public static Pdu taskManagementResponse(int itt, int response) {
        Pdu p = Pdu.outgoing(IscsiOpcode.TASK_MGMT_RESPONSE, null);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) 0x80);
        b.put(2, (byte) response);
        b.putInt(Bhs.ITT, itt);
        return p;
    }

    /** Logout Response, §11.15. */
    public static Pdu logoutResponse(int itt, int response, int time2Wait, int time2Retain) {
        Pdu p = Pdu.outgoing(IscsiOpcode.LOGOUT_RESPONSE, null);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) 0x80);
        b.put(2, (byte) response);
        b.putInt(Bhs.ITT, itt);
        b.putShort(40, (short) time2Wait);
        b.putShort(42, (short) time2Retain);
        return p;
    }

    /** Text Response, §11.11. */
    public static Pdu textResponse(int itt, int ttt, boolean fin, boolean cont, ByteBuffer data) {
        Pdu p = Pdu.outgoing(IscsiOpcode.TEXT_RESPONSE, data);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) ((fin ? 0x80 : 0) | (cont ? 0x40 : 0)));
        b.putInt(Bhs.LUN, 0);
        b.putInt(Bhs.ITT, itt);
        b.putInt(20, ttt);
        return p;
    }

    /** Login Response, §11.13. */
    public static Pdu loginResponse(byte[] requestHeader, boolean transit, int csg, int nsg, int tsih,
                                    int statusClass, int statusDetail, ByteBuffer data) {
        Pdu p = Pdu.outgoing(IscsiOpcode.LOGIN_RESPONSE, data);
        ByteBuffer b = p.bhs();
        b.put(1, (byte) ((transit ? 0x80 : 0) | (csg << 2) | (transit ? nsg : 0)));
        b.put(2, (byte) 0x00); // Version-max
        b.put(3, (byte) 0x00); // Version-active
        b.put(8, requestHeader, 8, 6); // ISID echoed
        b.putShort(14, (short) tsih);
        b.put(16, requestHeader, 16, 4); // ITT echoed
        b.put(36, (byte) statusClass);
        b.put(37, (byte) statusDetail);
        return p;
    }

    /** Reject, §11.17: the data segment is the complete header of the rejected PDU. */
    public static Pdu reject(RejectReason reason, byte[] rejectedHeader, int dataSnOrR2tSn) {
        Pdu p = Pdu.outgoing(IscsiOpcode.REJECT, ByteBuffer.wrap(rejectedHeader));
        ByteBuffer b = p.bhs();
        b.put(1, (byte) 0x80);
        b.put(2, (byte) reason.code);
        b.putInt(Bhs.ITT, Bhs.RESERVED_TAG);
        b.putInt(36, dataSnOrR2tSn);
        return p;
    }
}
