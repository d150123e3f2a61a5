package io.stowage.volume.engine;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The one writer of a volume's header: the uploader's TLog commits, resizes and metadata checkpoints all go through
 * {@link #commit}, each building on the last committed header. Every commit is guarded by this owner's epoch and the
 * current header's last TLog (a delayed duplicate of an earlier commit can never roll the header back); a refusal
 * for fencing (another node took the volume over) halts the volume and is rethrown.
 *
 * <p>Threads and locks: {@link #header} is a volatile read from any thread. Commits (the uploader thread, the
 * checkpoint thread, resize callers) are serialised by this class's lock, held across the backend call; it is never
 * taken while holding the volume's append lock or stripe locks, and under it only the volume's halt runs (which
 * takes nothing but the dirty-budget monitor to wake waiting writers).
 */
final class HeaderCommitter implements Checkpoints.Owner {
    private final ObjectStore store;
    private final long epoch;
    private final Consumer<Throwable> halt;
    /** Serialises header changes: each builds on the last committed one. */
    private final Object lock = new Object();
    private volatile VolumeHeader header;

    HeaderCommitter(ObjectStore store, long epoch, VolumeHeader committed, Consumer<Throwable> halt) {
        this.store = store;
        this.epoch = epoch;
        this.header = committed;
        this.halt = halt;
    }

    /** The last committed header. */
    @Override
    public VolumeHeader header() {
        return header;
    }

    /** Commits {@code change(header)}; returns the header it replaced. */
    @Override
    public VolumeHeader commitHeader(UnaryOperator<VolumeHeader> change) throws IOException {
        return commit(change);
    }

    /** Commits {@code change(header)} (which may refuse by throwing, committing nothing); returns the header it replaced. */
    VolumeHeader commit(UnaryOperator<VolumeHeader> change) throws IOException {
        synchronized (lock) {
            VolumeHeader before = header;
            VolumeHeader next = change.apply(before);
            if (next == before) return before; // nothing to change
            try {
                write(before, next);
            } catch (ObjectStore.FencedException e) {
                halt.accept(e);
                throw e;
            }
            header = next;
            return before;
        }
    }

    /**
     * Commits {@code next} over {@code current}. A refusal that finds {@code next} already in place is this owner's
     * own earlier attempt, reported as failed (a timeout) but landed: that is success. Caller holds the lock.
     */
    private void write(VolumeHeader current, VolumeHeader next) throws IOException {
        byte[] body = next.serialize();
        try {
            store.commitHeader(epoch, current.lastTlogSeq(),
                    new ObjectStore.VolumeHeaderBytes(epoch, next.lastTlogSeq(), body));
        } catch (ObjectStore.FencedException e) {
            ObjectStore.VolumeHeaderBytes now = store.readHeader().orElse(null);
            if (now != null && now.epoch() == epoch && Arrays.equals(now.body(), body)) return;
            throw e;
        }
    }
}
