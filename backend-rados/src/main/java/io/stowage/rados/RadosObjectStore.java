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
 * <p>Fencing: the header object carries the owner epoch in the xattr {@code stowage.epoch} and the owning client's
 * address in {@code stowage.owner}. A header commit is one compound operation — compare the epoch xattr, write the
 * body, set the new epoch and owner — so it lands only while the epoch is the one this node claimed. SCOs and TLogs
 * are created exclusively under epoch-bearing names. {@link #fencePreviousOwner()} blocklists the previous owner's
 * client before a takeover, so its in-flight operations are refused by the OSDs too. A refused or blocklisted
 * operation surfaces as {@link FencedException}; a timeout or other error as a plain {@link IOException} that the
 * uploader retries. Thread-safe (librados is).
 */
public final class RadosObjectStore implements ObjectStore {
    static final String HEADER = "header";
    static final String EPOCH_XATTR = "stowage.epoch";
    static final String OWNER_XATTR = "stowage.owner";
    private static final int ENOENT = 2;
    private static final int EEXIST = 17;
    private static final int ENODATA = 61;
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

    @Override
    public void putReplace(String name, ByteBuffer data) throws IOException {
        Pointer op = lib.rados_create_write_op();
        try {
            writeFull(op, data);
            check(lib.rados_write_op_operate(op, conn.ioPtr, oid(name), null, 0), "replace", name);
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
            byte[] body;
            try {
                body = getAll(HEADER);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            String after = xattr(HEADER, EPOCH_XATTR);
            if (before.equals(after) || attempt > 10) {
                return Optional.of(new VolumeHeaderBytes(Long.parseLong(before), body));
            }
            // a takeover committed between our reads: read again so body and epoch belong together
        }
    }

    /** The xattr's value, or null if the object or the xattr does not exist. */
    String xattr(String name, String key) throws IOException {
        byte[] buf = new byte[256];
        int n = lib.rados_getxattr(conn.ioPtr, oid(name), key, buf, buf.length);
        if (n == -ENOENT || n == -ENODATA) return null;
        check(n, "getxattr " + key, name);
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public void commitHeader(long expectedEpoch, VolumeHeaderBytes header) throws IOException {
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
            lib.rados_write_op_write_full(op, header.body(), header.body().length);
            lib.rados_write_op_setxattr(op, EPOCH_XATTR, epoch, epoch.length);
            // creation is not ownership: only an epoch bump by an opening node names an owner to fence later
            byte[] ownerValue = expectedEpoch < 0 ? new byte[0] : owner;
            lib.rados_write_op_setxattr(op, OWNER_XATTR, ownerValue, ownerValue.length);
            int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid(HEADER), null, 0);
            if (rc == -EEXIST || rc == -ECANCELED || rc == -ENODATA || rc == -ENOENT) {
                throw new FencedException("header commit guarded by epoch " + expectedEpoch + " refused ("
                        + errno(rc) + "): another node owns " + oid(HEADER));
            }
            check(rc, "commit", HEADER);
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
