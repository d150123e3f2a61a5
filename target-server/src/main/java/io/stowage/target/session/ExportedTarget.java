package io.stowage.target.session;

import io.stowage.scsi.ScsiTarget;

/** An iSCSI target node: its IQN, the SCSI target device behind it and the portal group it is served on. */
public record ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag) {
}
