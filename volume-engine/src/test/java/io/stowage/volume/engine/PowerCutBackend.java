package io.stowage.volume.engine;

import io.stowage.volume.store.Backend;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A backend seen from a node that can lose power ({@link PowerCutFiles}): the objects survive a cut (they are
 * elsewhere), but while the node is off every call fails, and each call that changes the store counts as an
 * operation after which the power may go off — the change is made, the node never learns it (an SCO put, a TLog
 * put, a header commit whose answer is lost).
 */
final class PowerCutBackend implements Backend {
    private final Backend real;
    private final PowerCutFiles power;

    PowerCutBackend(Backend real, PowerCutFiles power) {
        this.real = real;
        this.power = power;
    }

    @Override
    public ObjectStore volume(String name) throws IOException {
        ObjectStore s = real.volume(name);
        return new ObjectStore() {
            public void putExclusive(String n, Path f) throws IOException {
                power.checkPower();
                s.putExclusive(n, f);
                power.event();
            }

            public void putExclusive(String n, ByteBuffer d) throws IOException {
                power.checkPower();
                s.putExclusive(n, d);
                power.event();
            }

            public byte[] getState(String key) throws IOException {
                power.checkPower();
                return s.getState(key);
            }

            public void putState(long ownerEpoch, String key, byte[] state) throws IOException {
                power.checkPower();
                s.putState(ownerEpoch, key, state);
                power.event();
            }

            public void get(String n, long o, int l, ByteBuffer d) throws IOException {
                power.checkPower();
                s.get(n, o, l, d);
            }

            public byte[] getAll(String n) throws IOException {
                power.checkPower();
                return s.getAll(n);
            }

            public boolean exists(String n) throws IOException {
                power.checkPower();
                return s.exists(n);
            }

            public void delete(String n) throws IOException {
                power.checkPower();
                s.delete(n);
                power.event();
            }

            public List<String> list(String p) throws IOException {
                power.checkPower();
                return s.list(p);
            }

            public Optional<VolumeHeaderBytes> readHeader() throws IOException {
                power.checkPower();
                return s.readHeader();
            }

            public void commitHeader(long e, long lastTlog, VolumeHeaderBytes h) throws IOException {
                power.checkPower();
                s.commitHeader(e, lastTlog, h);
                power.event();
            }

            public void fencePreviousOwner() throws IOException {
                power.checkPower();
                s.fencePreviousOwner();
            }

            public void close() throws IOException {
                s.close();
            }
        };
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
