package io.stowage.volume.engine;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.List;

/** Where volumes' object stores live: one namespace per volume. Thread-safe. */
public interface Backend {
    ObjectStore volume(String name) throws IOException;

    /** Names of volumes that have a header. */
    List<String> volumes() throws IOException;

    void deleteVolume(String name) throws IOException;
}
