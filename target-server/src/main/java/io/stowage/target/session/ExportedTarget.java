package io.stowage.target.session;

import io.stowage.scsi.ScsiTarget;
import io.stowage.target.login.ChapCredentials;

/**
 * An iSCSI target node: its IQN, the SCSI target device behind it, the portal group it is served on, the CHAP
 * secrets a normal session's login must prove (null: no authentication), and the TargetAlias it names itself by
 * (RFC 7143 §13.6; null: none).
 */
public record ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag, ChapCredentials chap, String alias) {
    public ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag) {
        this(name, scsi, portalGroupTag, null, null);
    }

    public ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag, ChapCredentials chap) {
        this(name, scsi, portalGroupTag, chap, null);
    }
}
