package io.stowage.scsi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SCSI-3 persistent reservation state of one logical unit (SPC-4 5.13): registrations per I_T nexus, the
 * reservation (holder, type) and the PR generation. All methods are synchronized: PR OUT commands are rare and
 * must be atomic with respect to each other and to the access checks.
 *
 * <p>Persist through power loss (APTPL, SPC-4 5.13.5): when the last REGISTER asked for it, every change is
 * serialized ({@link #serialize}) and stored with the volume in its object store, and reloaded when the LU is
 * created at the next start.
 */
final class PersistentReservations {
    static final int WRITE_EXCLUSIVE = 1;
    static final int EXCLUSIVE_ACCESS = 3;
    static final int WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;
    static final int EXCLUSIVE_ACCESS_REGISTRANTS_ONLY = 6;
    static final int WRITE_EXCLUSIVE_ALL_REGISTRANTS = 7;
    static final int EXCLUSIVE_ACCESS_ALL_REGISTRANTS = 8;

    /** The outcome of a PR OUT: GOOD, RESERVATION CONFLICT, or a CHECK CONDITION reason. */
    record Outcome(int status, SenseReason reason) {
        static final Outcome GOOD = new Outcome(ScsiStatus.GOOD, null);
        static final Outcome CONFLICT = new Outcome(ScsiStatus.RESERVATION_CONFLICT, null);

        static Outcome check(SenseReason r) {
            return new Outcome(ScsiStatus.CHECK_CONDITION, r);
        }
    }

    private final Map<Nexus, Long> registrations = new LinkedHashMap<>();
    private Nexus holder;     // null when there is no reservation; any registrant for the all-registrants types
    private int type;
    private int generation;
    private boolean aptpl;

    /** The APTPL bit of the last successful REGISTER decides whether the state persists (SPC-4 6.16.3). */
    synchronized void setPersistThroughPowerLoss(boolean on) {
        aptpl = on;
    }

    synchronized boolean persistThroughPowerLoss() {
        return aptpl;
    }

    /**
     * Text form for the object store: {@code aptpl}, {@code generation}, {@code type}, {@code holder} and one
     * {@code reg} line per registration (initiator port, target port, key in hex); ports never contain a tab.
     */
    synchronized byte[] serialize() {
        StringBuilder sb = new StringBuilder("stowage-pr 1\n");
        sb.append("aptpl\t").append(aptpl ? 1 : 0).append('\n');
        sb.append("generation\t").append(Integer.toUnsignedString(generation)).append('\n');
        if (holder != null) {
            sb.append("holder\t").append(holder.initiatorPort()).append('\t').append(holder.targetPort())
                    .append('\t').append(type).append('\n');
        }
        for (Map.Entry<Nexus, Long> e : registrations.entrySet()) {
            sb.append("reg\t").append(e.getKey().initiatorPort()).append('\t').append(e.getKey().targetPort())
                    .append('\t').append(Long.toHexString(e.getValue())).append('\n');
        }
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static PersistentReservations load(byte[] bytes) {
        PersistentReservations pr = new PersistentReservations();
        String[] lines = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || !lines[0].equals("stowage-pr 1")) {
            throw new IllegalArgumentException("not a Stowage persistent reservation state");
        }
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split("\t");
            switch (f[0]) {
                case "aptpl" -> pr.aptpl = f[1].equals("1");
                case "generation" -> pr.generation = Integer.parseUnsignedInt(f[1]);
                case "holder" -> {
                    pr.holder = new Nexus(f[1], f[2]);
                    pr.type = Integer.parseInt(f[3]);
                }
                case "reg" -> pr.registrations.put(new Nexus(f[1], f[2]), Long.parseUnsignedLong(f[3], 16));
                default -> { }
            }
        }
        return pr;
    }

    static boolean validType(int t) {
        return t == 1 || t == 3 || t == 5 || t == 6 || t == 7 || t == 8;
    }

    private static boolean allRegistrants(int t) {
        return t == WRITE_EXCLUSIVE_ALL_REGISTRANTS || t == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    synchronized boolean isReserved() {
        return holder != null;
    }

    synchronized boolean hasRegistrations() {
        return !registrations.isEmpty();
    }

    private boolean isHolder(Nexus n) {
        return holder != null && (allRegistrants(type) ? registrations.containsKey(n) : holder.equals(n));
    }

    /**
     * May {@code n} run a command that reads (or writes) the medium? SPC-4 5.13.1 table 53: WRITE EXCLUSIVE lets
     * everybody read; the EXCLUSIVE ACCESS types restrict reads too; the registrants-only and all-registrants
     * types open access to every registered nexus.
     */
    synchronized boolean allows(Nexus n, boolean writes) {
        if (holder == null || isHolder(n)) return true;
        boolean registered = registrations.containsKey(n);
        return switch (type) {
            case WRITE_EXCLUSIVE -> !writes;
            case EXCLUSIVE_ACCESS -> false;
            case WRITE_EXCLUSIVE_REGISTRANTS_ONLY, WRITE_EXCLUSIVE_ALL_REGISTRANTS -> !writes || registered;
            case EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, EXCLUSIVE_ACCESS_ALL_REGISTRANTS -> registered;
            default -> true;
        };
    }

    synchronized Outcome register(Nexus n, long key, long newKey, boolean ignoreExisting, LogicalUnit unit) {
        Long current = registrations.get(n);
        if (current == null) {
            if (!ignoreExisting && key != 0) return Outcome.CONFLICT;
            if (newKey != 0) {
                registrations.put(n, newKey);
                generation++;
            }
            return Outcome.GOOD;
        }
        if (!ignoreExisting && current != key) return Outcome.CONFLICT;
        if (newKey == 0) {
            unregister(n, unit);
        } else {
            registrations.put(n, newKey);
        }
        generation++;
        return Outcome.GOOD;
    }

    private void unregister(Nexus n, LogicalUnit unit) {
        boolean wasHolder = isHolder(n);
        registrations.remove(n);
        if (wasHolder && (!allRegistrants(type) || registrations.isEmpty())) {
            boolean notify = type == WRITE_EXCLUSIVE_REGISTRANTS_ONLY || type == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY;
            holder = null;
            type = 0;
            if (notify) {
                for (Nexus other : registrations.keySet()) unit.establish(other, SenseReason.RESERVATIONS_RELEASED);
            }
        }
    }

    synchronized Outcome reserve(Nexus n, long key, int t) {
        Long current = registrations.get(n);
        if (current == null || current != key) return Outcome.CONFLICT;
        if (holder == null) {
            holder = n;
            type = t;
            return Outcome.GOOD;
        }
        return isHolder(n) && type == t ? Outcome.GOOD : Outcome.CONFLICT;
    }

    synchronized Outcome release(Nexus n, long key, int t, LogicalUnit unit) {
        Long current = registrations.get(n);
        if (current == null || current != key) return Outcome.CONFLICT;
        if (holder == null || !isHolder(n)) return Outcome.GOOD;
        if (t != type) return Outcome.check(SenseReason.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        boolean notify = type != WRITE_EXCLUSIVE && type != EXCLUSIVE_ACCESS;
        holder = null;
        type = 0;
        if (notify) {
            for (Nexus other : registrations.keySet()) {
                if (!other.equals(n)) unit.establish(other, SenseReason.RESERVATIONS_RELEASED);
            }
        }
        return Outcome.GOOD;
    }

    synchronized Outcome clear(Nexus n, long key, LogicalUnit unit) {
        Long current = registrations.get(n);
        if (current == null || current != key) return Outcome.CONFLICT;
        for (Nexus other : registrations.keySet()) {
            if (!other.equals(n)) unit.establish(other, SenseReason.RESERVATIONS_PREEMPTED);
        }
        registrations.clear();
        holder = null;
        type = 0;
        generation++;
        return Outcome.GOOD;
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-4 5.13.11.2). Removes the registrations with {@code victimKey} (never the
     * preempting nexus's own); if that was the reservation holder's key — or, for an all-registrants reservation,
     * key 0 — the preempting nexus takes the reservation with type {@code t}. The removed nexuses are added to
     * {@code removed} (PREEMPT AND ABORT aborts their tasks) and get REGISTRATIONS PREEMPTED.
     */
    synchronized Outcome preempt(Nexus n, long key, long victimKey, int t, LogicalUnit unit, List<Nexus> removed) {
        Long current = registrations.get(n);
        if (current == null || current != key) return Outcome.CONFLICT;
        boolean takeReservation;
        if (holder != null && allRegistrants(type) && victimKey == 0) {
            for (Nexus other : registrations.keySet()) {
                if (!other.equals(n)) removed.add(other);
            }
            takeReservation = true;
        } else {
            if (victimKey == 0) return Outcome.check(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            takeReservation = holder != null && !allRegistrants(type) && registrations.containsKey(holder)
                    && registrations.get(holder) == victimKey;
            for (Map.Entry<Nexus, Long> e : registrations.entrySet()) {
                if (e.getValue() == victimKey && !e.getKey().equals(n)) removed.add(e.getKey());
            }
            if (removed.isEmpty() && !takeReservation) return Outcome.CONFLICT;
        }
        for (Nexus r : removed) {
            registrations.remove(r);
            unit.establish(r, SenseReason.REGISTRATIONS_PREEMPTED);
        }
        if (takeReservation) {
            holder = n;
            type = t;
        }
        generation++;
        return Outcome.GOOD;
    }

    synchronized byte[] readKeys() {
        byte[] d = new byte[8 + 8 * registrations.size()];
        Cdb.put32(d, 0, generation);
        Cdb.put32(d, 4, 8L * registrations.size());
        int at = 8;
        for (long k : registrations.values()) {
            Cdb.put64(d, at, k);
            at += 8;
        }
        return d;
    }

    synchronized byte[] readReservation() {
        byte[] d = new byte[holder == null ? 8 : 24];
        Cdb.put32(d, 0, generation);
        if (holder != null) {
            Cdb.put32(d, 4, 16);
            Cdb.put64(d, 8, allRegistrants(type) ? 0 : registrations.getOrDefault(holder, 0L));
            d[21] = (byte) type; // scope 0h: logical unit
        }
        return d;
    }

    synchronized byte[] readFullStatus(int relativePortId) {
        List<byte[]> descs = new ArrayList<>();
        for (Map.Entry<Nexus, Long> e : registrations.entrySet()) {
            byte[] tid = transportId(e.getKey().initiatorPort());
            byte[] d = new byte[24 + tid.length];
            Cdb.put64(d, 0, e.getValue());
            if (isHolder(e.getKey())) {
                d[12] = 0x01; // R_HOLDER
                d[13] = (byte) type;
            }
            Cdb.put16(d, 18, relativePortId);
            Cdb.put32(d, 20, tid.length);
            System.arraycopy(tid, 0, d, 24, tid.length);
            descs.add(d);
        }
        int len = descs.stream().mapToInt(x -> x.length).sum();
        byte[] out = new byte[8 + len];
        Cdb.put32(out, 0, generation);
        Cdb.put32(out, 4, len);
        int at = 8;
        for (byte[] d : descs) {
            System.arraycopy(d, 0, out, at, d.length);
            at += d.length;
        }
        return out;
    }

    /** iSCSI TransportID, format 01b: the initiator port name {@code <name>,i,0x<ISID>} (SPC-4 7.6.4.6). */
    private static byte[] transportId(String initiatorPort) {
        byte[] name = initiatorPort.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int padded = (name.length + 1 + 3) & ~3;
        byte[] t = new byte[4 + padded];
        t[0] = 0x45; // format 01b, protocol identifier 5h (iSCSI)
        Cdb.put16(t, 2, padded);
        System.arraycopy(name, 0, t, 4, name.length);
        return t;
    }
}
