package io.stowage.volume.engine;

import io.stowage.volume.store.Backend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link Backend} over a real {@link DirectoryBackend} for tests that wrap each volume's store (they implement
 * {@link #volume}, usually with a {@code ForwardingObjectStore}); the volume list and deletes go to the real one.
 */
abstract class ForwardingBackend implements Backend {
    final DirectoryBackend real;

    ForwardingBackend(Path root) throws IOException {
        real = new DirectoryBackend(root);
    }

    @Override
    public List<String> volumes() throws IOException {
        return real.volumes();
    }

    @Override
    public void deleteVolume(String name) throws IOException {
        real.deleteVolume(name);
    }
}
