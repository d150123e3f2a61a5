package io.stowage.target.session;

import io.stowage.scsi.ScsiTarget;
import io.stowage.target.login.ChapCredentials;

/**
 * An iSCSI target node: its IQN, the SCSI target device behind it, the portal group it is served on, and the CHAP
 * secrets a normal session's login must prove (null: no authentication).
 */
public record ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag, ChapCredentials chap) {
    public ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag) {
        this(name, scsi, portalGroupTag, null);
    }
}
