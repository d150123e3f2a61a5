package io.stowage.node;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node has opened, closed in reverse order of opening: each resource is pushed as soon as it is open,
 * so a start that fails half-way closes exactly what it had opened (the pattern of Go's {@code defer} and Java's
 * try-with-resources, for a lifetime longer than one block). A failing close is logged and the rest still close.
 * Not thread-safe: the daemon pushes during start-up and closes once.
 */
final class CloseStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CloseStack.class);

    /** A close step that may fail with any exception. */
    @FunctionalInterface
    interface Step {
        void close() throws Exception;
    }

    private record Entry(String what, Step step) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();

    /** Pushes {@code resource} and returns it, so opening and pushing are one expression. */
    <T extends AutoCloseable> T push(String what, T resource) {
        entries.push(new Entry(what, resource::close));
        return resource;
    }

    void defer(String what, Step step) {
        entries.push(new Entry(what, step));
    }

    /** Closes everything pushed, newest first; after it the stack is empty. */
    @Override
    public void close() {
        while (!entries.isEmpty()) {
            Entry e = entries.pop();
            try {
                e.step().close();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                log.warn("closing {} interrupted", e.what());
            } catch (Exception ex) {
                log.error("closing {} failed: {}", e.what(), ex.toString());
            }
        }
    }
}
