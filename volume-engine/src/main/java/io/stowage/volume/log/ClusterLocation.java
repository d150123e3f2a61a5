package io.stowage.volume.log;

/**
 * Where a cluster's data lives, packed in a long: clone depth (8 bits: 0 = this volume, 1 = its parent, ...),
 * SCO number (40 bits, from 1), cluster offset inside the SCO (16 bits). 0 means never written or discarded,
 * which reads as zeros.
 */
public final class ClusterLocation {
    public static final long NONE = 0;

    private ClusterLocation() {
    }

    public static long of(int cloneDepth, long scoNumber, int offset) {
        if (scoNumber <= 0 || scoNumber >= 1L << 40 || offset < 0 || offset > 0xFFFF || cloneDepth < 0 || cloneDepth > 0xFF) {
            throw new IllegalArgumentException("location out of range: " + cloneDepth + "/" + scoNumber + "/" + offset);
        }
        return ((long) cloneDepth << 56) | (scoNumber << 16) | offset;
    }

    public static int cloneDepth(long location) {
        return (int) (location >>> 56);
    }

    public static long sco(long location) {
        return (location >>> 16) & ((1L << 40) - 1);
    }

    public static int offset(long location) {
        return (int) (location & 0xFFFF);
    }

    public static String toString(long location) {
        return location == NONE ? "none" : cloneDepth(location) + "/" + sco(location) + "/" + offset(location);
    }
}
