package io.stowage.iscsi.session;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rate limit on failed authentications per source address (CHAP guessing): at most {@code perMinute} failures in a
 * one-minute window; past it, logins from that address are refused before any secret is checked, until the window
 * has passed. Thread-safe. The table is bounded: stale windows are dropped when it grows.
 */
final class AuthFailureThrottle {
    private static final long WINDOW_NANOS = 60_000_000_000L;
    private static final int MAX_TRACKED = 4096;

    private record Window(long start, int failures) {
    }

    private final int perMinute;
    private final Map<InetAddress, Window> windows = new ConcurrentHashMap<>();

    AuthFailureThrottle(int perMinute) {
        this.perMinute = perMinute;
    }

    /** True if {@code address} has used up its failures for the current window. */
    boolean blocked(InetAddress address) {
        Window w = windows.get(address);
        return w != null && System.nanoTime() - w.start < WINDOW_NANOS && w.failures >= perMinute;
    }

    void failed(InetAddress address) {
        long now = System.nanoTime();
        if (windows.size() >= MAX_TRACKED && !windows.containsKey(address)) {
            windows.values().removeIf(w -> now - w.start >= WINDOW_NANOS);
            if (windows.size() >= MAX_TRACKED) {
                return; // memory stays bounded even when thousands of addresses fail at once
            }
        }
        windows.compute(address, (a, w) -> w == null || now - w.start >= WINDOW_NANOS ? new Window(now, 1)
                : new Window(w.start, w.failures + 1));
    }
}
