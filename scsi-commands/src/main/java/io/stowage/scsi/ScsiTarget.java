package io.stowage.scsi;

import java.util.Collections;
import java.util.List;
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
    /** Replaced whole (copy on write) when a LUN is added at run time; readers never lock. */
    private volatile NavigableMap<Integer, LogicalUnit> luns;
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

    /**
     * Adds a logical unit at run time (config reload). Every nexus already logged in to this target gets POWER ON
     * OCCURRED from the new LU and REPORTED LUNS DATA HAS CHANGED from the others, so initiators rescan.
     */
    public synchronized void addLun(int lun, LogicalUnit unit) {
        if (luns.containsKey(lun)) throw new IllegalArgumentException("LUN " + lun + " exists");
        java.util.Set<Nexus> nexuses = new java.util.HashSet<>();
        for (LogicalUnit u : luns.values()) nexuses.addAll(u.nexuses());
        for (Nexus n : nexuses) unit.establish(n, SenseReason.POWER_ON_RESET_OCCURRED);
        TreeMap<Integer, LogicalUnit> next = new TreeMap<>(luns);
        next.put(lun, unit);
        for (LogicalUnit u : luns.values()) u.establishForAll(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
        luns = Collections.unmodifiableNavigableMap(next);
    }

    /**
     * Removes a logical unit at run time (unexport). The nexuses logged in to this target get REPORTED LUNS DATA
     * HAS CHANGED from the LUs that remain, so initiators rescan; the removed LU forgets them (their unit attentions
     * and SCSI-2 reservations through this target end). A command already running on it finishes; later ones get
     * LOGICAL UNIT NOT SUPPORTED. Returns the removed LU, or null if there was none.
     */
    public synchronized LogicalUnit removeLun(int lun) {
        LogicalUnit gone = luns.get(lun);
        if (gone == null) return null;
        String ourPort = port.portName();
        java.util.Set<Nexus> ours = new java.util.HashSet<>();
        for (LogicalUnit u : luns.values()) {
            for (Nexus n : u.nexuses()) {
                if (n.targetPort().equals(ourPort)) ours.add(n);
            }
        }
        TreeMap<Integer, LogicalUnit> next = new TreeMap<>(luns);
        next.remove(lun);
        luns = Collections.unmodifiableNavigableMap(next);
        for (Nexus n : ours) {
            gone.forget(n);
            for (LogicalUnit u : next.values()) u.establish(n, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
        }
        return gone;
    }

    /** The LU's device grew (config reload): every nexus gets CAPACITY DATA HAS CHANGED from it. */
    public void capacityChanged(LogicalUnit unit) {
        unit.establishForAll(SenseReason.CAPACITY_DATA_HAS_CHANGED);
    }

    public OpcodeTable table() {
        return table;
    }

    public BufferPool buffers() {
        return buffers;
    }

    /** A new I_T nexus (a login): it starts with a POWER ON, RESET, OR BUS DEVICE RESET OCCURRED unit attention. */
    public void nexusConnected(Nexus nexus) {
        for (LogicalUnit u : luns.values()) u.establish(nexus, SenseReason.POWER_ON_RESET_OCCURRED);
    }

    /** The I_T nexus is gone (logout, connection loss): its SCSI-2 reservations and unit attentions go too. */
    public void nexusLost(Nexus nexus) {
        for (LogicalUnit u : luns.values()) u.forget(nexus);
    }

    /** LOGICAL UNIT RESET (SAM-5 7.7): reservations released, every nexus gets BUS DEVICE RESET OCCURRED. */
    public void logicalUnitReset(int lun) {
        LogicalUnit u = luns.get(lun);
        if (u != null) u.reset(SenseReason.BUS_DEVICE_RESET_OCCURRED);
    }

    /** Finds any LU of this node by its NAA designator (EXTENDED COPY); set by the daemon, defaults to ours. */
    private volatile java.util.function.Function<byte[], LogicalUnit> naaDirectory = this::ownByNaa;

    public void onFindByNaa(java.util.function.Function<byte[], LogicalUnit> directory) {
        this.naaDirectory = directory;
    }

    LogicalUnit findByNaa(byte[] naa) {
        return naaDirectory.apply(naa);
    }

    /** The LU of this target with that NAA designator, or null. */
    public LogicalUnit ownByNaa(byte[] naa) {
        for (LogicalUnit u : luns.values()) {
            if (java.util.Arrays.equals(u.naa(), naa)) return u;
        }
        return null;
    }

    /** Set by the fabric: aborts the tasks of the given nexuses on a LU (PREEMPT AND ABORT). */
    private volatile java.util.function.BiConsumer<List<Nexus>, LogicalUnit> taskAborter = (n, u) -> { };

    public void onAbortTasks(java.util.function.BiConsumer<List<Nexus>, LogicalUnit> aborter) {
        this.taskAborter = aborter;
    }

    void abortTasksOf(List<Nexus> nexuses, LogicalUnit unit) {
        taskAborter.accept(nexuses, unit);
    }

    /** TARGET WARM/COLD RESET (SAM-5 7.11, 7.12). */
    public void targetReset() {
        for (LogicalUnit u : luns.values()) u.reset(SenseReason.POWER_ON_RESET_OCCURRED);
    }

    /** Runs one command. The returned stage never completes exceptionally: errors become CHECK CONDITION. */
    public CompletionStage<ScsiResult> submit(ScsiRequest request) {
        CompletionStage<ScsiResult> r;
        try {
            r = run(request).handle((result, failure) -> failure == null ? result : failed(request, failure));
        } catch (RuntimeException e) {
            r = CompletableFuture.completedFuture(failed(request, e));
        }
        if (log.isDebugEnabled()) {
            r = r.whenComplete((result, t) -> log.debug("LUN {} CDB {} -> {}", request.lun(),
                    java.util.HexFormat.ofDelimiter(" ").formatHex(request.cdb(), 0, cdbLength(request.cdb())),
                    result));
        }
        return r;
    }

    private static int cdbLength(byte[] cdb) {
        return switch ((cdb[0] & 0xFF) >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> cdb.length;
        };
    }

    private CompletionStage<ScsiResult> run(ScsiRequest request) {
        byte[] cdb = request.cdb();
        int op = cdb[0] & 0xFF;
        OpcodeEntry entry = table.lookup(cdb);
        LogicalUnit unit = request.lun() >= 0 && request.lun() <= Integer.MAX_VALUE
                ? luns.get((int) request.lun()) : null;
        if (unit == null && (entry == null || !entry.has(OpcodeEntry.Trait.NO_LU))) {
            // SPC-4 4.6.4: only INQUIRY, REPORT LUNS and REQUEST SENSE are answered for an absent LUN
            throw ScsiError.of(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
        }
        if (entry == null || !entry.availableFor(unit)) {
            throw table.usesServiceActions(op) ? ScsiError.invalidField(1)
                    : ScsiError.of(SenseReason.INVALID_COMMAND_OPERATION_CODE);
        }
        int control = entry.cdbLength() - 1;
        if ((cdb[control] & 0x04) != 0) {
            throw ScsiError.invalidField(control); // NACA: we do not support ACA (control mode page)
        }
        if (unit != null && request.nexus() != null) {
            // SAM-5 5.3.2: a pending unit attention is reported (once) before anything else, except to
            // INQUIRY, REPORT LUNS and REQUEST SENSE (which reports it as its sense data)
            if (!entry.has(OpcodeEntry.Trait.UA_EXEMPT)) {
                SenseReason ua = unit.takeAttention(request.nexus());
                if (ua != null) {
                    if (op == 0x03) { // in the format the CDB's DESC bit asks for (SPC-4 6.39)
                        byte[] sense = (cdb[1] & 0x01) != 0 ? SenseData.descriptor(ua) : SenseData.fixed(ua, false, 0, -1);
                        return CompletableFuture.completedFuture(ScsiResult.data(sense, Cdb.u8(cdb, 4)));
                    }
                    throw ScsiError.of(ua);
                }
            }
            // SPC-4 5.15.2.4: in standby or transitioning only the commands that do not touch the medium run; after
            // the unit attention (which tells the initiator the state changed), before reservations (as LIO)
            AccessState access = unit.accessState();
            if (!access.admits(entry)) {
                throw ScsiError.of(access.refusal);
            }
            Nexus holder = unit.reservedBy();
            if (holder != null && !holder.equals(request.nexus()) && !entry.has(OpcodeEntry.Trait.SCSI2_EXEMPT)) {
                return CompletableFuture.completedFuture(ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT));
            }
            boolean writes = entry.has(OpcodeEntry.Trait.WRITES);
            if ((writes || entry.has(OpcodeEntry.Trait.READS)) && !unit.reservations().allows(request.nexus(), writes)) {
                return CompletableFuture.completedFuture(ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT));
            }
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
