package io.stowage.volume.engine;

import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A store that passes every call to {@code real}, after {@link #before} (tests: fail, count or hook calls by
 * operation — "put", "get", "list", "delete", "exists", "state", "header" — and object name).
 */
class ForwardingObjectStore implements ObjectStore {
    private final ObjectStore real;

    ForwardingObjectStore(ObjectStore real) {
        this.real = real;
    }

    /** Called before each call is passed on; may throw to fail it. */
    protected void before(String op, String name) throws IOException {
    }

    @Override public void putExclusive(String n, Path f) throws IOException { before("put", n); real.putExclusive(n, f); }
    @Override public void putExclusive(String n, ByteBuffer d) throws IOException { before("put", n); real.putExclusive(n, d); }
    @Override public byte[] getState(String k) throws IOException { before("state", k); return real.getState(k); }
    @Override public void putState(long e, String k, byte[] d) throws IOException { before("state", k); real.putState(e, k, d); }
    @Override public void get(String n, long o, int l, ByteBuffer d) throws IOException { before("get", n); real.get(n, o, l, d); }
    @Override public Optional<Versioned> getVersioned(String n) throws IOException { before("versioned", n); return real.getVersioned(n); }
    @Override public long putVersioned(String n, long v, byte[] d) throws IOException { before("versioned", n); return real.putVersioned(n, v, d); }
    @Override public byte[] getAll(String n) throws IOException { before("get", n); return real.getAll(n); }
    @Override public boolean exists(String n) throws IOException { before("exists", n); return real.exists(n); }
    @Override public void delete(String n) throws IOException { before("delete", n); real.delete(n); }
    @Override public List<String> list(String p) throws IOException { before("list", p); return real.list(p); }
    @Override public Optional<VolumeHeaderBytes> readHeader() throws IOException { before("header", "header"); return real.readHeader(); }

    @Override
    public void commitHeader(long e, long t, VolumeHeaderBytes h) throws IOException {
        before("header", "header");
        real.commitHeader(e, t, h);
    }
}
