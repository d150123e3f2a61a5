package io.stowage.volume.engine;

import java.io.IOException;

/** A cluster's data does not match the CRC32C recorded when it was written: reported, never returned silently. */
public final class CorruptClusterException extends IOException {
    public CorruptClusterException(String message) {
        super(message);
    }
}
