package io.stowage.volume;

import java.util.Objects;
import java.util.UUID;

/**
 * A volume's identity and size. The UUID never changes for the life of the volume: the SCSI layer derives the
 * NAA designator and the unit serial number from it, so initiators see the same device across restarts.
 */
public record VolumeInfo(String name, UUID uuid, long sizeBytes) {
    public VolumeInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
        if (sizeBytes <= 0 || sizeBytes % 4096 != 0) {
            throw new IllegalArgumentException("volume size must be a positive multiple of 4096 bytes: " + sizeBytes);
        }
    }
}
