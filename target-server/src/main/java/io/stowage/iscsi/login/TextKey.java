package io.stowage.iscsi.login;

/**
 * Every text key Stowage knows (RFC 7143 §13, plus the RFC 3720 marker keys older initiators still send), in one
 * table after tgt's {@code session_keys[]} and LIO's parameter list: its negotiation rule, the value we offer or
 * accept, and the numeric range. Adding a key is one line.
 */
public enum TextKey {
    //            name                         rule                  ours               min    max
    HEADER_DIGEST("HeaderDigest", Rule.LIST, "None,CRC32C", 0, 0),
    DATA_DIGEST("DataDigest", Rule.LIST, "None,CRC32C", 0, 0),
    MAX_CONNECTIONS("MaxConnections", Rule.MIN, "1", 1, 65535),
    SEND_TARGETS("SendTargets", Rule.FULL_FEATURE_ONLY, "", 0, 0),
    TARGET_NAME("TargetName", Rule.DECLARATIVE, "", 0, 0),
    INITIATOR_NAME("InitiatorName", Rule.DECLARATIVE, "", 0, 0),
    TARGET_ALIAS("TargetAlias", Rule.DECLARATIVE, "", 0, 0),
    INITIATOR_ALIAS("InitiatorAlias", Rule.DECLARATIVE, "", 0, 0),
    TARGET_ADDRESS("TargetAddress", Rule.DECLARATIVE, "", 0, 0),
    TARGET_PORTAL_GROUP_TAG("TargetPortalGroupTag", Rule.DECLARATIVE, "", 0, 0),
    INITIAL_R2T("InitialR2T", Rule.OR, "No", 0, 0),
    IMMEDIATE_DATA("ImmediateData", Rule.AND, "Yes", 0, 0),
    MAX_RECV_DATA_SEGMENT_LENGTH("MaxRecvDataSegmentLength", Rule.DECLARATIVE_NUMBER, "262144", 512, 16777215),
    MAX_BURST_LENGTH("MaxBurstLength", Rule.MIN, "16776192", 512, 16777215),
    FIRST_BURST_LENGTH("FirstBurstLength", Rule.MIN, "262144", 512, 16777215),
    DEFAULT_TIME_2_WAIT("DefaultTime2Wait", Rule.MAX, "2", 0, 3600),
    DEFAULT_TIME_2_RETAIN("DefaultTime2Retain", Rule.MIN, "0", 0, 3600),
    MAX_OUTSTANDING_R2T("MaxOutstandingR2T", Rule.MIN, "1", 1, 65535),
    DATA_PDU_IN_ORDER("DataPDUInOrder", Rule.OR, "Yes", 0, 0),
    DATA_SEQUENCE_IN_ORDER("DataSequenceInOrder", Rule.OR, "Yes", 0, 0),
    ERROR_RECOVERY_LEVEL("ErrorRecoveryLevel", Rule.MIN, "0", 0, 2),
    SESSION_TYPE("SessionType", Rule.DECLARATIVE, "Normal", 0, 0),
    AUTH_METHOD("AuthMethod", Rule.LIST, "None", 0, 0),
    TASK_REPORTING("TaskReporting", Rule.LIST, "RFC3720", 0, 0),
    ISCSI_PROTOCOL_LEVEL("iSCSIProtocolLevel", Rule.MIN, "1", 0, 31),
    // RFC 3720 §12.19-20, removed by RFC 7143 but still offered by some initiators: markers are never used.
    OF_MARKER("OFMarker", Rule.AND, "No", 0, 0),
    IF_MARKER("IFMarker", Rule.AND, "No", 0, 0),
    OF_MARK_INT("OFMarkInt", Rule.IRRELEVANT, "", 0, 0),
    IF_MARK_INT("IFMarkInt", Rule.IRRELEVANT, "", 0, 0);

    /** How an offered value and ours combine into the result (RFC 7143 §6.2.1, §6.2.2). */
    public enum Rule {
        /** Initiator offers a list in preference order; we answer the first value we support. */
        LIST,
        /** Numeric, result is the smaller of offer and ours. */
        MIN,
        /** Numeric, result is the larger of offer and ours. */
        MAX,
        /** Boolean, result is offer OR ours. */
        OR,
        /** Boolean, result is offer AND ours. */
        AND,
        /** Each side states its own value; nothing is answered. */
        DECLARATIVE,
        /** Declarative with a numeric range (MaxRecvDataSegmentLength). */
        DECLARATIVE_NUMBER,
        /** Only valid in a Text Request during full feature phase. */
        FULL_FEATURE_ONLY,
        /** Answered with "Irrelevant". */
        IRRELEVANT
    }

    public final String keyName;
    public final Rule rule;
    public final String ours;
    public final long min;
    public final long max;

    TextKey(String keyName, Rule rule, String ours, long min, long max) {
        this.keyName = keyName;
        this.rule = rule;
        this.ours = ours;
        this.min = min;
        this.max = max;
    }

    /**
     * Keys RFC 7143 marks "Irrelevant when: SessionType=Discovery" (§13.2, 13.10, 13.11, 13.13, 13.14, 13.17-13.19):
     * a discovery session answers them Irrelevant instead of negotiating them.
     */
    public boolean irrelevantInDiscovery() {
        return switch (this) {
            case MAX_CONNECTIONS, INITIAL_R2T, IMMEDIATE_DATA, MAX_BURST_LENGTH, FIRST_BURST_LENGTH,
                 MAX_OUTSTANDING_R2T, DATA_PDU_IN_ORDER, DATA_SEQUENCE_IN_ORDER -> true;
            default -> false;
        };
    }

    public static TextKey byName(String name) {
        for (TextKey k : values()) {
            if (k.keyName.equals(name)) {
                return k;
            }
        }
        return null;
    }
}
