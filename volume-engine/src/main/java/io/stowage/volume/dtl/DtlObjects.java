package io.stowage.volume.dtl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Names and format of DTL objects. {@code dtl.<epoch>.<index>}: indexes count up from 0 per owner epoch, each
 * created exclusively, so a former owner's next write meets the new owner's fence object of that name. Body: a
 * magic number, then records {@code kind:u8 number:i64 offset:i64 length:i32 bytes crc32c:i32} (the CRC covers the
 * record). An empty object is a fence.
 */
final class DtlObjects {
    static final int MAGIC = 0x44544c31; // "DTL1"
    static final int RECORD_HEADER = 1 + 8 + 8 + 4;
    static final String PREFIX = "dtl.";

    private DtlObjects() {
    }

    /** A record read back: {@code bytes} go at {@code offset} of TLog or SCO {@code number}. */
    record Record(Extent.Kind kind, long number, long offset, byte[] bytes) {
    }

    static String name(long epoch, long index) {
        return String.format("dtl.%08d.%012d", epoch, index);
    }

    static String epochPrefix(long epoch) {
        return String.format("dtl.%08d.", epoch);
    }

    static long epoch(String name) {
        return Long.parseLong(name.split("\\.")[1]);
    }

    static long index(String name) {
        return Long.parseLong(name.split("\\.")[2]);
    }

    static List<Record> decode(String name, byte[] body) throws IOException {
        List<Record> out = new ArrayList<>();
        if (body.length == 0) return out; // a fence
        ByteBuffer b = ByteBuffer.wrap(body);
        if (b.remaining() < 4 || b.getInt() != MAGIC) throw new IOException("DTL object " + name + " is not a DTL");
        while (b.hasRemaining()) {
            int start = b.position();
            if (b.remaining() < RECORD_HEADER + 4) throw new IOException("DTL object " + name + " is truncated");
            int kind = b.get();
            long number = b.getLong();
            long offset = b.getLong();
            int length = b.getInt();
            if (length < 0 || b.remaining() < length + 4 || kind < 0 || kind > 1) {
                throw new IOException("DTL object " + name + " has a damaged record at byte " + start);
            }
            byte[] bytes = new byte[length];
            b.get(bytes);
            CRC32C crc = new CRC32C();
            crc.update(body, start, RECORD_HEADER + length);
            if ((int) crc.getValue() != b.getInt()) {
                throw new IOException("DTL object " + name + " has a record with a bad CRC at byte " + start);
            }
            out.add(new Record(Extent.Kind.values()[kind], number, offset, bytes));
        }
        return out;
    }
}
