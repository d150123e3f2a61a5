package io.stowage.node.catalogue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalogue as one JSON object {@code catalogue} in the backend's node store (the directory store's
 * {@code _node/versioned.catalogue}, or {@code <prefix>_node/catalogue} in the RADOS pool), written by
 * compare-and-swap on its version ({@link ObjectStore#putVersioned}): a change made on a stale copy (another node,
 * or another request of this one, got there first) is re-applied to the fresh copy, so no writer loses another's
 * update. Thread-safe.
 */
public final class CatalogueStore {
    private static final Logger log = LoggerFactory.getLogger(CatalogueStore.class);
    static final String OBJECT = "catalogue";
    private static final int ATTEMPTS = 32;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // a newer release may add fields

    /** A catalogue and the version it was read at (0: none stored yet). */
    public record Versioned(long version, Catalogue catalogue) {
    }

    private final ObjectStore store;

    public CatalogueStore(ObjectStore store) {
        this.store = store;
    }

    /** The stored catalogue, or empty if none was ever written (first start). */
    public Optional<Versioned> read() throws IOException {
        Optional<ObjectStore.Versioned> raw = store.getVersioned(OBJECT);
        if (raw.isEmpty()) return Optional.empty();
        Catalogue c = JSON.readValue(raw.get().data(), Catalogue.class);
        if (c.format() > Catalogue.FORMAT) {
            throw new IOException("the catalogue was written in format " + c.format() + " by a newer Stowage; this"
                    + " one reads format " + Catalogue.FORMAT);
        }
        return Optional.of(new Versioned(raw.get().version(), c));
    }

    /** The stored catalogue's version alone (0: none yet), cheap enough to poll. */
    public long version() throws IOException {
        return store.versionOf(OBJECT);
    }

    /**
     * Applies {@code change} to the current catalogue and stores the result, retrying on the fresh copy when
     * another writer won. {@code change} may throw (a refused operation): nothing is stored then. Returns what was
     * stored (or the current catalogue if {@code change} changed nothing).
     */
    public Versioned update(UnaryOperator<Catalogue> change) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Versioned current = read().orElse(new Versioned(0, Catalogue.empty()));
            Catalogue next = change.apply(current.catalogue());
            if (next.equals(current.catalogue()) && current.version() > 0) return current;
            try {
                long v = store.putVersioned(OBJECT, current.version(), JSON.writeValueAsBytes(next));
                return new Versioned(v, next);
            } catch (ObjectStore.VersionConflictException e) {
                log.debug("catalogue changed under us (version {}): applying the change again", current.version());
            }
        }
        throw new IOException("the catalogue kept changing under this update (" + ATTEMPTS + " attempts)");
    }

    static byte[] serialize(Catalogue c) throws IOException {
        return JSON.writeValueAsBytes(c);
    }
}
