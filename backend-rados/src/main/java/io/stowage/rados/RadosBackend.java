package io.stowage.rados;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.LeaseStore;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Volumes in one RADOS pool, each under {@code <object-prefix><volume>/}. Catalogue operations (create, list, find,
 * delete) share one client; a volume opened for I/O gets a client of its own, so that fencing a node's hold on one
 * volume (blocklisting that client) leaves its other volumes alone. Thread-safe.
 */
public final class RadosBackend implements Backend, AutoCloseable {
    private final RadosBackendConfig config;
    private final RadosConnection shared;
    private final RadosLeases leases;

    public RadosBackend(RadosBackendConfig config) throws IOException {
        this.config = config;
        this.shared = RadosConnection.open(config);
        this.leases = new RadosLeases(shared, config);
    }

    /** Ceph exclusive locks with a duration on each volume's {@code lease} object, on the shared client. */
    @Override
    public LeaseStore leases() {
        return leases;
    }

    @Override
    public ObjectStore volume(String name) {
        return new RadosObjectStore(shared, false, config.objectName(name, ""));
    }

    @Override
    public ObjectStore openVolume(String name) throws IOException {
        return new RadosObjectStore(RadosConnection.open(config), true, config.objectName(name, ""));
    }

    /** Objects under {@code <object-prefix>_node/}, on the shared client. */
    @Override
    public ObjectStore nodeStore() {
        return new RadosObjectStore(shared, false, config.objectName("_node", ""));
    }

    @Override
    public List<String> volumes() throws IOException {
        List<String> out = new ArrayList<>();
        String suffix = "/" + RadosObjectStore.HEADER;
        for (String o : new RadosObjectStore(shared, false, config.objectPrefix()).list("")) {
            if (o.endsWith(suffix) && o.indexOf('/') == o.length() - suffix.length()) {
                out.add(o.substring(0, o.length() - suffix.length()));
            }
        }
        out.sort(null);
        return out;
    }

    /** Deletes the header first (the volume is gone from then on), then every other object. */
    @Override
    public void deleteVolume(String name) throws IOException {
        ObjectStore s = volume(name);
        s.delete(RadosObjectStore.HEADER);
        for (String o : s.list("")) s.delete(o);
    }

    @Override
    public void close() {
        shared.close();
    }
}
