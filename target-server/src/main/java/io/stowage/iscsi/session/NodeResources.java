package io.stowage.iscsi.session;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every connection of a node shares to stay within {@link ResourceLimits}: the limits, the Data-Out budget,
 * the failed-authentication throttle, and one timer thread for login deadlines. Thread-safe.
 */
public final class NodeResources implements AutoCloseable {
    private final ResourceLimits limits;
    private final DataOutBudget dataOut;
    private final AuthFailureThrottle authFailures;
    private final ScheduledExecutorService timer;

    public NodeResources(ResourceLimits limits) {
        this.limits = limits;
        this.dataOut = new DataOutBudget(limits.dataOutBudgetBytes());
        this.authFailures = new AuthFailureThrottle(limits.authFailuresPerMinute());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stowage-login-deadlines");
            t.setDaemon(true);
            return t;
        });
    }

    public ResourceLimits limits() {
        return limits;
    }

    DataOutBudget dataOut() {
        return dataOut;
    }

    AuthFailureThrottle authFailures() {
        return authFailures;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
