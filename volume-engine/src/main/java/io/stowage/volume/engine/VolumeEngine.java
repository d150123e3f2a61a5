package io.stowage.volume.engine;

import io.stowage.volume.store.Backend;
import io.stowage.volume.VolumeInfo;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The engine API the daemon (and later the CLI) uses: create, list, open and delete volumes. A volume's objects
 * live in the {@link Backend}; its cache (SCOs, TLogs, LMDB) under {@code cacheRoot/<name>}. Thread-safe for
 * distinct volumes; a volume must be open at most once per process.
 */
public final class VolumeEngine {
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private final Path cacheRoot;
    private final Backend backend;
    private final VolumeConfig config;
    private final LocalFiles files;
    /** The volumes this engine opened (a clone's parent header changes go through an open parent's writer). */
    private final java.util.concurrent.ConcurrentHashMap<String, Volume> opened =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Clones clones;

    public VolumeEngine(Path cacheRoot, Backend backend, VolumeConfig config) {
        this(cacheRoot, backend, config, LocalFiles.SYSTEM);
    }

    /** With the cache's file operations going through {@code files} (tests: faults, power cuts). */
    public VolumeEngine(Path cacheRoot, Backend backend, VolumeConfig config, LocalFiles files) {
        this.cacheRoot = cacheRoot;
        this.backend = backend;
        this.config = config;
        this.files = files;
        this.clones = new Clones(backend, cacheRoot, name -> {
            Volume v = opened.get(name);
            return v == null || v.closed() ? null : v;
        });
    }

    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /** Creates an empty thin volume: a header with epoch 0 and no TLogs. Fails if the name exists. */
    public VolumeInfo create(String name, long sizeBytes) throws IOException {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("invalid volume name '" + name + "'");
        }
        VolumeInfo info = new VolumeInfo(name, UUID.randomUUID(), sizeBytes);
        ObjectStore store = backend.volume(name);
        if (store.readHeader().isPresent()) {
            throw new IllegalStateException("volume '" + name + "' already exists");
        }
        VolumeHeader h = new VolumeHeader(name, info.uuid(), sizeBytes, config.scoClusters(), 0, List.of());
        store.commitHeader(-1, -1, new ObjectStore.VolumeHeaderBytes(0, h.lastTlogSeq(), h.serialize()));
        VolumeLoader.deleteTree(cacheRoot.resolve(name)); // a stale cache of an earlier volume of this name
        return info;
    }

    public Optional<VolumeInfo> find(String name) throws IOException {
        if (!isValidName(name)) return Optional.empty();
        ObjectStore store = backend.volume(name);
        Optional<ObjectStore.VolumeHeaderBytes> raw = store.readHeader();
        if (raw.isEmpty()) return Optional.empty();
        VolumeHeader h = VolumeHeader.parse(raw.get(), name, store);
        return Optional.of(new VolumeInfo(h.name(), h.uuid(), h.sizeBytes()));
    }

    public List<VolumeInfo> list() throws IOException {
        List<VolumeInfo> out = new ArrayList<>();
        for (String n : backend.volumes()) find(n).ifPresent(out::add);
        return out;
    }

    /** Opens (and recovers) a volume; see {@link VolumeLoader}. */
    public Volume open(String name) throws IOException {
        ObjectStore store = backend.openVolume(name);
        try {
            Volume v = VolumeLoader.open(name, store, cacheRoot.resolve(name), config, files, backend);
            opened.put(name, v);
            return v;
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * Deletes a volume's objects and its cache. The volume must not be open. Refused
     * ({@link Snapshots.Refusal#HAS_CLONES}) while a clone reads one of its snapshots; deleting a clone frees its
     * parent's snapshot (its clone count goes down once the clone is gone).
     */
    public void delete(String name) throws IOException {
        VolumeHeader h = headerOf(name);
        if (h != null) Clones.checkDeletable(h);
        backend.deleteVolume(name);
        VolumeLoader.deleteTree(cacheRoot.resolve(name));
        opened.remove(name);
        if (h != null && !h.lineage().isEmpty()) {
            VolumeHeader.Ancestor parent = h.lineage().get(0);
            try {
                clones.count(parent.volume(), parent.snapshot(), parent.uuid(), -1);
            } catch (IOException | RuntimeException e) { // too high a count only refuses deletes: recount repairs it
                org.slf4j.LoggerFactory.getLogger(VolumeEngine.class).warn("volume {} deleted, but its parent {}'s "
                        + "clone count of snapshot {} could not be lowered ({}); recount it", name, parent.volume(),
                        parent.snapshot(), e.toString());
            }
        }
    }

    /**
     * Refuses ({@link Snapshots.SnapshotRefusedException}, HAS_CLONES) if {@link #delete} would: a clone reads one of
     * the volume's snapshots. For callers that must check before changing anything else (the catalogue).
     */
    public void checkDeletable(String name) throws IOException {
        VolumeHeader h = headerOf(name);
        if (h != null) Clones.checkDeletable(h);
    }

    private VolumeHeader headerOf(String name) throws IOException {
        if (!isValidName(name)) return null;
        ObjectStore store = backend.volume(name);
        Optional<ObjectStore.VolumeHeaderBytes> raw = store.readHeader();
        return raw.isPresent() ? VolumeHeader.parse(raw.get(), name, store) : null;
    }

    /**
     * Creates volume {@code clone} as a thin clone of snapshot {@code snapshot} of volume {@code parent} (open
     * here or not): no data is copied, its untouched clusters are read from the parent's SCOs. The snapshot can then
     * not be deleted (nor rolled away), nor the parent, until the clone is. See {@link Clones}.
     *
     * @throws IllegalArgumentException an invalid name ({@link Snapshots.SnapshotRefusedException} NOT_FOUND: no
     *         such snapshot)
     * @throws IllegalStateException {@code clone} exists, or {@code parent} does not
     */
    public VolumeInfo clone(String parent, String snapshot, String clone) throws IOException {
        if (!isValidName(clone)) throw new IllegalArgumentException("invalid volume name '" + clone + "'");
        if (!isValidName(parent)) throw new IllegalStateException("volume '" + parent + "' does not exist");
        clones.create(parent, snapshot, clone);
        return find(clone).orElseThrow();
    }

    /**
     * Sets the clone counts of {@code volume}'s snapshots to the clones that exist (after a crash during a clone's
     * creation or deletion); returns them by snapshot.
     */
    public java.util.Map<String, Integer> recountClones(String volume) throws IOException {
        return clones.recount(volume);
    }

    /** Drops the local cache of a closed volume (its next open is a backend restart). */
    public void dropCache(String name) throws IOException {
        VolumeLoader.deleteTree(cacheRoot.resolve(name));
    }
}
