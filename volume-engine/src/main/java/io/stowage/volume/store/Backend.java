package io.stowage.volume.store;

import java.io.IOException;
import java.util.List;

/** Where volumes' object stores live: one namespace per volume. Thread-safe. */
public interface Backend {
    ObjectStore volume(String name) throws IOException;

    /** The store a volume opened for I/O uses; closed with the volume. May hold resources of its own. */
    default ObjectStore openVolume(String name) throws IOException {
        return volume(name);
    }

    /** Names of volumes that have a header. */
    List<String> volumes() throws IOException;

    void deleteVolume(String name) throws IOException;

    /**
     * The store of what every node using this backend shares (the node's catalogue of volumes and targets), apart
     * from any volume: named {@code _node}, which no volume name can be (they begin with a letter or digit).
     */
    default ObjectStore nodeStore() throws IOException {
        throw new UnsupportedOperationException(this + " keeps no node-wide objects");
    }

    /**
     * The volumes' ownership leases ({@link Lease}). A backend shared by several nodes keeps them where every node
     * sees them; the default grants them in memory, for a single node.
     */
    default LeaseStore leases() {
        return new LocalLeases();
    }
}
