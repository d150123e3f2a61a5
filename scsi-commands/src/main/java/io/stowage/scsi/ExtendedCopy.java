package io.stowage.scsi;

import io.stowage.volume.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * EXTENDED COPY (LID1, SPC-4 6.4) and RECEIVE COPY RESULTS (6.18), VMware's XCOPY: block-to-block segment
 * descriptors (02h) between copy targets named by identification descriptors (E4h) that carry the NAA of VPD 83h;
 * any LU served by this node can be a source or a destination. The copy itself goes through the block devices in
 * 1 MiB chunks, except within one LU whose device can remap (a log-structured volume, cluster-aligned segments):
 * there the copy is metadata only, and no data moves (VAAI clones of VMDKs within a datastore LUN); between two LUs
 * whose devices share clusters (a clone and its parent volume) the shared clusters are remapped and only the rest
 * is copied by the device ({@code BlockDevice.copyFrom}).
 */
final class ExtendedCopy {
    static final int MAX_CSCD_DESCRIPTORS = 8;
    static final int MAX_SEGMENT_DESCRIPTORS = 64;
    static final int MAX_DESCRIPTOR_LIST_LENGTH = 16 + 32 * MAX_CSCD_DESCRIPTORS + 28 * MAX_SEGMENT_DESCRIPTORS;
    static final long MAX_SEGMENT_BLOCKS = 65535; // a block-to-block segment counts blocks in 16 bits
    private static final int CHUNK = 1 << 20;

    /** A finished copy, held for one RECEIVE COPY RESULTS / COPY STATUS of the same I_T nexus and list identifier. */
    record Status(int segments, long blocks) {
    }

    private record Key(LogicalUnit unit, Nexus nexus, int listId) {
    }

    private static final Map<Key, Status> DONE = new ConcurrentHashMap<>();

    private ExtendedCopy() {
    }

    static CompletionStage<ScsiResult> extendedCopy(Command c) {
        byte[] cdb = c.cdb();
        long listLength = Cdb.u32(cdb, 10);
        if (listLength == 0) {
            return CompletableFuture.completedFuture(ScsiResult.goodDataOut(0));
        }
        if (listLength < 16 || c.request().dataOutLength() < listLength) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = new byte[(int) listLength];
        c.dataOut().duplicate().get(p);
        int listId = Cdb.u8(p, 0);
        int listIdUsage = (p[1] >>> 3) & 0x03;
        int cscdLength = Cdb.u16(p, 2);
        long segmentLength = Cdb.u32(p, 8);
        long inlineLength = Cdb.u32(p, 12);
        if (listIdUsage == 3) {
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        if (16L + cscdLength + segmentLength + inlineLength > listLength) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (cscdLength + segmentLength > MAX_DESCRIPTOR_LIST_LENGTH) {
            throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (inlineLength != 0) {
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST); // no inline data (limit 0)
        }
        if (cscdLength % 32 != 0 || cscdLength / 32 > MAX_CSCD_DESCRIPTORS) {
            throw ScsiError.of(cscdLength % 32 != 0 ? SenseReason.PARAMETER_LIST_LENGTH_ERROR
                    : SenseReason.TOO_MANY_TARGET_DESCRIPTORS);
        }
        List<LogicalUnit> targets = new ArrayList<>();
        for (int at = 16; at < 16 + cscdLength; at += 32) {
            targets.add(copyTarget(c, p, at));
        }
        List<long[]> segments = new ArrayList<>(); // {source index, destination index, blocks, src lba, dst lba}
        int at = 16 + cscdLength;
        int end = (int) (at + segmentLength);
        while (at < end) {
            if (end - at < 4) throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            int type = Cdb.u8(p, at);
            int length = Cdb.u16(p, at + 2);
            if (type != 0x02) {
                throw ScsiError.of(SenseReason.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE);
            }
            if (length != 0x18 || at + 4 + length > end) {
                throw ScsiError.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            }
            if (segments.size() == MAX_SEGMENT_DESCRIPTORS) {
                throw ScsiError.of(SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS);
            }
            int src = Cdb.u16(p, at + 4);
            int dst = Cdb.u16(p, at + 6);
            // errors found while processing a segment end the copy with COPY ABORTED (SPC-4 6.4.3.5)
            if (src >= targets.size() || dst >= targets.size()) {
                throw ScsiError.of(SenseReason.UNREACHABLE_COPY_TARGET); // no CSCD descriptor with that index
            }
            long blocks = Cdb.u16(p, at + 10);
            long srcLba = Cdb.u64(p, at + 12);
            long dstLba = Cdb.u64(p, at + 20);
            if (!inRange(srcLba, blocks, targets.get(src)) || !inRange(dstLba, blocks, targets.get(dst))) {
                throw ScsiError.of(SenseReason.COPY_ABORTED); // the segment runs past a device's last block
            }
            segments.add(new long[] {src, dst, blocks, srcLba, dstLba});
            at += 4 + length;
        }
        Nexus nexus = c.request().nexus();
        for (long[] s : segments) {
            // the copy acts for the nexus that sent it: it may not read or write a LU that nexus could not
            if (!mayAccess(targets.get((int) s[0]), nexus, false) || !mayAccess(targets.get((int) s[1]), nexus, true)) {
                return CompletableFuture.completedFuture(ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT));
            }
        }
        for (LogicalUnit u : targets) {
            // a LU this node does not serve (standby, transitioning, halted) is not reachable through this port;
            // the one the copy was sent to passed the same check in the pipeline
            if (u == c.unit()) continue;
            u.noticeHalt();
            if (u.accessState() != AccessState.ACTIVE_OPTIMIZED) {
                throw ScsiError.of(SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE);
            }
        }
        CompletableFuture<Long> copied = CompletableFuture.completedFuture(0L);
        for (long[] s : segments) {
            LogicalUnit from = targets.get((int) s[0]);
            LogicalUnit to = targets.get((int) s[1]);
            copied = copied.thenCompose(n -> copy(c, from.device(), to.device(), s[3] * LogicalUnit.BLOCK_SIZE,
                    s[4] * LogicalUnit.BLOCK_SIZE, s[2] * LogicalUnit.BLOCK_SIZE).thenApply(v -> n + s[2]));
        }
        int listIdFinal = listId;
        return copied.handle((blocks, failure) -> {
            if (failure != null) throw copyFailed(c, targets, failure);
            DONE.put(new Key(c.unit(), c.request().nexus(), listIdFinal), new Status(segments.size(), blocks));
            return ScsiResult.goodDataOut((int) listLength);
        });
    }

    /**
     * A segment failed. If a named LU halted meanwhile (another node took it over), it becomes transitioning; the
     * copy is NOT READY / transition only when that is the LU it was sent to, otherwise COPY TARGET DEVICE NOT
     * REACHABLE (the initiator falls back to copying through its own paths). Anything else is a media error.
     */
    private static ScsiError copyFailed(Command c, List<LogicalUnit> named, Throwable failure) {
        boolean otherHalted = false;
        for (LogicalUnit u : named) {
            if (u != c.unit() && u.device().halted()) {
                u.noticeHalt();
                otherHalted = true;
            }
        }
        if (otherHalted && !c.unit().device().halted()) {
            return ScsiError.of(SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE);
        }
        return BlockIo.mediaError(c, SenseReason.WRITE_ERROR, failure);
    }

    /** The reservation checks of the command pipeline, for a LU named in the copy rather than addressed. */
    private static boolean mayAccess(LogicalUnit u, Nexus n, boolean writes) {
        if (n == null) {
            return true;
        }
        Nexus scsi2 = u.reservedBy();
        return (scsi2 == null || scsi2.equals(n)) && u.reservations().allows(n, writes);
    }

    private static boolean inRange(long lba, long blocks, LogicalUnit u) {
        return Long.compareUnsigned(lba, u.blockCount()) <= 0 && blocks <= u.blockCount() - lba;
    }

    /** An identification CSCD descriptor (E4h): the NAA designator of an LU this node serves. */
    private static LogicalUnit copyTarget(Command c, byte[] p, int at) {
        int type = Cdb.u8(p, at);
        if (type != 0xE4) {
            throw ScsiError.of(SenseReason.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE);
        }
        int luIdType = (p[at + 1] >>> 3) & 0x03;
        int peripheral = p[at + 1] & 0x1F;
        int codeSet = p[at + 4] & 0x0F;
        int assocAndType = p[at + 5] & 0x3F;
        int designatorLength = Cdb.u8(p, at + 7);
        if (luIdType != 0 || peripheral != 0 || codeSet != 1 || assocAndType != 0x03 || designatorLength != 16) {
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        byte[] naa = Arrays.copyOfRange(p, at + 8, at + 24);
        LogicalUnit u = c.target().findByNaa(naa);
        if (u == null) {
            throw ScsiError.of(SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE);
        }
        int blockLength = Cdb.u24(p, at + 29);
        if (blockLength != 0 && blockLength != LogicalUnit.BLOCK_SIZE) {
            throw ScsiError.of(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        return u;
    }

    /** Remaps within one device, or between two that share clusters, when it can; else copies the data. */
    private static CompletableFuture<Void> copy(Command c, BlockDevice from, BlockDevice to, long src, long dst,
                                                long length) {
        if (length == 0) return CompletableFuture.completedFuture(null);
        if (from != to) { // metadata-only where the devices share clusters (a clone and its parent)
            return to.copyFrom(from, src, dst, length).toCompletableFuture()
                    .thenCompose(remapped -> remapped ? CompletableFuture.completedFuture(null)
                            : copyData(c, from, to, src, dst, length));
        }
        return from.copyWithin(src, dst, length).toCompletableFuture()
                .thenCompose(remapped -> remapped ? CompletableFuture.completedFuture(null)
                        : copyData(c, from, to, src, dst, length));
    }

    /** Copies {@code length} bytes; backwards when an overlapping destination lies after the source. */
    private static CompletableFuture<Void> copyData(Command c, BlockDevice from, BlockDevice to, long src, long dst,
                                                    long length) {
        BufferPool pool = c.buffers();
        ByteBuffer buf = pool.acquire((int) Math.min(CHUNK, length));
        boolean backwards = from == to && dst > src && dst < src + length;
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        long chunks = (length + CHUNK - 1) / CHUNK;
        for (long i = 0; i < chunks; i++) {
            long k = backwards ? chunks - 1 - i : i;
            long off = k * CHUNK;
            int n = (int) Math.min(CHUNK, length - off);
            done = done.thenCompose(v -> from.read(src + off, buf.duplicate().clear().limit(n)))
                    .thenCompose(v -> to.write(dst + off, buf.duplicate().clear().limit(n), false));
        }
        return done.whenComplete((v, t) -> pool.release(buf));
    }

    /** RECEIVE COPY RESULTS (SPC-4 6.18): COPY STATUS (00h) and OPERATING PARAMETERS (03h). */
    static CompletionStage<ScsiResult> receiveCopyResults(Command c) {
        byte[] cdb = c.cdb();
        int sa = cdb[1] & 0x1F;
        int listId = Cdb.u8(cdb, 2);
        long alloc = Cdb.u32(cdb, 10);
        byte[] d;
        if (sa == 0x03) {
            d = new byte[46];
            Cdb.put32(d, 0, d.length - 4);
            Cdb.put16(d, 8, MAX_CSCD_DESCRIPTORS);
            Cdb.put16(d, 10, MAX_SEGMENT_DESCRIPTORS);
            Cdb.put32(d, 12, MAX_DESCRIPTOR_LIST_LENGTH);
            Cdb.put32(d, 16, MAX_SEGMENT_BLOCKS * LogicalUnit.BLOCK_SIZE);
            Cdb.put16(d, 34, 1);     // TOTAL CONCURRENT COPIES
            d[36] = 1;               // MAXIMUM CONCURRENT COPIES
            d[37] = 9;               // DATA SEGMENT GRANULARITY: 2^9 = one block
            d[43] = 2;               // implemented descriptor types:
            d[44] = 0x02;            //   block to block segment
            d[45] = (byte) 0xE4;     //   identification CSCD
        } else if (sa == 0x00) {
            Status s = DONE.remove(new Key(c.unit(), c.request().nexus(), listId)); // reported once (SPC-4 6.18.2)
            if (s == null) {
                throw ScsiError.invalidField(2); // no copy with this list identifier
            }
            d = new byte[12];
            Cdb.put32(d, 0, 8);
            d[4] = 0x00;             // copy manager status: completed without errors
            Cdb.put16(d, 5, s.segments());
            d[7] = (byte) 0xF1;      // TRANSFER COUNT UNITS: logical blocks (2^9 bytes)
            Cdb.put32(d, 8, s.blocks());
        } else {
            throw ScsiError.invalidField(1);
        }
        return CompletableFuture.completedFuture(ScsiResult.data(d, alloc));
    }

    /** VPD 8Fh third-party copy (SPC-4 7.8.17): supported commands and parameter data descriptors. */
    static byte[] thirdPartyCopyPage() {
        byte[] commands = {
            (byte) 0x83, 1, 0x00,        // EXTENDED COPY: LID1
            (byte) 0x84, 2, 0x00, 0x03,  // RECEIVE COPY RESULTS: COPY STATUS, OPERATING PARAMETERS
        };
        int cmdDescLength = (1 + commands.length + 3) & ~3;
        byte[] d = new byte[4 + 4 + cmdDescLength + 4 + 0x1C];
        d[1] = (byte) 0x8F;
        Cdb.put16(d, 2, d.length - 4);
        int at = 4;
        Cdb.put16(d, at, 0x0001);                // Supported Commands
        Cdb.put16(d, at + 2, cmdDescLength);
        d[at + 4] = (byte) commands.length;
        System.arraycopy(commands, 0, d, at + 5, commands.length);
        at += 4 + cmdDescLength;
        Cdb.put16(d, at, 0x0004);                // Parameter Data
        Cdb.put16(d, at + 2, 0x1C);
        Cdb.put16(d, at + 8, MAX_CSCD_DESCRIPTORS);
        Cdb.put16(d, at + 10, MAX_SEGMENT_DESCRIPTORS);
        Cdb.put32(d, at + 12, MAX_DESCRIPTOR_LIST_LENGTH);
        return d;
    }
}
