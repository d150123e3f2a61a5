package io.stowage.scsi;

/**
 * How the target port that serves a LUN identifies itself in VPD page 83h: the SCSI target device name, the
 * relative target port identifier and the target port group (one group per portal group for now).
 */
public record TargetPortIdentity(String targetName, int relativePortId, int portGroupId) {
    /** SCSI name string of the target port: {@code <name>,t,0x<tpgt>} (SPC-4 7.8.6.11, RFC 7143 §13.1). */
    public String portName() {
        return targetName + ",t,0x" + String.format("%04x", portGroupId);
    }
}
