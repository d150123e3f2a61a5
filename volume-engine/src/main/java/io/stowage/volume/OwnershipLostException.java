package io.stowage.volume;

import java.io.IOException;

/**
 * The volume is no longer this node's: another node took it over (its owner epoch moved on, or the backend
 * blocklisted this client). Nothing this node does to it can commit any more. SCSI reports it as NOT READY /
 * ASYMMETRIC ACCESS STATE TRANSITION, so that a multipath initiator retries on another path, never as a bad medium.
 */
public class OwnershipLostException extends IOException {
    public OwnershipLostException(String message) {
        super(message);
    }
}
