package io.stowage.node;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the catalogue other nodes share with this one: every {@code catalogue.poll-interval} seconds one read of
 * the stored catalogue (its version first: on RADOS an xattr, on the directory store a small file), and when the
 * version moved the node serves what it says, as if the change had been made here (new and removed targets and
 * LUNs, ACLs, CHAP, grown volumes). A failed poll (the backend unreachable) is logged once and retried at the next
 * tick; the node keeps serving what it had.
 */
final class CatalogueFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CatalogueFollower.class);

    /** One poll: returns the catalogue version now served. */
    interface Poll {
        long follow() throws IOException;
    }

    private final ScheduledExecutorService timer;
    private final Poll poll;
    private boolean failing;

    /** Polls every {@code seconds} (0: never; the node then sees other nodes' changes at its own operations). */
    CatalogueFollower(int seconds, Poll poll) {
        this.poll = poll;
        if (seconds <= 0) {
            timer = null;
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stowage-catalogue-follower");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, seconds, seconds, TimeUnit.SECONDS);
    }

    private void tick() {
        try {
            poll.follow();
            if (failing) log.info("catalogue readable again");
            failing = false;
        } catch (IOException | RuntimeException e) {
            if (!failing) log.warn("cannot follow the catalogue (retrying every tick): {}", e.toString());
            failing = true;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (timer == null) return;
        timer.shutdownNow();
        timer.awaitTermination(10, TimeUnit.SECONDS);
    }
}
