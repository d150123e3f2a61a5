package io.stowage.volume;

import java.io.IOException;

/**
 * The volume halted and refuses I/O until it is reopened: another node took it over (its guarded writes were
 * fenced) or a local failure stopped it. Nothing is wrong with the blocks themselves, so the SCSI layer reports the
 * logical unit as no longer accessible through this node (an ALUA state transition, which multipath initiators retry
 * on another path) rather than as a bad medium. {@link #getCause()} is what halted it.
 */
public final class VolumeHaltedException extends IOException {
    public VolumeHaltedException(String message, Throwable cause) {
        super(message, cause);
    }
}
