package io.stowage.rados;

import com.sun.jna.Pointer;
import io.stowage.volume.store.Lease;
import io.stowage.volume.store.LeaseStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Volume leases as Ceph exclusive locks with a duration (cls_lock, {@code rados_lock_exclusive}) on the object
 * {@code <prefix><volume>/lease}: the OSD grants the lock to one client and cookie, lets it expire {@code duration}
 * after the last lock or renewal it executed, and then grants it to the next client that asks. The lock is taken
 * on the node's shared client, whose address is not the one a takeover blocklists (each open volume has its own
 * client). The cookie names the node ({@code <node.id>/<node.name>/<random>}): a restarted node has a new client
 * and cookie, so it can never renew or take back its old lease before that expires. A move request is the xattr
 * {@code stowage.move-to} of the same object.
 */
final class RadosLeases implements LeaseStore {
    static final String OBJECT = "lease";
    static final String LOCK = "stowage.owner";
    static final String MOVE_XATTR = "stowage.move-to";
    private static final int EBUSY = 16;
    private static final int ENOENT = RadosObjectStore.ENOENT;
    private static final int EEXIST = RadosObjectStore.EEXIST;
    private static final int ERANGE = RadosObjectStore.ERANGE;
    private static final int ENODATA = RadosObjectStore.ENODATA;

    private final RadosConnection conn;
    private final RadosBackendConfig config;
    private final LibRados lib = LibRados.INSTANCE;
    private final String instance;

    RadosLeases(RadosConnection conn, RadosBackendConfig config) {
        this.conn = conn;
        this.config = config;
        byte[] r = new byte[6];
        new SecureRandom().nextBytes(r);
        this.instance = HexFormat.of().formatHex(r);
    }

    @Override
    public Lease lease(String volume, int nodeId, String nodeName) {
        return new RadosLease(config.objectName(volume, OBJECT), nodeId, nodeName);
    }

    /** {@code <id>/<name>/<instance>} back to its holder, or null for a cookie some other software set. */
    static Lease.Holder holderOf(String cookie) {
        String[] p = cookie.split("/", 3);
        if (p.length < 3) return null;
        try {
            return new Lease.Holder(Integer.parseInt(p[0]), p[1]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long[] timeval(Duration d) {
        return new long[] {d.getSeconds(), d.getNano() / 1000};
    }

    private final class RadosLease implements Lease {
        private final String oid;
        private final String cookie;

        RadosLease(String oid, int nodeId, String nodeName) {
            this.oid = oid;
            this.cookie = nodeId + "/" + nodeName.replace('/', '_') + "/" + instance;
        }

        @Override
        public boolean acquire(Duration duration) throws IOException {
            // MAY_RENEW: a lock this very handle still holds (it stopped serving after a stall) is simply extended;
            // any other client's, or another instance's of this node (a restart), is EBUSY
            int rc = lib.rados_lock_exclusive(conn.ioPtr, oid, LOCK, cookie, "stowage volume owner", timeval(duration),
                    LibRados.LOCK_FLAG_MAY_RENEW);
            if (rc == 0) return true;
            if (rc == -EBUSY || rc == -EEXIST) return false;
            throw new IOException("lock " + oid + " failed: " + RadosObjectStore.errno(rc));
        }

        @Override
        public boolean renew(Duration duration) throws IOException {
            int rc = lib.rados_lock_exclusive(conn.ioPtr, oid, LOCK, cookie, "stowage volume owner", timeval(duration),
                    LibRados.LOCK_FLAG_MUST_RENEW);
            if (rc == 0) return true;
            if (rc == -ENOENT || rc == -EBUSY) return false; // expired (and maybe taken): not ours any more
            throw new IOException("renewing the lock of " + oid + " failed: " + RadosObjectStore.errno(rc));
        }

        @Override
        public void release() throws IOException {
            int rc = lib.rados_unlock(conn.ioPtr, oid, LOCK, cookie);
            if (rc < 0 && rc != -ENOENT) {
                throw new IOException("unlocking " + oid + " failed: " + RadosObjectStore.errno(rc));
            }
        }

        @Override
        public Optional<Holder> holder() throws IOException {
            for (String c : cookies()) {
                Holder h = holderOf(c);
                if (h != null) return Optional.of(h);
            }
            return Optional.empty();
        }

        private List<String> cookies() throws IOException {
            int size = 256;
            for (int attempt = 0; attempt < 4; attempt++) {
                byte[] tag = new byte[size];
                byte[] clients = new byte[size];
                byte[] cookies = new byte[size];
                byte[] addrs = new byte[size];
                long[] tagLen = {size};
                long[] clientsLen = {size};
                long[] cookiesLen = {size};
                long[] addrsLen = {size};
                long n = lib.rados_list_lockers(conn.ioPtr, oid, LOCK, new int[1], tag, tagLen, clients, clientsLen,
                        cookies, cookiesLen, addrs, addrsLen);
                if (n == -ENOENT || n == -ENODATA) return List.of();
                if (n == -ERANGE) {
                    size = (int) Math.max(Math.max(tagLen[0], clientsLen[0]), Math.max(cookiesLen[0], addrsLen[0])) + 1;
                    continue;
                }
                if (n < 0) throw new IOException("listing the lockers of " + oid + " failed: "
                        + RadosObjectStore.errno((int) n));
                List<String> out = new ArrayList<>();
                int at = 0;
                for (int i = 0; i < n && at < cookies.length; i++) {
                    int end = at;
                    while (end < cookies.length && cookies[end] != 0) end++;
                    out.add(new String(cookies, at, end - at, StandardCharsets.UTF_8));
                    at = end + 1;
                }
                return out;
            }
            throw new IOException("listing the lockers of " + oid + ": the answer keeps growing");
        }

        @Override
        public void requestMove(MoveRequest request) throws IOException {
            Pointer op = lib.rados_create_write_op();
            try {
                if (request == null) {
                    lib.rados_write_op_rmxattr(op, MOVE_XATTR);
                } else {
                    byte[] v = (request.toNode() + " " + request.untilMillis()).getBytes(StandardCharsets.UTF_8);
                    lib.rados_write_op_setxattr(op, MOVE_XATTR, v, v.length);
                }
                int rc = lib.rados_write_op_operate(op, conn.ioPtr, oid, null, 0);
                if (rc < 0 && !(request == null && (rc == -ENOENT || rc == -ENODATA))) {
                    throw new IOException("recording the move request on " + oid + " failed: "
                            + RadosObjectStore.errno(rc));
                }
            } finally {
                lib.rados_release_write_op(op);
            }
        }

        @Override
        public Optional<MoveRequest> moveRequest() throws IOException {
            byte[] buf = new byte[512];
            int n = lib.rados_getxattr(conn.ioPtr, oid, MOVE_XATTR, buf, buf.length);
            if (n == -ENOENT || n == -ENODATA) return Optional.empty();
            if (n < 0) throw new IOException("reading the move request of " + oid + " failed: "
                    + RadosObjectStore.errno(n));
            String[] p = new String(buf, 0, n, StandardCharsets.UTF_8).split(" ", 2);
            try {
                return Optional.of(new MoveRequest(p[0], Long.parseLong(p[1].strip())));
            } catch (RuntimeException e) {
                return Optional.empty(); // not ours to interpret
            }
        }

        @Override
        public String toString() {
            return "lease " + oid + " (" + cookie + ")";
        }
    }
}
