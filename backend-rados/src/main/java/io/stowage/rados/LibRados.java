package io.stowage.rados;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.nio.ByteBuffer;

/**
 * The librados calls rados-java does not bind: compound write operations (exclusive create, xattr compare as the
 * epoch guard, whole-object write in one atomic op), reads and writes straight from direct buffers (no byte[] copy
 * per call), the client's own address and blocklisting (fencing). Signatures follow {@code rados/librados.h} of
 * Ceph 16. Every int-returning call answers 0 or a negative errno.
 */
interface LibRados extends Library {
    LibRados INSTANCE = Native.load("rados", LibRados.class);

    /** LIBRADOS_CMPXATTR_OP_EQ. */
    byte CMPXATTR_OP_EQ = 1;
    /** LIBRADOS_CREATE_EXCLUSIVE. */
    int CREATE_EXCLUSIVE = 1;

    Pointer rados_create_write_op();

    void rados_release_write_op(Pointer op);

    void rados_write_op_create(Pointer op, int exclusive, String category);

    void rados_write_op_cmpxattr(Pointer op, String name, byte comparisonOperator, byte[] value, long valueLen);

    void rados_write_op_setxattr(Pointer op, String name, byte[] value, long valueLen);

    void rados_write_op_rmxattr(Pointer op, String name);

    void rados_write_op_assert_exists(Pointer op);

    void rados_write_op_write_full(Pointer op, ByteBuffer buffer, long len);

    void rados_write_op_write_full(Pointer op, byte[] buffer, long len);

    int rados_write_op_operate(Pointer op, Pointer ioctx, String oid, Pointer mtime, int flags);

    int rados_read(Pointer ioctx, String oid, ByteBuffer buf, long len, long off);

    int rados_getxattr(Pointer ioctx, String oid, String name, byte[] buf, long len);

    int rados_getaddrs(Pointer cluster, PointerByReference addrs);

    void rados_buffer_free(Pointer buf);

    int rados_blocklist_add(Pointer cluster, String clientAddress, int expireSeconds);

    /** LIBRADOS_LOCK_FLAG_MAY_RENEW: an existing lock of the same client and cookie is extended. */
    byte LOCK_FLAG_MAY_RENEW = 0x1;
    /** LIBRADOS_LOCK_FLAG_MUST_RENEW: only extends, ENOENT if the caller does not hold the lock (any more). */
    byte LOCK_FLAG_MUST_RENEW = 0x2;

    /** cls_lock: {@code duration} is a struct timeval {tv_sec, tv_usec} (two longs on LP64); null = forever. */
    int rados_lock_exclusive(Pointer ioctx, String oid, String name, String cookie, String desc, long[] duration,
                             byte flags);

    int rados_unlock(Pointer ioctx, String oid, String name, String cookie);

    /**
     * The lock's holders: their count, or -ERANGE with the lengths set when a buffer is too small. {@code clients},
     * {@code cookies} and {@code addrs} receive one NUL-terminated string per holder; the lengths are size_t.
     */
    long rados_list_lockers(Pointer ioctx, String oid, String name, int[] exclusive, byte[] tag, long[] tagLen,
                            byte[] clients, long[] clientsLen, byte[] cookies, long[] cookiesLen, byte[] addrs,
                            long[] addrsLen);

    int rados_break_lock(Pointer ioctx, String oid, String name, String client, String cookie);
}
