package io.stowage.volume.store;

import java.io.IOException;

/** Where the ownership leases of a backend's volumes are kept ({@link Lease}). Thread-safe. */
public interface LeaseStore {
    /** This node's handle on the lease of {@code volume}; {@code nodeId} and {@code nodeName} identify the node. */
    Lease lease(String volume, int nodeId, String nodeName) throws IOException;
}
