package io.stowage.volume.engine;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Clone depth to the store a location of that depth is read from (volumedriver's NSIDMap): depth 0 is the volume's
 * own namespace (not held here: the volume's own store and header), depth d the d-th ancestor of the
 * {@linkplain VolumeHeader#lineage lineage}. A clone reads only an ancestor's sealed, committed SCOs, which never
 * change while the snapshot it was made from exists (the snapshot keeps them from the ancestor's scrubber and a
 * snapshot with clones cannot be deleted), so an ancestor's header is read once, at open, for the SCO epochs.
 *
 * <p>Threads: immutable after {@link #open} but for a header re-read when an SCO is not in the one read at open
 * (never expected: kept as a guard); any number of readers.
 */
final class NamespaceMap {
    static final NamespaceMap NONE = new NamespaceMap(List.of());

    /** An ancestor's namespace: its store and the header that tells under which epoch each SCO was written. */
    static final class Namespace {
        final VolumeHeader.Ancestor ancestor;
        final ObjectStore store;
        private volatile VolumeHeader header;

        Namespace(VolumeHeader.Ancestor ancestor, ObjectStore store, VolumeHeader header) {
            this.ancestor = ancestor;
            this.store = store;
            this.header = header;
        }

        /** The epoch SCO {@code number} of this ancestor was committed under, or -1. */
        long scoEpoch(long number) throws IOException {
            long e = header.scoEpoch(number);
            if (e >= 0) return e;
            header = readHeader(ancestor, store);
            return header.scoEpoch(number);
        }
    }

    private final List<Namespace> ancestors;

    private NamespaceMap(List<Namespace> ancestors) {
        this.ancestors = List.copyOf(ancestors);
    }

    /**
     * The namespaces of {@code header}'s lineage, each checked to be the volume the lineage names (same UUID): a
     * clone whose ancestor is missing or was replaced fails to open, naming it.
     */
    static NamespaceMap open(VolumeHeader header, Backend backend) throws IOException {
        if (header.lineage().isEmpty()) return NONE;
        if (backend == null) {
            throw new IOException("volume " + header.name() + " is a clone of " + header.lineage().get(0).volume()
                    + " and needs its backend to read it");
        }
        List<Namespace> l = new ArrayList<>();
        for (VolumeHeader.Ancestor a : header.lineage()) {
            ObjectStore store = backend.volume(a.volume());
            l.add(new Namespace(a, store, readHeader(a, store)));
        }
        return new NamespaceMap(l);
    }

    private static VolumeHeader readHeader(VolumeHeader.Ancestor a, ObjectStore store) throws IOException {
        ObjectStore.VolumeHeaderBytes raw = store.readHeader().orElseThrow(() -> new IOException("volume "
                + a.volume() + ", an ancestor of a clone, does not exist"));
        VolumeHeader h = VolumeHeader.parse(raw, a.volume(), store);
        if (!a.uuid().equals(h.uuid())) {
            throw new IOException("volume " + a.volume() + " is not the ancestor a clone was made of (UUID " + h.uuid()
                    + ", the clone names " + a.uuid() + ")");
        }
        return h;
    }

    /** The namespace at clone depth {@code depth} (1 = the parent). */
    Namespace at(int depth) throws IOException {
        if (depth < 1 || depth > ancestors.size()) {
            throw new IOException("clone depth " + depth + " is beyond the lineage (" + ancestors.size()
                    + " ancestor(s))");
        }
        return ancestors.get(depth - 1);
    }

    /** Number of ancestors (the deepest clone depth a location may have). */
    int depth() {
        return ancestors.size();
    }
}
