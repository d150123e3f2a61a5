package io.stowage.volume.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a TLog's entries up to the first torn one. */
public final class TLogReader {
    private TLogReader() {
    }

    public static List<TLogEntry> read(byte[] bytes) {
        List<TLogEntry> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.remaining() >= TLogEntry.SIZE) {
            TLogEntry e = TLogEntry.readFrom(b);
            if (e == null) break;
            out.add(e);
        }
        return out;
    }

    public static List<TLogEntry> read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }
}
