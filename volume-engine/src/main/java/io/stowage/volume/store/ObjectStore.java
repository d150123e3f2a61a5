package io.stowage.volume.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a volume's sealed SCOs, closed TLogs, its header and its named state live (one store per volume namespace).
 * Objects other than the header are immutable and created exclusively. The header is the commit point and is only
 * replaced under a guard on the owner epoch (and its last committed TLog), so a node that lost ownership can never
 * commit; named state is written under the same epoch guard.
 *
 * <p>Implementations: {@link DirectoryObjectStore} (the embedded default and tests) and, in backend-rados, the
 * RADOS store; both pass {@code ObjectStoreContract}. Thread-safe.
 */
public interface ObjectStore extends java.io.Closeable {
    /** Creates {@code name} with the file's contents; fails if it exists. Durable when it returns. */
    void putExclusive(String name, Path file) throws IOException;

    /** Creates {@code name} with {@code data}; fails if it exists. Durable when it returns. */
    void putExclusive(String name, ByteBuffer data) throws IOException;

    /** Named mutable state of the volume (persistent reservations), or null if none was saved. */
    byte[] getState(String key) throws IOException;

    /**
     * Replaces named state ({@code state} null deletes it), only while the header still carries {@code ownerEpoch},
     * atomically with that check: a node that lost the volume can never overwrite the new owner's state. Throws
     * {@link FencedException} otherwise. Small values only (a few KiB). Durable when it returns.
     */
    void putState(long ownerEpoch, String key, byte[] state) throws IOException;

    /**
     * A small mutable object written by {@link #putVersioned}, with its version, or empty if there is none. Reads
     * the data and the version that belong together.
     */
    default Optional<Versioned> getVersioned(String name) throws IOException {
        throw new UnsupportedOperationException(this + " keeps no versioned objects");
    }

    /**
     * The version of a versioned object (0: none yet), without its data: what a node polls to learn that another
     * one changed the catalogue. By default read with the data.
     */
    default long versionOf(String name) throws IOException {
        return getVersioned(name).map(Versioned::version).orElse(0L);
    }

    /**
     * Compare-and-swap: replaces {@code name} with {@code data} only if its version is still
     * {@code expectedVersion} (0: only if it does not exist yet), atomically with that check, and returns the new
     * version ({@code expectedVersion + 1}). Throws {@link VersionConflictException} if another writer got there
     * first; the caller reads again and retries. For node-wide state several writers share (the catalogue); small
     * values only (up to a few MiB). Durable when it returns.
     */
    default long putVersioned(String name, long expectedVersion, byte[] data) throws IOException {
        throw new UnsupportedOperationException(this + " keeps no versioned objects");
    }

    /**
     * Reads {@code length} bytes at {@code offset} of {@code name} into {@code dst} from its position, which is left
     * unchanged; fails if the object is shorter.
     */
    void get(String name, long offset, int length, ByteBuffer dst) throws IOException;

    /** The whole object. */
    byte[] getAll(String name) throws IOException;

    boolean exists(String name) throws IOException;

    void delete(String name) throws IOException;

    /** The size of object {@code name} in bytes (0 if it does not exist). Stores override this with a stat. */
    default long size(String name) throws IOException {
        return exists(name) ? getAll(name).length : 0;
    }

    /** Names beginning with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /** The header, if one was ever committed. */
    Optional<VolumeHeaderBytes> readHeader() throws IOException;

    /**
     * Replaces the header if the stored one carries {@code expectedEpoch} (or, for {@code expectedEpoch} = -1, if
     * none exists yet) and, for {@code expectedLastTlog} &ge; 0, the last-TLog mark {@code expectedLastTlog}; the new
     * header's mark is {@code header.lastTlog()}. Throws {@link FencedException} otherwise: another owner has taken
     * the volume, or this is a delayed duplicate of an earlier commit by the same owner (the mark moved on), which
     * must never roll the header back. A header written by the previous release carries no mark: {@link #readHeader}
     * reports -1, the caller passes that on, the commit is guarded on the epoch alone and sets the mark.
     */
    void commitHeader(long expectedEpoch, long expectedLastTlog, VolumeHeaderBytes header) throws IOException;

    /** A commit guarded on the epoch alone (creation, tests). */
    default void commitHeader(long expectedEpoch, VolumeHeaderBytes header) throws IOException {
        commitHeader(expectedEpoch, -1, header);
    }

    /**
     * Before a takeover bumps the epoch: makes sure the previous owner can no longer write to this store (RADOS
     * blocklists its client). A store with only one possible writer has nothing to do.
     */
    default void fencePreviousOwner() throws IOException {
    }

    /** Releases what the store holds open (a RADOS client of its own). */
    default void close() throws IOException {
    }

    /**
     * A header as stored: its owner epoch and its last-TLog mark (the guards; the mark is -1 if the header carries
     * none), and its serialized body.
     */
    record VolumeHeaderBytes(long epoch, long lastTlog, byte[] body) {
        public VolumeHeaderBytes(long epoch, byte[] body) {
            this(epoch, -1, body);
        }
    }

    /** A versioned object and its version (1 for the first write). */
    record Versioned(long version, byte[] data) {
    }

    /** {@link #putVersioned} lost the race: the object's version is no longer the expected one. */
    final class VersionConflictException extends IOException {
        public VersionConflictException(String message) {
            super(message);
        }
    }

    /** The store refused a header commit because the epoch moved on: this node no longer owns the volume. */
    final class FencedException extends io.stowage.volume.OwnershipLostException {
        public FencedException(String message) {
            super(message);
        }
    }
}
