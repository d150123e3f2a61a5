package io.stowage.volume;

import java.io.IOException;

/**
 * A write failed because the local cache disk is full (ENOSPC, or a quota). The append that failed was undone
 * (a write spanning SCOs may have kept its first SCOs' clusters: each cluster is old or new) and the volume goes
 * on: reads work, uploads free space, and writes succeed again once there is room. SCSI reports it as DATA
 * PROTECT / SPACE ALLOCATION FAILED WRITE PROTECT, which initiators retry later rather than take for a bad
 * medium.
 */
public final class OutOfSpaceException extends IOException {
    public OutOfSpaceException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True for the JDK's rendering of ENOSPC and EDQUOT (it carries no errno, only strerror's text). */
    public static boolean isOutOfSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof OutOfSpaceException
                    || m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
