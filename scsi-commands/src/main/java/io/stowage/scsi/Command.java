package io.stowage.scsi;

import java.nio.ByteBuffer;

/**
 * What a handler sees: the request, the addressed logical unit (null only for the opcodes that work without one,
 * such as REPORT LUNS and INQUIRY of an absent LUN) and the target it arrived at.
 */
public record Command(ScsiRequest request, LogicalUnit unit, ScsiTarget target) {
    public byte[] cdb() {
        return request.cdb();
    }

    public ByteBuffer dataOut() {
        return request.dataOut();
    }

    public BufferPool buffers() {
        return target.buffers();
    }
}
