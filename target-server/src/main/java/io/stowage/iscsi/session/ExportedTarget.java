package io.stowage.iscsi.session;

import io.stowage.scsi.ScsiTarget;
import io.stowage.iscsi.login.ChapCredentials;

/**
 * An iSCSI target node: its IQN, the SCSI target device behind it, the portal group it is served on, the CHAP
 * secrets a normal session's login must prove (null: no authentication), the initiators allowed to see it and
 * log in (empty: every initiator), and the TargetAlias it names itself by (RFC 7143 §13.6; null: none).
 */
public record ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag, ChapCredentials chap,
                             java.util.Set<String> allowedInitiators, String alias) {
    public ExportedTarget {
        allowedInitiators = java.util.Set.copyOf(allowedInitiators);
    }

    public ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag, ChapCredentials chap,
                          java.util.Set<String> allowedInitiators) {
        this(name, scsi, portalGroupTag, chap, allowedInitiators, null);
    }

    public ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag, ChapCredentials chap) {
        this(name, scsi, portalGroupTag, chap, java.util.Set.of());
    }

    public ExportedTarget(String name, ScsiTarget scsi, int portalGroupTag) {
        this(name, scsi, portalGroupTag, null);
    }

    /** Whether initiator {@code initiatorName} may see this target in SendTargets and log in to it. */
    public boolean allows(String initiatorName) {
        return allowedInitiators.isEmpty() || allowedInitiators.contains(initiatorName);
    }
}
