package io.stowage.volume.store;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * One node's handle on the ownership lease of one volume: at most one node holds it at a time, for a bounded time
 * from when it was last taken or renewed (measured where the lease is kept, e.g. by the OSD). A node serves a
 * volume only while it holds its lease; a holder that stops renewing loses it when it expires, and the first other
 * node to {@link #acquire} it then takes the volume over. Thread-safe.
 */
public interface Lease extends AutoCloseable {

    /** Who holds a lease: the node's {@code node.id} and {@code node.name}. */
    record Holder(int nodeId, String nodeName) {
        /** True if {@code node} names this holder, by its name or its id. */
        public boolean is(String node) {
            return node != null && (node.equals(nodeName) || node.equals(Integer.toString(nodeId)));
        }
    }

    /**
     * A request that the holder hand the volume over to {@code toNode} (a node name or id): the holder releases it,
     * and until {@code untilMillis} (wall clock) the other nodes leave it to {@code toNode}.
     */
    record MoveRequest(String toNode, long untilMillis) {
    }

    /**
     * Takes the lease for {@code duration} if it is free or expired, or extends it if this handle holds it. Returns
     * false, changing nothing, while another holder has it (also this node under an earlier handle: a restarted
     * node never takes its old lease back before it expires).
     */
    boolean acquire(Duration duration) throws IOException;

    /**
     * Extends the lease this handle holds by {@code duration} from now. Returns false if it is not held any more
     * (it expired, and perhaps another node took it); throws when the answer is unknown (the store unreachable).
     */
    boolean renew(Duration duration) throws IOException;

    /** Gives the lease up (if this handle holds it), so another node may take it at once. */
    void release() throws IOException;

    /** The current holder, or empty when it is free (an expired holder may still be reported). */
    Optional<Holder> holder() throws IOException;

    /** Records (replaces) a move request; null clears it. */
    void requestMove(MoveRequest request) throws IOException;

    /** The move request recorded for the volume, if any. */
    Optional<MoveRequest> moveRequest() throws IOException;

    @Override
    default void close() {
    }
}
