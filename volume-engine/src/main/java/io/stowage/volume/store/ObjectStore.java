package io.stowage.volume.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a volume's sealed SCOs, closed TLogs and its header live (one store per volume namespace). Objects other
 * than the header are immutable and created exclusively. The header is the commit point and is only replaced
 * under a guard on the owner epoch, so a node that lost ownership can never commit.
 *
 * <p>Implementations: {@link DirectoryObjectStore} (the embedded default and tests) and, in backend-rados, the
 * RADOS store; both pass {@code ObjectStoreContract}. Thread-safe.
 */
public interface ObjectStore extends java.io.Closeable {
    /** Creates {@code name} with the file's contents; fails if it exists. Durable when it returns. */
    void putExclusive(String name, Path file) throws IOException;

    /** Creates {@code name} with {@code data}; fails if it exists. Durable when it returns. */
    void putExclusive(String name, ByteBuffer data) throws IOException;

    /**
     * Creates or atomically replaces a small mutable object (volume state such as persistent reservations; not
     * SCOs or TLogs, which are immutable). Durable when it returns.
     */
    void putReplace(String name, ByteBuffer data) throws IOException;

    /**
     * Reads {@code length} bytes at {@code offset} of {@code name} into {@code dst} from its position, which is left
     * unchanged; fails if the object is shorter.
     */
    void get(String name, long offset, int length, ByteBuffer dst) throws IOException;

    /** The whole object. */
    byte[] getAll(String name) throws IOException;

    boolean exists(String name) throws IOException;

    void delete(String name) throws IOException;

    /** Names beginning with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /** The header, if one was ever committed. */
    Optional<VolumeHeaderBytes> readHeader() throws IOException;

    /**
     * Replaces the header if the stored one carries {@code expectedEpoch} (or, for {@code expectedEpoch} = -1, if
     * none exists yet). Throws {@link FencedException} otherwise: another owner has taken the volume.
     */
    void commitHeader(long expectedEpoch, VolumeHeaderBytes header) throws IOException;

    /**
     * Before a takeover bumps the epoch: makes sure the previous owner can no longer write to this store (RADOS
     * blocklists its client). A store with only one possible writer has nothing to do.
     */
    default void fencePreviousOwner() throws IOException {
    }

    /** Releases what the store holds open (a RADOS client of its own). */
    default void close() throws IOException {
    }

    /** A header as stored: its owner epoch (the guard) and its serialized body. */
    record VolumeHeaderBytes(long epoch, byte[] body) {
    }

    /** The store refused a header commit because the epoch moved on: this node no longer owns the volume. */
    final class FencedException extends IOException {
        public FencedException(String message) {
            super(message);
        }
    }
}
