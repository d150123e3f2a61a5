package io.stowage.rados;

import com.ceph.rados.IoCTX;
import com.ceph.rados.Rados;
import com.ceph.rados.exceptions.RadosException;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

/**
 * One RADOS client instance (its own address, so it can be blocklisted on its own) with an I/O context on the
 * configured pool. Connecting is bounded by the config's timeouts and every failure names the config key at fault;
 * every later operation times out too, so an unreachable cluster is an error the caller retries, never a hang.
 */
final class RadosConnection implements Closeable {
    private final Client client;
    final IoCTX io;
    final Pointer ioPtr;
    final String address;

    /** rados-java keeps the cluster handle protected; the fencing calls need it. */
    private static final class Client extends Rados {
        Client(String id) {
            super(id);
        }

        Pointer handle() {
            return clusterPtr;
        }
    }

    private RadosConnection(Client client, IoCTX io, String address) {
        this.client = client;
        this.io = io;
        this.ioPtr = io.getPointer();
        this.address = address;
    }

    static RadosConnection open(RadosBackendConfig config) throws IOException {
        if (!Files.isReadable(config.cephConf())) {
            throw new IOException("config key '" + RadosBackendConfig.KEY_CONF + "': cannot read " + config.cephConf());
        }
        Client c;
        try {
            c = new Client(config.clientId());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IOException("librados is not installed (Debian package librados2): " + e.getMessage());
        }
        boolean ok = false;
        try {
            try {
                c.confReadFile(new File(config.cephConf().toString()));
            } catch (RadosException e) {
                throw new IOException("config key '" + RadosBackendConfig.KEY_CONF + "': " + config.cephConf()
                        + " is not a usable ceph.conf (" + e.getMessage() + ")");
            }
            String seconds = Integer.toString(config.timeoutSeconds());
            c.confSet("client_mount_timeout", seconds);
            c.confSet("rados_mon_op_timeout", seconds);
            c.confSet("rados_osd_op_timeout", seconds);
            try {
                c.connect();
            } catch (RadosException e) {
                int rc = -Math.abs(e.getReturnValue());
                String why = switch (rc) {
                    case -1, -13 -> "config key '" + RadosBackendConfig.KEY_CLIENT + "': client." + config.clientId()
                            + " was refused (wrong key or keyring?)";
                    case -110 -> "config key '" + RadosBackendConfig.KEY_CONF + "': no monitor of "
                            + config.cephConf() + " answered within " + seconds + " s";
                    default -> "config key '" + RadosBackendConfig.KEY_CONF + "': cannot connect to the cluster of "
                            + config.cephConf() + " (" + e.getMessage() + ")";
                };
                throw new IOException(why);
            }
            IoCTX io;
            try {
                io = c.ioCtxCreate(config.pool());
            } catch (RadosException e) {
                throw new IOException("config key '" + RadosBackendConfig.KEY_POOL + "': pool '" + config.pool()
                        + "' cannot be opened (" + e.getMessage() + ")");
            }
            PointerByReference addrs = new PointerByReference();
            int rc = LibRados.INSTANCE.rados_getaddrs(c.handle(), addrs);
            if (rc < 0) throw new IOException("rados_getaddrs failed: " + RadosObjectStore.errno(rc));
            String address = addrs.getValue().getString(0);
            LibRados.INSTANCE.rados_buffer_free(addrs.getValue());
            ok = true;
            return new RadosConnection(c, io, address);
        } finally {
            if (!ok) c.shutDown();
        }
    }

    /**
     * How long a fenced former owner stays blocklisted: 0 would mean Ceph's default of one hour, after which a node
     * partitioned that long could write again. Its header and state writes are refused by the epoch guard anyway;
     * the blocklist also stops its SCO/TLog puts and anything in flight. An entry names one client instance (address
     * and nonce), so a restarted daemon is not affected; the entries are small and expire on their own.
     */
    static final int BLOCKLIST_SECONDS = 30 * 24 * 3600;

    /** Makes the OSDs refuse every further operation of the client at {@code address} (fencing a former owner). */
    void blocklist(String address) throws IOException {
        int rc = LibRados.INSTANCE.rados_blocklist_add(client.handle(), address, BLOCKLIST_SECONDS);
        if (rc < 0) throw new IOException("cannot blocklist " + address + ": " + RadosObjectStore.errno(rc));
    }

    @Override
    public void close() {
        client.ioCtxDestroy(io);
        client.shutDown();
    }
}
