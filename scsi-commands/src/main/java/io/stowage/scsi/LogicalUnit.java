package io.stowage.scsi;

import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import java.util.UUID;

/**
 * A SCSI logical unit backed by a volume: its geometry (512-byte logical blocks, 4 KiB physical blocks) and the
 * identifiers initiators use to recognise it (SPC-4 7.8.6 NAA 6h designator, unit serial number), all derived
 * from the volume's UUID so they are stable across restarts and identical on every node and path.
 */
public final class LogicalUnit {
    public static final int BLOCK_SIZE = 512;
    /** Logical blocks per physical block exponent (READ CAPACITY(16) LBPPBE): 2^3 * 512 = 4096. */
    public static final int PHYSICAL_BLOCK_EXPONENT = 3;
    /**
     * IEEE company ID in the NAA 6h designator. Stowage has no registered OUI, so it uses a CID from the
     * locally administered space (low nibble of the first octet = 1010b, IEEE "Guidelines for use of EUI, OUI,
     * and CID"), which no registered vendor can collide with.
     */
    public static final int COMPANY_ID = 0xAA5701;

    private final BlockDevice device;
    /** Pending unit attentions per I_T nexus, oldest first (SPC-4 5.14). */
    private final java.util.concurrent.ConcurrentHashMap<Nexus, java.util.ArrayDeque<SenseReason>> attentions =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Name under which the persistent reservation state is kept with the volume. */
    static final String RESERVATION_STATE = "reservations";
    private final PersistentReservations reservations;
    /** The I_T nexus holding a SCSI-2 reservation (RESERVE(6)/(10)), or null. */
    private volatile Nexus reservedBy;
    private final byte[] naa;
    private final String serial;
    /** This node's ALUA state for the LU: it serves what it owns (the ownership work moves it). */
    private volatile AccessState accessState = AccessState.ACTIVE_OPTIMIZED;
    /** The state was changed since the LU came up (REPORT TARGET PORT GROUPS status code 02h). */
    private volatile boolean accessStateChanged;

    public LogicalUnit(BlockDevice device) {
        this.device = device;
        UUID id = device.info().uuid();
        this.naa = naa6(id);
        this.serial = id.toString().replace("-", "");
        this.reservations = loadReservations(device);
        // a rollback: every nexus is told before any command sees the rolled-back data
        device.addDataChangeListener(() -> establishForAll(SenseReason.MEDIUM_MAY_HAVE_CHANGED));
    }

    /** Reservations that were to persist through power loss (APTPL) come back from the volume. */
    private static PersistentReservations loadReservations(BlockDevice device) {
        try {
            byte[] state = device.loadState(RESERVATION_STATE);
            return state == null ? new PersistentReservations() : PersistentReservations.load(state);
        } catch (java.io.IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(LogicalUnit.class).error(
                    "volume {}: persistent reservation state unreadable ({}); starting without reservations",
                    device.info().name(), e.toString());
            return new PersistentReservations();
        }
    }

    public BlockDevice device() {
        return device;
    }

    public VolumeInfo volume() {
        return device.info();
    }

    public long blockCount() {
        return device.sizeBytes() / BLOCK_SIZE;
    }

    /** The 16-byte NAA IEEE Registered Extended designator (NAA = 6h). */
    public byte[] naa() {
        return naa.clone();
    }

    /** Queues a unit attention for {@code nexus}. */
    void establish(Nexus nexus, SenseReason ua) {
        java.util.ArrayDeque<SenseReason> q = attentions.computeIfAbsent(nexus, n -> new java.util.ArrayDeque<>());
        synchronized (q) {
            if (!q.contains(ua)) q.add(ua);
        }
    }

    /** Queues a unit attention for every nexus known to this LU. */
    void establishForAll(SenseReason ua) {
        for (Nexus n : attentions.keySet()) establish(n, ua);
    }

    /** The nexuses this LU has seen (each gets its own unit attention queue). */
    java.util.Set<Nexus> nexuses() {
        return attentions.keySet();
    }

    /** Removes and returns the oldest unit attention of {@code nexus}, or null. */
    SenseReason takeAttention(Nexus nexus) {
        java.util.ArrayDeque<SenseReason> q = attentions.get(nexus);
        if (q == null) return null;
        synchronized (q) {
            return q.poll();
        }
    }

    /** Drops a pending {@code ua} of {@code nexus}, if any (a command that answers what it announced ran). */
    void clearAttention(Nexus nexus, SenseReason ua) {
        java.util.ArrayDeque<SenseReason> q = attentions.get(nexus);
        if (q != null) {
            synchronized (q) {
                q.remove(ua);
            }
        }
    }

    void forget(Nexus nexus) {
        attentions.remove(nexus);
        if (nexus.equals(reservedBy)) reservedBy = null;
    }

    PersistentReservations reservations() {
        return reservations;
    }

    Nexus reservedBy() {
        return reservedBy;
    }

    /** RESERVE: true if now (or already) held by {@code nexus}, false if another nexus holds it. */
    synchronized boolean reserve(Nexus nexus) {
        if (reservedBy != null && !reservedBy.equals(nexus)) return false;
        reservedBy = nexus;
        return true;
    }

    /** RELEASE by {@code nexus}; a release by a non-holder changes nothing (SPC-2 7.21). */
    synchronized void release(Nexus nexus) {
        if (nexus.equals(reservedBy)) reservedBy = null;
    }

    /** LOGICAL UNIT RESET / target reset: reservations are released and every nexus sees the reset. */
    void reset(SenseReason ua) {
        reservedBy = null;
        establishForAll(ua);
    }

    /** This node's asymmetric access state for the LU (REPORT TARGET PORT GROUPS; what the LU admits). */
    public AccessState accessState() {
        return accessState;
    }

    /** True once {@link #changeAccessState} changed the state (the target did it: an implicit transition). */
    boolean accessStateChanged() {
        return accessStateChanged;
    }

    /**
     * Moves this node's access state for the LU; a change raises ASYMMETRIC ACCESS STATE CHANGED on every I_T nexus
     * (SPC-4 5.15.2.6: an implicit transition), so initiators read REPORT TARGET PORT GROUPS again. Returns whether
     * the state changed.
     */
    public synchronized boolean changeAccessState(AccessState next) {
        AccessState before = accessState;
        if (before == next) return false;
        accessState = next;
        accessStateChanged = true;
        establishForAll(SenseReason.ASYMMETRIC_ACCESS_STATE_CHANGED);
        org.slf4j.LoggerFactory.getLogger(LogicalUnit.class).info("volume {}: ALUA access state {} -> {}",
                volume().name(), before, next);
        return true;
    }

    /**
     * The volume refused I/O because this node no longer owns it (fenced) or it halted: a served LU becomes
     * transitioning, which initiators see in REPORT TARGET PORT GROUPS and retry on another path. A standby LU
     * stays standby.
     */
    synchronized void volumeUnavailable() {
        if (accessState == AccessState.ACTIVE_OPTIMIZED) changeAccessState(AccessState.TRANSITIONING);
    }

    /**
     * Checks the device for a halt no command has met yet (the uploader found the volume fenced): TEST UNIT READY
     * and REPORT TARGET PORT GROUPS, what path checkers send, must not call a dead path good.
     */
    void noticeHalt() {
        if (accessState == AccessState.ACTIVE_OPTIMIZED && device.halted()) volumeUnavailable();
    }

    /** VPD 80h unit serial number: the volume UUID as 32 hex digits. */
    public String serial() {
        return serial;
    }

    /**
     * NAA 6h: 4 bits NAA, 24 bits company ID, 36 bits vendor specific identifier, 64 bits extension. The 100
     * vendor bits come from the UUID: its top 36 bits (clear of the version nibble) and its low 64 bits.
     */
    static byte[] naa6(UUID id) {
        long vendor36 = id.getMostSignificantBits() >>> 28;
        long ext = id.getLeastSignificantBits();
        byte[] b = new byte[16];
        b[0] = (byte) (0x60 | ((COMPANY_ID >>> 20) & 0x0F));
        b[1] = (byte) (COMPANY_ID >>> 12);
        b[2] = (byte) (COMPANY_ID >>> 4);
        b[3] = (byte) (((COMPANY_ID & 0x0F) << 4) | (int) ((vendor36 >>> 32) & 0x0F));
        Cdb.put32(b, 4, vendor36 & 0xFFFFFFFFL);
        Cdb.put64(b, 8, ext);
        return b;
    }
}
