package io.stowage.scsi;

/**
 * An I_T nexus (SAM-5 4.7): the initiator port and the target port a command came through. For iSCSI the
 * initiator port name is {@code <InitiatorName>,i,0x<ISID>} and the target port {@code <TargetName>,t,0x<TPGT>}
 * (RFC 7143 §4.2.7). Reservations and unit attentions are kept per nexus.
 */
public record Nexus(String initiatorPort, String targetPort) {
}
