package io.stowage.scsi;

import io.stowage.volume.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Thin provisioning (SBC-3 4.7): UNMAP, WRITE SAME(10/16) with and without the UNMAP and NDOB bits, and
 * GET LBA STATUS. Deallocated blocks read as zeros (LBPRZ = 1). Limits are the ones VPD B0h advertises and are
 * enforced here.
 */
final class ThinProvisioning {
    /** MAXIMUM UNMAP LBA COUNT: 512 MiB per command. */
    static final long MAX_UNMAP_BLOCKS = 1048576;
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    /** OPTIMAL UNMAP GRANULARITY: one 4 KiB cluster (ESXi needs ≤ 1 MiB for automatic unmap). */
    static final int UNMAP_GRANULARITY = 8;
    /** MAXIMUM WRITE SAME LENGTH: 4 MiB, no more than MAXIMUM TRANSFER LENGTH (initiators verify with one READ). */
    static final int MAX_WRITE_SAME_BLOCKS = ScsiTarget.MAX_TRANSFER_BLOCKS;
    /** GET LBA STATUS looks at most this many blocks per command (1 GiB). */
    static final long GET_LBA_STATUS_SCAN_BLOCKS = 2097152;

    private ThinProvisioning() {
    }

    /** UNMAP (SBC-3 5.28). */
    static CompletionStage<ScsiResult> unmap(Command c) {
        byte[] cdb = c.cdb();
        if ((cdb[1] & 0x01) != 0) {
            throw ScsiError.invalidField(1); // ANCHOR: anchored state not supported (ANC_SUP = 0)
        }
        int listLength = Cdb.u16(cdb, 7);
        if (listLength == 0) {
            return CompletableFuture.completedFuture(ScsiResult.goodDataOut(0));
        }
        if (listLength < 8) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = bytes(c.dataOut(), Math.min(listLength, c.request().dataOutLength()));
        if (p.length < 8) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        int descriptorBytes = Cdb.u16(p, 2);
        if (descriptorBytes > p.length - 8 || descriptorBytes % 16 != 0) {
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        int count = descriptorBytes / 16;
        if (count > MAX_UNMAP_DESCRIPTORS) {
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        long capacity = c.unit().blockCount();
        List<long[]> ranges = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < count; i++) {
            long lba = Cdb.u64(p, 8 + 16 * i);
            long blocks = Cdb.u32(p, 16 + 16 * i);
            new BlockCdb(lba, blocks, 0).checkRange(capacity);
            total += blocks;
            if (blocks > MAX_UNMAP_BLOCKS || total > MAX_UNMAP_BLOCKS) {
                throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            }
            if (blocks > 0) ranges.add(new long[] {lba, blocks});
        }
        BlockDevice dev = c.unit().device();
        CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
        for (long[] r : ranges) {
            all = all.thenCompose(v -> dev.unmap(r[0] * LogicalUnit.BLOCK_SIZE, r[1] * LogicalUnit.BLOCK_SIZE));
        }
        return all.handle((v, failure) -> {
            if (failure != null) throw BlockIo.mediaError(c, SenseReason.WRITE_ERROR, failure);
            return ScsiResult.goodDataOut(listLength);
        });
    }

    /** WRITE SAME(10) and (16) (SBC-3 5.41, 5.42). */
    static CompletionStage<ScsiResult> writeSame(Command c) {
        byte[] cdb = c.cdb();
        boolean sixteen = (cdb[0] & 0xFF) == 0x93;
        long lba = sixteen ? Cdb.u64(cdb, 2) : Cdb.u32(cdb, 2);
        long blocks = sixteen ? Cdb.u32(cdb, 10) : Cdb.u16(cdb, 7);
        int flags = cdb[1] & 0xFF;
        boolean unmapBit = (flags & 0x08) != 0;
        boolean ndob = sixteen && (flags & 0x01) != 0;
        if ((flags >>> 5) != 0) {
            throw ScsiError.invalidField(1); // WRPROTECT: no protection information
        }
        if ((flags & 0x10) != 0) {
            throw ScsiError.invalidField(1); // ANCHOR
        }
        if (blocks == 0) {
            throw ScsiError.invalidField(sixteen ? 10 : 7); // WSNZ = 1 in VPD B0h
        }
        if (blocks > MAX_WRITE_SAME_BLOCKS) {
            throw ScsiError.invalidField(sixteen ? 10 : 7);
        }
        new BlockCdb(lba, blocks, 0).checkRange(c.unit().blockCount());
        byte[] pattern = new byte[LogicalUnit.BLOCK_SIZE];
        int wanted = ndob ? 0 : LogicalUnit.BLOCK_SIZE;
        if (!ndob) {
            if (c.request().dataOutLength() != LogicalUnit.BLOCK_SIZE) {
                throw ScsiError.invalidField(sixteen ? 10 : 7); // the Data-Out is exactly one block
            }
            c.dataOut().duplicate().get(pattern);
        }
        BlockDevice dev = c.unit().device();
        long offset = lba * LogicalUnit.BLOCK_SIZE;
        long length = blocks * LogicalUnit.BLOCK_SIZE;
        boolean zeros = ndob || isZero(pattern);
        CompletionStage<Void> op;
        if (unmapBit && zeros) {
            op = dev.unmap(offset, length);
        } else {
            op = writeRepeated(c, dev, offset, length, pattern);
        }
        return op.handle((v, failure) -> {
            if (failure != null) throw BlockIo.mediaError(c, SenseReason.WRITE_ERROR, failure);
            return ScsiResult.goodDataOut(wanted);
        });
    }

    /** Writes {@code pattern} over the range in chunks of up to 1 MiB from one pooled buffer. */
    private static CompletionStage<Void> writeRepeated(Command c, BlockDevice dev, long offset, long length,
                                                       byte[] pattern) {
        int chunk = (int) Math.min(length, 1 << 20);
        ByteBuffer buf = c.buffers().acquire(chunk);
        for (int i = 0; i < chunk; i += pattern.length) buf.put(i, pattern);
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        for (long pos = 0; pos < length; pos += chunk) {
            long at = offset + pos;
            int n = (int) Math.min(chunk, length - pos);
            done = done.thenCompose(v -> dev.write(at, buf.duplicate().limit(n), false));
        }
        return done.whenComplete((v, t) -> c.buffers().release(buf));
    }

    /** GET LBA STATUS (SBC-3 5.16): mapped / deallocated runs from the starting LBA. */
    static CompletionStage<ScsiResult> getLbaStatus(Command c) {
        byte[] cdb = c.cdb();
        long lba = Cdb.u64(cdb, 2);
        long alloc = Cdb.u32(cdb, 10);
        long capacity = c.unit().blockCount();
        if (Long.compareUnsigned(lba, capacity) >= 0) {
            throw ScsiError.of(SenseReason.LBA_OUT_OF_RANGE);
        }
        if (alloc < 24) { // room for the header and one descriptor
            return CompletableFuture.completedFuture(ScsiResult.data(header(0), alloc));
        }
        long maxDescriptors = Math.min((alloc - 8) / 16, 1024);
        long blocks = Math.min(capacity - lba, GET_LBA_STATUS_SCAN_BLOCKS);
        return c.unit().device().extents(lba * LogicalUnit.BLOCK_SIZE, blocks * LogicalUnit.BLOCK_SIZE)
                .handle((extents, failure) -> {
                    if (failure != null) throw BlockIo.mediaError(c, SenseReason.UNRECOVERED_READ_ERROR, failure);
                    int n = (int) Math.min(extents.size(), maxDescriptors);
                    byte[] d = header(n);
                    for (int i = 0; i < n; i++) {
                        BlockDevice.Extent e = extents.get(i);
                        Cdb.put64(d, 8 + 16 * i, e.offset() / LogicalUnit.BLOCK_SIZE);
                        Cdb.put32(d, 16 + 16 * i, e.length() / LogicalUnit.BLOCK_SIZE);
                        d[20 + 16 * i] = (byte) (e.mapped() ? 0 : 1); // 0 mapped, 1 deallocated
                    }
                    return ScsiResult.data(d, alloc);
                });
    }

    private static byte[] header(int descriptors) {
        byte[] d = new byte[8 + 16 * descriptors];
        Cdb.put32(d, 0, d.length - 4);
        return d;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[Math.max(0, n)];
        if (n > 0) b.duplicate().get(out);
        return out;
    }
}
