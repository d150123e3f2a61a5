package io.stowage.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * Field offsets of the PDUs an initiator sends (RFC 7143 §11), as named accessors over a BHS.
 * One nested class per wire layout, each citing its section.
 */
public final class InitiatorPdus {
    private InitiatorPdus() {
    }

    /** SCSI Command, §11.3. */
    public static final class ScsiCommand {
        public static final int FLAG_READ = 0x40;
        public static final int FLAG_WRITE = 0x20;
        public static final int EDTL = 20;
        public static final int CMD_SN = 24;
        public static final int EXP_STAT_SN = 28;
        public static final int CDB = 32;
        public static final int CDB_LENGTH = 16;
        /** AHS type 1: extended CDB (§11.2.2.3). */
        public static final int AHS_EXTENDED_CDB = 1;

        private ScsiCommand() {
        }

        public static boolean read(ByteBuffer b) {
            return (Bhs.flags(b) & FLAG_READ) != 0;
        }

        public static boolean write(ByteBuffer b) {
            return (Bhs.flags(b) & FLAG_WRITE) != 0;
        }

        public static long edtl(ByteBuffer b) {
            return b.getInt(EDTL) & 0xFFFFFFFFL;
        }

        public static int attributes(ByteBuffer b) {
            return Bhs.flags(b) & 0x07;
        }
    }

    /** SCSI Data-Out, §11.7. */
    public static final class DataOut {
        public static final int TTT = 20;
        public static final int DATA_SN = 36;
        public static final int BUFFER_OFFSET = 40;

        private DataOut() {
        }
    }

    /** NOP-Out, §11.18. */
    public static final class NopOut {
        public static final int TTT = 20;
        public static final int CMD_SN = 24;

        private NopOut() {
        }
    }

    /** Task Management Function Request, §11.5. */
    public static final class TaskManagement {
        public static final int REFERENCED_TASK_TAG = 20;
        public static final int CMD_SN = 24;
        public static final int EXP_STAT_SN = 28;
        public static final int REF_CMD_SN = 32;

        private TaskManagement() {
        }

        public static int function(ByteBuffer b) {
            return Bhs.flags(b) & 0x7F;
        }
    }

    /** Logout Request, §11.14. */
    public static final class Logout {
        public static final int CID = 20;
        public static final int CMD_SN = 24;

        private Logout() {
        }

        public static int reason(ByteBuffer b) {
            return Bhs.flags(b) & 0x7F;
        }
    }

    /** Text Request, §11.10. */
    public static final class Text {
        public static final int FLAG_CONTINUE = 0x40;
        public static final int TTT = 20;
        public static final int CMD_SN = 24;

        private Text() {
        }
    }

    /** Login Request, §11.12. */
    public static final class Login {
        public static final int FLAG_TRANSIT = 0x80;
        public static final int FLAG_CONTINUE = 0x40;
        public static final int VERSION_MAX = 2;
        public static final int VERSION_MIN = 3;
        public static final int ISID = 8;
        public static final int TSIH = 14;
        public static final int CID = 20;
        public static final int CMD_SN = 24;
        public static final int EXP_STAT_SN = 28;

        private Login() {
        }

        public static boolean transit(ByteBuffer b) {
            return (Bhs.flags(b) & FLAG_TRANSIT) != 0;
        }

        public static boolean continues(ByteBuffer b) {
            return (Bhs.flags(b) & FLAG_CONTINUE) != 0;
        }

        public static int currentStage(ByteBuffer b) {
            return (Bhs.flags(b) >>> 2) & 0x03;
        }

        public static int nextStage(ByteBuffer b) {
            return Bhs.flags(b) & 0x03;
        }

        public static long isid(ByteBuffer b) {
            return (b.getLong(ISID) >>> 16) & 0xFFFFFFFFFFFFL;
        }
    }
}
