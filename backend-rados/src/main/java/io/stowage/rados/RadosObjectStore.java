package io.stowage.rados;

import com.ceph.rados.exceptions.RadosException;
import com.sun.jna.Pointer;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One volume's objects in a RADOS pool, named {@code <prefix><volume>/<object>}.
 *
 * <p>Fencing: the header object carries the owner epoch in the xattr {@code stowage.epoch}, the owning client's
 * address in {@code stowage.owner} and the last-TLog mark in {@code stowage.last-tlog}. A header commit is one
 * compound operation — compare the epoch xattr (and the last-TLog mark, so a delayed duplicate of an earlier commit
 * cannot roll the header back), write the body, set the new epoch, mark and owner — so it lands only while the
 * epoch is the one this node claimed. Named state (persistent reservations) lives in xattrs
 * {@code stowage.state.<key>} of the header object, written by a compound operation guarded by the same epoch
 * compare (RADOS compares only within one object, hence not a separate object). A versioned object (the catalogue)
 * carries its version in the xattr {@code stowage.version}, compared and bumped in the same compound operation
 * as its write. SCOs and TLogs
 * are created exclusively under epoch-bearing names. {@link #fencePreviousOwner()} blocklists the previous owner's
 * client before a takeover, so its in-flight operations are refused by the OSDs too. A refused or blocklisted
 * operation surfaces as {@link FencedException}; a timeout or other error as a plain {@link IOException} that the
 * uploader retries. Thread-safe (librados is).
 */
public final class RadosObjectStore implements ObjectStore {
    static final String HEADER = "header";
    static final String EPOCH_XATTR = "stowage.epoch";
    static final String OWNER_XATTR = "stowage.owner";
    static final String LAST_TLOG_XATTR = "stowage.last-tlog";
    static final String STATE_XATTR = "stowage.state.";
    static final String VERSION_XATTR = "stowage.version";
    static final int ERANGE = 34;
    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int ENODATA = 61;
    private static final int ECANCELED = 125;
    private static final int EBLOCKLISTED = 108; // ESHUTDOWN

    private final RadosConnection conn;
    private final boolean ownsConnection;
    private final String prefix;
    private final LibRados lib = LibRados.INSTANCE;

    RadosObjectStore(RadosConnection conn, boolean ownsConnection, String prefix) {
        this.conn = conn;
        this.ownsConnection = ownsConnection;
        this.prefix = prefix;
    }

    private String oid(String name) {
        return prefix + name;
    }

    @Override
    public void putExclusive(String name, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            // a mapped file is a direct buffer: librados reads the page cache, no Java copy
            ByteBuffer data = size == 0 ? ByteBuffer.allocateDirect(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            putExclusive(name, data);
        }
    }

    @Override
    public void putExclusive(String name, ByteBuffer data) throws IOException {
        Pointer op = lib.rados_create_write_op();
        try {
            lib.rados_write_op_create(op, LibRados.CREATE_EXCLUSIVE, null);
            writeFull(op, data);
            int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid(name), null, 0);
            if (rc == -EEXIST) throw new FileAlreadyExistsException(oid(name));
            check(rc, "create", name);
        } finally {
            lib.rados_release_write_op(op);
        }
    }

    private void writeFull(Pointer op, ByteBuffer data) {
        if (data.isDirect()) {
            ByteBuffer d = data.slice(); // JNA passes a direct buffer's base address: slice so that is our position
            lib.rados_write_op_write_full(op, d, d.remaining());
        } else {
            byte[] b = new byte[data.remaining()];
            data.duplicate().get(b);
            lib.rados_write_op_write_full(op, b, b.length);
        }
    }

    /** The state's xattr; else the object {@code state.<key>} the previous release kept it in; else null. */
    @Override
    public byte[] getState(String key) throws IOException {
        byte[] v = xattrBytes(HEADER, STATE_XATTR + key);
        if (v != null) return v;
        String legacy = "state." + key;
        try {
            return getAll(legacy);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void putState(long ownerEpoch, String key, byte[] state) throws IOException {
        String name = STATE_XATTR + key;
        boolean present = xattrBytes(HEADER, name) != null;
        if (state == null && !present) {
            // nothing to remove from the header (rmxattr of a missing xattr fails the whole op): still guarded
            guardedOnly(ownerEpoch, key);
        } else {
            byte[] expected = Long.toString(ownerEpoch).getBytes(StandardCharsets.UTF_8);
            Pointer op = lib.rados_create_write_op();
            try {
                lib.rados_write_op_cmpxattr(op, EPOCH_XATTR, LibRados.CMPXATTR_OP_EQ, expected, expected.length);
                if (state == null) {
                    lib.rados_write_op_rmxattr(op, name);
                } else {
                    lib.rados_write_op_setxattr(op, name, state, state.length);
                }
                int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid(HEADER), null, 0);
                if (rc == -ECANCELED || rc == -ENODATA || rc == -ENOENT) {
                    throw new FencedException("state " + key + " guarded by epoch " + ownerEpoch + " refused ("
                            + errno(rc) + "): another node owns " + oid(HEADER));
                }
                check(rc, "state write", HEADER);
            } finally {
                lib.rados_release_write_op(op);
            }
        }
        delete("state." + key); // the previous release's copy must not come back when the xattr is removed
    }

    /** Checks the epoch guard alone, as an empty guarded operation on the header (the OSD compares it). */
    private void guardedOnly(long ownerEpoch, String key) throws IOException {
        byte[] expected = Long.toString(ownerEpoch).getBytes(StandardCharsets.UTF_8);
        Pointer op = lib.rados_create_write_op();
        try {
            lib.rados_write_op_cmpxattr(op, EPOCH_XATTR, LibRados.CMPXATTR_OP_EQ, expected, expected.length);
            lib.rados_write_op_assert_exists(op);
            int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid(HEADER), null, 0);
            if (rc == -ECANCELED || rc == -ENODATA || rc == -ENOENT) {
                throw new FencedException("state " + key + " guarded by epoch " + ownerEpoch + " refused ("
                        + errno(rc) + "): another node owns " + oid(HEADER));
            }
            check(rc, "state write", HEADER);
        } finally {
            lib.rados_release_write_op(op);
        }
    }

    @Override
    public void get(String name, long offset, int length, ByteBuffer dst) throws IOException {
        if (length == 0) return; // librados must never see a zero-length read
        ByteBuffer target = dst.isDirect() ? dst.slice().limit(length) : ByteBuffer.allocateDirect(length);
        int n = lib.rados_read(conn.ioPtr, oid(name), target, length, offset);
        check(n, "read", name);
        if (n < length) {
            throw new IOException("object " + oid(name) + " is shorter than " + (offset + length) + " bytes");
        }
        if (!dst.isDirect()) dst.duplicate().put(target.limit(length));
    }

    @Override
    public byte[] getAll(String name) throws IOException {
        long size = stat(name);
        if (size < 0) throw new NoSuchFileException(oid(name));
        if (size == 0) return new byte[0];
        ByteBuffer b = ByteBuffer.allocateDirect((int) size);
        get(name, 0, (int) size, b);
        byte[] out = new byte[(int) size];
        b.get(0, out);
        return out;
    }

    /** Object size, or -1 if it does not exist. */
    private long stat(String name) throws IOException {
        try {
            return conn.io.stat(oid(name)).getSize();
        } catch (RadosException e) {
            if (-Math.abs(e.getReturnValue()) == -ENOENT) return -1;
            throw mapped(e, "stat", name);
        }
    }

    @Override
    public boolean exists(String name) throws IOException {
        return stat(name) >= 0;
    }

    /** One stat, not the default's read of the whole object (scrub asks it of every SCO it may delete). */
    @Override
    public long size(String name) throws IOException {
        return Math.max(0, stat(name));
    }

    @Override
    public void delete(String name) throws IOException {
        try {
            conn.io.remove(oid(name));
        } catch (RadosException e) {
            if (-Math.abs(e.getReturnValue()) != -ENOENT) throw mapped(e, "delete", name);
        }
    }

    /**
     * Lists the whole pool and keeps this volume's names: RADOS has no prefix listing. Used on recovery paths and
     * for deletion only, never per I/O.
     */
    @Override
    public List<String> list(String namePrefix) throws IOException {
        String p = prefix + namePrefix;
        List<String> out = new ArrayList<>();
        try {
            for (String o : conn.io.listObjects()) {
                if (o.startsWith(p)) out.add(o.substring(prefix.length()));
            }
        } catch (RadosException e) {
            throw mapped(e, "list", namePrefix);
        }
        out.sort(null);
        return out;
    }

    @Override
    public Optional<VolumeHeaderBytes> readHeader() throws IOException {
        for (int attempt = 0; ; attempt++) {
            String before = xattr(HEADER, EPOCH_XATTR);
            if (before == null) return Optional.empty();
            String markBefore = xattr(HEADER, LAST_TLOG_XATTR);
            byte[] body;
            try {
                body = getAll(HEADER);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            String after = xattr(HEADER, EPOCH_XATTR);
            String markAfter = xattr(HEADER, LAST_TLOG_XATTR);
            if ((before.equals(after) && java.util.Objects.equals(markBefore, markAfter)) || attempt > 10) {
                // a header of the previous release carries no mark
                long mark = markBefore == null ? -1 : Long.parseLong(markBefore);
                return Optional.of(new VolumeHeaderBytes(Long.parseLong(before), mark, body));
            }
            // a commit landed between our reads: read again so body, epoch and mark belong together
        }
    }

    /** The xattr's value, or null if the object or the xattr does not exist. */
    String xattr(String name, String key) throws IOException {
        byte[] v = xattrBytes(name, key);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    private byte[] xattrBytes(String name, String key) throws IOException {
        for (int size = 256; ; size *= 16) {
            byte[] buf = new byte[size];
            int n = lib.rados_getxattr(conn.ioPtr, oid(name), key, buf, buf.length);
            if (n == -ENOENT || n == -ENODATA) return null;
            if (n == -ERANGE && size < (16 << 20)) continue;
            check(n, "getxattr " + key, name);
            return java.util.Arrays.copyOf(buf, n);
        }
    }

    @Override
    public void commitHeader(long expectedEpoch, long expectedLastTlog, VolumeHeaderBytes header) throws IOException {
        byte[] epoch = Long.toString(header.epoch()).getBytes(StandardCharsets.UTF_8);
        byte[] owner = conn.address.getBytes(StandardCharsets.UTF_8);
        Pointer op = lib.rados_create_write_op();
        try {
            if (expectedEpoch < 0) {
                lib.rados_write_op_create(op, LibRados.CREATE_EXCLUSIVE, null);
            } else {
                byte[] expected = Long.toString(expectedEpoch).getBytes(StandardCharsets.UTF_8);
                lib.rados_write_op_cmpxattr(op, EPOCH_XATTR, LibRados.CMPXATTR_OP_EQ, expected, expected.length);
            }
            if (expectedLastTlog >= 0) {
                byte[] mark = Long.toString(expectedLastTlog).getBytes(StandardCharsets.UTF_8);
                lib.rados_write_op_cmpxattr(op, LAST_TLOG_XATTR, LibRados.CMPXATTR_OP_EQ, mark, mark.length);
            }
            lib.rados_write_op_write_full(op, header.body(), header.body().length);
            lib.rados_write_op_setxattr(op, EPOCH_XATTR, epoch, epoch.length);
            if (header.lastTlog() >= 0) {
                byte[] mark = Long.toString(header.lastTlog()).getBytes(StandardCharsets.UTF_8);
                lib.rados_write_op_setxattr(op, LAST_TLOG_XATTR, mark, mark.length);
            }
            // creation is not ownership: only an epoch bump by an opening node names an owner to fence later
            byte[] ownerValue = expectedEpoch < 0 ? new byte[0] : owner;
            lib.rados_write_op_setxattr(op, OWNER_XATTR, ownerValue, ownerValue.length);
            int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid(HEADER), null, 0);
            if (rc == -EEXIST || rc == -ECANCELED || rc == -ENODATA || rc == -ENOENT) {
                throw new FencedException("header commit guarded by epoch " + expectedEpoch + " and last TLog "
                        + expectedLastTlog + " refused ("
                        + errno(rc) + "): another node owns " + oid(HEADER));
            }
            check(rc, "commit", HEADER);
        } finally {
            lib.rados_release_write_op(op);
        }
    }

    /** The object's body with its version xattr, read until both belong together (as {@link #readHeader}). */
    @Override
    public Optional<Versioned> getVersioned(String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String before = xattr(name, VERSION_XATTR);
            if (before == null) return Optional.empty();
            byte[] body;
            try {
                body = getAll(name);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            String after = xattr(name, VERSION_XATTR);
            if (before.equals(after) || attempt > 10) {
                return Optional.of(new Versioned(Long.parseLong(before), body));
            }
        }
    }

    /** The version xattr alone (one small read on the OSD; the body is not fetched). */
    @Override
    public long versionOf(String name) throws IOException {
        String v = xattr(name, VERSION_XATTR);
        return v == null ? 0 : Long.parseLong(v);
    }

    /**
     * One compound operation on the OSD: exclusive create (version 0) or compare the version xattr, then write the
     * whole body and set the next version, so two gateways never both win.
     */
    @Override
    public long putVersioned(String name, long expectedVersion, byte[] data) throws IOException {
        byte[] next = Long.toString(expectedVersion + 1).getBytes(StandardCharsets.UTF_8);
        Pointer op = lib.rados_create_write_op();
        try {
            if (expectedVersion == 0) {
                lib.rados_write_op_create(op, LibRados.CREATE_EXCLUSIVE, null);
            } else {
                byte[] expected = Long.toString(expectedVersion).getBytes(StandardCharsets.UTF_8);
                lib.rados_write_op_cmpxattr(op, VERSION_XATTR, LibRados.CMPXATTR_OP_EQ, expected, expected.length);
            }
            lib.rados_write_op_write_full(op, data, data.length);
            lib.rados_write_op_setxattr(op, VERSION_XATTR, next, next.length);
            int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid(name), null, 0);
            if (rc == -EEXIST || rc == -ECANCELED || rc == -ENODATA || rc == -ENOENT) {
                throw new VersionConflictException(oid(name) + " is no longer at version " + expectedVersion + " ("
                        + errno(rc) + "): another writer changed it");
            }
            check(rc, "versioned write", name);
            return expectedVersion + 1;
        } finally {
            lib.rados_release_write_op(op);
        }
    }

    /**
     * Blocklists the client named as owner in the header, unless that is us: from then on the OSDs refuse its
     * operations, including any still in flight, so the caller can bump the epoch knowing nobody else writes.
     */
    @Override
    public void fencePreviousOwner() throws IOException {
        String owner = xattr(HEADER, OWNER_XATTR);
        if (owner != null && !owner.isEmpty() && !owner.equals(conn.address)) {
            conn.blocklist(owner);
        }
    }

    @Override
    public void close() {
        if (ownsConnection) conn.close();
    }

    private void check(int rc, String what, String name) throws IOException {
        if (rc >= 0) return;
        if (rc == -EBLOCKLISTED) {
            throw new FencedException(what + " of " + oid(name) + " refused: this client was blocklisted (another "
                    + "node took the volume over)");
        }
        if (rc == -ENOENT) throw new NoSuchFileException(oid(name));
        throw new IOException(what + " of " + oid(name) + " failed: " + errno(rc));
    }

    private IOException mapped(RadosException e, String what, String name) {
        int rc = -Math.abs(e.getReturnValue());
        if (rc == -EBLOCKLISTED) {
            return new FencedException(what + " of " + oid(name) + " refused: this client was blocklisted");
        }
        return new IOException(what + " of " + oid(name) + " failed: " + errno(rc), e);
    }

    static String errno(int rc) {
        return switch (-rc) {
            case ENOENT -> "ENOENT";
            case EEXIST -> "EEXIST";
            case ENODATA -> "ENODATA";
            case ECANCELED -> "ECANCELED";
            case ERANGE -> "ERANGE";
            case EBLOCKLISTED -> "EBLOCKLISTED";
            case 110 -> "ETIMEDOUT";
            case 1 -> "EPERM";
            case 13 -> "EACCES";
            case 5 -> "EIO";
            case 28 -> "ENOSPC";
            case 122 -> "EDQUOT";
            default -> "errno " + (-rc);
        } + " (" + rc + ")";
    }

    @Override
    public String toString() {
        return "rados:" + prefix;
    }
}
