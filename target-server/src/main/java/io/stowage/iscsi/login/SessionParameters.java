package io.stowage.iscsi.login;

/**
 * The operational parameters in force after login (RFC 7143 §13), with the RFC defaults for keys that were not
 * negotiated. {@code initiatorMaxRecvDataSegmentLength} limits every data segment we send; {@code
 * targetMaxRecvDataSegmentLength} is what we declared and accept.
 */
public record SessionParameters(boolean headerDigest, boolean dataDigest, boolean initialR2T, boolean immediateData,
                                int initiatorMaxRecvDataSegmentLength, int targetMaxRecvDataSegmentLength,
                                int maxBurstLength, int firstBurstLength, int maxOutstandingR2T) {

    static SessionParameters from(Negotiator n) {
        int maxBurst = intOr(n.result(TextKey.MAX_BURST_LENGTH), 262144);
        int firstBurst = Math.min(intOr(n.result(TextKey.FIRST_BURST_LENGTH), 65536), maxBurst);
        return new SessionParameters(
                "CRC32C".equals(n.result(TextKey.HEADER_DIGEST)),
                "CRC32C".equals(n.result(TextKey.DATA_DIGEST)),
                !"No".equals(n.result(TextKey.INITIAL_R2T)),     // default Yes
                !"No".equals(n.result(TextKey.IMMEDIATE_DATA)),  // default Yes
                intOr(n.result(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH), 8192),
                Integer.parseInt(n.ours(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH)),
                maxBurst, firstBurst,
                intOr(n.result(TextKey.MAX_OUTSTANDING_R2T), 1));
    }

    /** These parameters with the initiator's MaxRecvDataSegmentLength declared anew (a full feature Text Request). */
    public SessionParameters withInitiatorMaxRecvDataSegmentLength(int n) {
        return new SessionParameters(headerDigest, dataDigest, initialR2T, immediateData, n,
                targetMaxRecvDataSegmentLength, maxBurstLength, firstBurstLength, maxOutstandingR2T);
    }

    private static int intOr(String v, int dflt) {
        return v == null ? dflt : Integer.parseInt(v);
    }
}
