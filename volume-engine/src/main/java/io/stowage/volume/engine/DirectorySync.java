package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Remembers that files were created, renamed or deleted in one directory and fsyncs the directory when asked:
 * an fsync of a file makes its data durable, not its name, so a flush syncs the directories whose entries
 * changed since the last one (once per flush, never per write). Thread-safe.
 */
final class DirectorySync {
    private final Path dir;
    private final LocalFiles files;
    private final AtomicBoolean changed = new AtomicBoolean();

    DirectorySync(Path dir, LocalFiles files) {
        this.dir = dir;
        this.files = files;
    }

    /** An entry of the directory changed (called after the change). */
    void changed() {
        changed.set(true);
    }

    /** Fsyncs the directory if an entry changed since the last sync. */
    void sync() throws IOException {
        if (!changed.getAndSet(false)) return; // a change from here on sets it again: the next sync covers it
        try {
            files.syncDirectory(dir);
        } catch (IOException e) {
            changed.set(true);
            throw e;
        }
    }
}
