package io.stowage.scsi;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SCSI target device: its logical units and the command pipeline every command goes through
 * (SAM-5 5.x order, as tgt's {@code scsi_cmd_perform}): LUN gate → opcode table → control byte → handler →
 * sense encoding. Handlers never build sense bytes themselves.
 *
 * <p>Thread-safe: {@link #submit} may be called concurrently; the LUN map is immutable.
 */
public final class ScsiTarget {
    private static final Logger log = LoggerFactory.getLogger(ScsiTarget.class);
    /** Largest READ/WRITE in blocks (VPD B0h MAXIMUM TRANSFER LENGTH): 4 MiB. */
    public static final int MAX_TRANSFER_BLOCKS = 8192;
    /** OPTIMAL TRANSFER LENGTH in blocks: 1 MiB. */
    public static final int OPTIMAL_TRANSFER_BLOCKS = 2048;

    private final TargetPortIdentity port;
    private final NavigableMap<Integer, LogicalUnit> luns;
    private final OpcodeTable table;
    private final BufferPool buffers;

    public ScsiTarget(TargetPortIdentity port, NavigableMap<Integer, LogicalUnit> luns, BufferPool buffers) {
        this(port, luns, buffers, OpcodeTable.STANDARD);
    }

    ScsiTarget(TargetPortIdentity port, NavigableMap<Integer, LogicalUnit> luns, BufferPool buffers, OpcodeTable t) {
        this.port = port;
        this.luns = Collections.unmodifiableNavigableMap(new TreeMap<>(luns));
        this.buffers = buffers;
        this.table = t;
    }

    public TargetPortIdentity port() {
        return port;
    }

    public NavigableMap<Integer, LogicalUnit> luns() {
        return luns;
    }

    public OpcodeTable table() {
        return table;
    }

    public BufferPool buffers() {
        return buffers;
    }

    /** Runs one command. The returned stage never completes exceptionally: errors become CHECK CONDITION. */
    public CompletionStage<ScsiResult> submit(ScsiRequest request) {
        try {
            return run(request).handle((result, failure) -> failure == null ? result : failed(request, failure));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failed(request, e));
        }
    }

    private CompletionStage<ScsiResult> run(ScsiRequest request) {
        byte[] cdb = request.cdb();
        int op = cdb[0] & 0xFF;
        OpcodeEntry entry = table.lookup(cdb);
        LogicalUnit unit = request.lun() >= 0 && request.lun() <= Integer.MAX_VALUE
                ? luns.get((int) request.lun()) : null;
        if (unit == null && op != 0x12 && op != 0xA0 && op != 0x03) {
            // SPC-4 4.6.4: only INQUIRY, REPORT LUNS and REQUEST SENSE are answered for an absent LUN
            throw ScsiError.of(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
        }
        if (entry == null) {
            throw table.usesServiceActions(op) ? ScsiError.invalidField(1)
                    : ScsiError.of(SenseReason.INVALID_COMMAND_OPERATION_CODE);
        }
        int control = entry.cdbLength() - 1;
        if ((cdb[control] & 0x04) != 0) {
            throw ScsiError.invalidField(control); // NACA: we do not support ACA (control mode page)
        }
        return entry.handler().execute(new Command(request, unit, this));
    }

    private static ScsiResult failed(ScsiRequest request, Throwable failure) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof ScsiError e) {
            return ScsiResult.check(e);
        }
        log.error("command {} on LUN {} failed unexpectedly", String.format("0x%02x", request.opcode()), request.lun(), t);
        return ScsiResult.check(ScsiError.of(SenseReason.INTERNAL_TARGET_FAILURE));
    }
}
