package io.stowage.iscsi.transport;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a portal's open connections, overall and per source address, and turns away those beyond the limits at
 * accept, before they cost a decoder buffer or a login. Thread-safe.
 */
public final class ConnectionGate {
    private final int max;
    private final int maxPerAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    public ConnectionGate(int max, int maxPerAddress) {
        this.max = max;
        this.maxPerAddress = maxPerAddress;
    }

    /** Admits a connection from {@code address}; false (nothing counted) if a limit is reached. */
    public boolean tryOpen(InetAddress address) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            return false;
        }
        boolean[] admitted = {false};
        perAddress.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= maxPerAddress) return n;
            admitted[0] = true;
            return count + 1;
        });
        if (!admitted[0]) {
            open.decrementAndGet();
        }
        return admitted[0];
    }

    /** A connection admitted by {@link #tryOpen} is gone. */
    public void closed(InetAddress address) {
        open.decrementAndGet();
        perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    public int open() {
        return open.get();
    }
}
