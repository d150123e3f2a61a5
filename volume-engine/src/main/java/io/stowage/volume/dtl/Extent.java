package io.stowage.volume.dtl;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * A cache file as far as a flush covers it: TLog {@code number} (its sequence) or SCO {@code number}, whose first
 * {@code end} bytes are written. {@code complete}: the file never grows again (a closed TLog, a sealed SCO).
 * {@code committed}: a committed TLog covers it now, so the DTL need not carry it (and its file may be gone). SCOs
 * are read through {@code channel}, TLogs from {@code file} (their writer's channel is write-only).
 */
public record Extent(Kind kind, long number, Path file, FileChannel channel, long end, boolean complete,
                     BooleanSupplier committed) {
    public enum Kind { TLOG, SCO }

    Key key() {
        return new Key(kind, number);
    }

    record Key(Kind kind, long number) {
    }
}
