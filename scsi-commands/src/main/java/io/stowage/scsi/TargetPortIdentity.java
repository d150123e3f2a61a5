package io.stowage.scsi;

/**
 * How the target port that serves a LUN identifies itself in VPD page 83h and REPORT TARGET PORT GROUPS: the SCSI
 * target device name, the relative target port identifier and the target port group.
 *
 * <p>Every node exports the same targets, so one SCSI target device spans the nodes and each node is one target port
 * of it, in a target port group of its own (the ALUA state is per node: one node owns a volume). The node id gives
 * all three numbers — the port group, the relative port and the iSCSI portal group tag of its target port name —
 * so they are stable across restarts and do not depend on which other targets the config lists, or in what order.
 */
public record TargetPortIdentity(String targetName, int relativePortId, int portGroupId) {
    /** Node ids are 16-bit (relative port, port group and portal group tag are 16-bit fields); 0 is reserved. */
    public static final int MAX_NODE_ID = 0xFFFF;

    /** The target port of node {@code nodeId} in target {@code targetName}. */
    public static TargetPortIdentity ofNode(String targetName, int nodeId) {
        if (nodeId < 1 || nodeId > MAX_NODE_ID) {
            // SPC-4 7.8.6.5: relative target port 0 is reserved
            throw new IllegalArgumentException("node id " + nodeId + " is not in 1.." + MAX_NODE_ID);
        }
        return new TargetPortIdentity(targetName, nodeId, nodeId);
    }

    /**
     * SCSI name string of the target port: {@code <name>,t,0x<tpgt>} (SPC-4 7.8.6.11, RFC 7143 §13.1); the portal
     * group tag is the port group id.
     */
    public String portName() {
        return targetName + ",t,0x" + String.format("%04x", portGroupId);
    }
}
