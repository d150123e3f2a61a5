package io.stowage.volume.store;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases for a backend only one node uses (the directory store): kept in memory, never expiring, granted to the
 * first handle that asks. Enough for a single node; it does not coordinate processes.
 */
public final class LocalLeases implements LeaseStore {
    private final Map<String, LocalLease> held = new ConcurrentHashMap<>();
    private final Map<String, Lease.MoveRequest> moves = new ConcurrentHashMap<>();

    @Override
    public Lease lease(String volume, int nodeId, String nodeName) {
        return new LocalLease(volume, new Lease.Holder(nodeId, nodeName));
    }

    private final class LocalLease implements Lease {
        private final String volume;
        private final Holder me;

        LocalLease(String volume, Holder me) {
            this.volume = volume;
            this.me = me;
        }

        @Override
        public boolean acquire(Duration duration) {
            return held.computeIfAbsent(volume, v -> this) == this;
        }

        @Override
        public boolean renew(Duration duration) {
            return held.get(volume) == this;
        }

        @Override
        public void release() {
            held.remove(volume, this);
        }

        @Override
        public Optional<Holder> holder() {
            LocalLease h = held.get(volume);
            return h == null ? Optional.empty() : Optional.of(h.me);
        }

        @Override
        public void requestMove(MoveRequest request) {
            if (request == null) moves.remove(volume);
            else moves.put(volume, request);
        }

        @Override
        public Optional<MoveRequest> moveRequest() {
            return Optional.ofNullable(moves.get(volume));
        }
    }
}
