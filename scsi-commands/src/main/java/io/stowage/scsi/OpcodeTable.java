package io.stowage.scsi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import io.stowage.scsi.OpcodeEntry.Trait;
import static io.stowage.scsi.OpcodeEntry.Trait.*;

/**
 * The one place that says which SCSI commands Stowage implements (after tgt's {@code sbc_template.ops[]}).
 * Dispatch, REPORT SUPPORTED OPERATION CODES and the table-driven tests all read this table, so what is reported
 * can never drift from what is dispatched.
 *
 * <p>Usage bitmaps follow LIO's {@code target_opcode_descriptor}s: byte 0 is the opcode, then one mask per CDB byte.
 * The traits at the end of a row say how the pipeline in {@link ScsiTarget} treats the command before its handler:
 * absent LUN, unit attentions, SCSI-2 and persistent reservations ({@link Trait}).
 */
public final class OpcodeTable {
    private static final int SERVICE_ACTION_IN_16 = 0x9E;
    private static final int MAINTENANCE_IN = 0xA3;

    private final OpcodeEntry[] plain = new OpcodeEntry[256];
    /** Opcodes whose byte 1 (bits 0-4) selects a service action (SPC-4 4.2.5.1): those with rows per action. */
    private final boolean[] multiplexed = new boolean[256];
    private final List<OpcodeEntry> withServiceAction = new ArrayList<>();
    private final List<OpcodeEntry> all = new ArrayList<>();

    public static final OpcodeTable STANDARD = standard();

    private static OpcodeTable standard() {
        OpcodeTable t = new OpcodeTable();
        // SPC-4 primary commands
        t.add(0x00, "TEST UNIT READY", 6, "00 00 00 00 00 00", UnitCommands::testUnitReady);
        t.add(0x03, "REQUEST SENSE", 6, "03 01 00 00 ff 00", UnitCommands::requestSense, NO_LU, SCSI2_EXEMPT,
                STANDBY_OK, TRANSITION_OK);
        t.add(0x12, "INQUIRY", 6, "12 01 ff ff ff 00", Inquiry::execute, NO_LU, UA_EXEMPT, SCSI2_EXEMPT,
                STANDBY_OK, TRANSITION_OK);
        t.add(0x1A, "MODE SENSE(6)", 6, "1a 08 ff ff ff 00", ModeSense::execute, STANDBY_OK);
        t.add(0x5A, "MODE SENSE(10)", 10, "5a 18 ff ff 00 00 00 ff ff 00", ModeSense::execute, STANDBY_OK);
        t.add(0xA0, "REPORT LUNS", 12, "a0 00 ff 00 00 00 ff ff ff ff 00 00", ReportLuns::execute, NO_LU, UA_EXEMPT, SCSI2_EXEMPT,
                STANDBY_OK, TRANSITION_OK);
        t.addSa(MAINTENANCE_IN, 0x0C, "REPORT SUPPORTED OPERATION CODES", 12,
                "a3 1f 87 ff ff ff ff ff ff ff 00 00", ReportSupportedOpcodes::execute, SCSI2_EXEMPT, STANDBY_OK);
        t.add(0x5E, "PERSISTENT RESERVE IN", 10, "5e 1f 00 00 00 00 00 ff ff 00", PersistentReserve::in, STANDBY_OK);
        t.add(0x5F, "PERSISTENT RESERVE OUT", 10, "5f 1f ff 00 00 ff ff ff ff 00", PersistentReserve::out, STANDBY_OK);
        t.add(0x16, "RESERVE(6)", 6, "16 00 00 00 00 00", UnitCommands::reserve);
        t.add(0x17, "RELEASE(6)", 6, "17 00 00 00 00 00", UnitCommands::release, SCSI2_EXEMPT);
        t.add(0x56, "RESERVE(10)", 10, "56 00 00 00 00 00 00 00 00 00", UnitCommands::reserve);
        t.add(0x57, "RELEASE(10)", 10, "57 00 00 00 00 00 00 00 00 00", UnitCommands::release, SCSI2_EXEMPT);
        // SBC-3 block commands
        t.add(0x1B, "START STOP UNIT", 6, "1b 01 00 0f f7 00", UnitCommands::startStopUnit);
        t.add(0x25, "READ CAPACITY(10)", 10, "25 00 ff ff ff ff 00 00 01 00", ReadCapacity::execute10, SCSI2_EXEMPT,
                STANDBY_OK);
        t.addSa(SERVICE_ACTION_IN_16, 0x10, "READ CAPACITY(16)", 16,
                "9e 10 00 00 00 00 00 00 00 00 ff ff ff ff 00 00", ReadCapacity::execute16, SCSI2_EXEMPT, STANDBY_OK);
        t.add(0x08, "READ(6)", 6, "08 1f ff ff ff 00", BlockIo::read, READS);
        t.add(0x28, "READ(10)", 10, "28 fa ff ff ff ff 00 ff ff 00", BlockIo::read, READS);
        t.add(0xA8, "READ(12)", 12, "a8 fa ff ff ff ff ff ff ff ff 00 00", BlockIo::read, READS);
        t.add(0x88, "READ(16)", 16, "88 fa ff ff ff ff ff ff ff ff ff ff ff ff 00 00", BlockIo::read, READS);
        t.add(0x0A, "WRITE(6)", 6, "0a 1f ff ff ff 00", BlockIo::write, WRITES);
        t.add(0x2A, "WRITE(10)", 10, "2a fa ff ff ff ff 00 ff ff 00", BlockIo::write, WRITES);
        t.add(0xAA, "WRITE(12)", 12, "aa fa ff ff ff ff ff ff ff ff 00 00", BlockIo::write, WRITES);
        t.add(0x8A, "WRITE(16)", 16, "8a fa ff ff ff ff ff ff ff ff ff ff ff ff 00 00", BlockIo::write, WRITES);
        t.add(0x2E, "WRITE AND VERIFY(10)", 10, "2e f2 ff ff ff ff 00 ff ff 00", BlockIo::write, WRITES);
        t.add(0xAE, "WRITE AND VERIFY(12)", 12, "ae f2 ff ff ff ff ff ff ff ff 00 00", BlockIo::write, WRITES);
        t.add(0x8E, "WRITE AND VERIFY(16)", 16, "8e f2 ff ff ff ff ff ff ff ff ff ff ff ff 00 00", BlockIo::write, WRITES);
        t.add(0x2F, "VERIFY(10)", 10, "2f f6 ff ff ff ff 00 ff ff 00", BlockIo::verify, READS);
        t.add(0xAF, "VERIFY(12)", 12, "af f6 ff ff ff ff ff ff ff ff 00 00", BlockIo::verify, READS);
        t.add(0x8F, "VERIFY(16)", 16, "8f f6 ff ff ff ff ff ff ff ff ff ff ff ff 00 00", BlockIo::verify, READS);
        t.add(0x34, "PRE-FETCH(10)", 10, "34 02 ff ff ff ff 00 ff ff 00", BlockIo::prefetch, READS);
        t.add(0x90, "PRE-FETCH(16)", 16, "90 02 ff ff ff ff ff ff ff ff ff ff ff ff 00 00", BlockIo::prefetch, READS);
        t.add(0x37, "READ DEFECT DATA(10)", 10, "37 00 1f 00 00 00 00 ff ff 00", UnitCommands::readDefectData);
        t.add(0xB7, "READ DEFECT DATA(12)", 12, "b7 1f 00 00 00 00 ff ff ff ff 00 00", UnitCommands::readDefectData);
        t.addSa(MAINTENANCE_IN, 0x0A, "REPORT TARGET PORT GROUPS", 12, "a3 ea 00 00 00 00 ff ff ff ff 00 00",
                Inquiry::reportTargetPortGroups, SCSI2_EXEMPT, STANDBY_OK, TRANSITION_OK);
        // thin provisioning and VAAI: only for block devices that support them
        t.add(0x42, "UNMAP", 10, "42 00 00 00 00 00 00 ff ff 00", OpcodeEntry.Requirement.UNMAP,
                ThinProvisioning::unmap, WRITES);
        t.add(0x41, "WRITE SAME(10)", 10, "41 08 ff ff ff ff 00 ff ff 00", OpcodeEntry.Requirement.UNMAP,
                ThinProvisioning::writeSame, WRITES);
        t.add(0x93, "WRITE SAME(16)", 16, "93 09 ff ff ff ff ff ff ff ff ff ff ff ff 00 00",
                OpcodeEntry.Requirement.UNMAP, ThinProvisioning::writeSame, WRITES);
        t.addSa(SERVICE_ACTION_IN_16, 0x12, "GET LBA STATUS", 16, "9e 12 ff ff ff ff ff ff ff ff ff ff ff ff 00 00",
                OpcodeEntry.Requirement.UNMAP, ThinProvisioning::getLbaStatus, SCSI2_EXEMPT);
        t.add(0x89, "COMPARE AND WRITE", 16, "89 18 ff ff ff ff ff ff ff ff 00 00 00 ff 00 00",
                OpcodeEntry.Requirement.COMPARE_AND_WRITE, CompareAndWrite::execute, WRITES);
        t.add(0x8B, "ORWRITE(16)", 16, "8b fa ff ff ff ff ff ff ff ff ff ff ff ff 00 00",
                OpcodeEntry.Requirement.COMPARE_AND_WRITE, CompareAndWrite::orWrite, WRITES);
        // a write to the LU it is sent to; ExtendedCopy checks each segment's source and destination LU as well
        t.addSa(0x83, 0x00, "EXTENDED COPY(LID1)", 16, "83 00 00 00 00 00 00 00 00 00 ff ff ff ff 00 00",
                ExtendedCopy::extendedCopy, WRITES);
        t.addSa(0x84, 0x00, "RECEIVE COPY RESULTS(COPY STATUS)", 16,
                "84 1f ff 00 00 00 00 00 00 00 ff ff ff ff 00 00", ExtendedCopy::receiveCopyResults);
        t.addSa(0x84, 0x03, "RECEIVE COPY RESULTS(OPERATING PARAMETERS)", 16,
                "84 1f 00 00 00 00 00 00 00 00 ff ff ff ff 00 00", ExtendedCopy::receiveCopyResults);
        t.add(0x35, "SYNCHRONIZE CACHE(10)", 10, "35 02 ff ff ff ff 00 ff ff 00", BlockIo::synchronizeCache, WRITES);
        t.add(0x91, "SYNCHRONIZE CACHE(16)", 16, "91 02 ff ff ff ff ff ff ff ff ff ff ff ff 00 00",
                BlockIo::synchronizeCache, WRITES);
        return t;
    }

    private void add(int opcode, String name, int length, String usage, Handler h, Trait... traits) {
        add(opcode, name, length, usage, OpcodeEntry.Requirement.NONE, h, traits);
    }

    private void add(int opcode, String name, int length, String usage, OpcodeEntry.Requirement r, Handler h,
                     Trait... traits) {
        OpcodeEntry e = new OpcodeEntry(opcode, OpcodeEntry.NO_SERVICE_ACTION, name, length, bytes(usage, length), r,
                traitSet(traits), h);
        if (plain[opcode] != null || multiplexed[opcode]) {
            throw new IllegalStateException("opcode listed twice: " + name);
        }
        plain[opcode] = e;
        all.add(e);
    }

    private void addSa(int opcode, int sa, String name, int length, String usage, Handler h, Trait... traits) {
        addSa(opcode, sa, name, length, usage, OpcodeEntry.Requirement.NONE, h, traits);
    }

    private void addSa(int opcode, int sa, String name, int length, String usage, OpcodeEntry.Requirement r,
                       Handler h, Trait... traits) {
        OpcodeEntry e = new OpcodeEntry(opcode, sa, name, length, bytes(usage, length), r, traitSet(traits), h);
        if (plain[opcode] != null) {
            throw new IllegalStateException("opcode listed with and without service action: " + name);
        }
        multiplexed[opcode] = true;
        withServiceAction.add(e);
        all.add(e);
    }

    private static java.util.Set<Trait> traitSet(Trait... traits) {
        java.util.EnumSet<Trait> set = java.util.EnumSet.noneOf(Trait.class);
        set.addAll(java.util.Arrays.asList(traits));
        return java.util.Collections.unmodifiableSet(set);
    }

    private static byte[] bytes(String hex, int length) {
        byte[] b = HexFormat.ofDelimiter(" ").parseHex(hex);
        if (b.length != length) {
            throw new IllegalStateException("usage bitmap of " + hex + " is not " + length + " bytes");
        }
        return b;
    }

    /** True when {@code opcode} multiplexes service actions (so an unknown SA is INVALID FIELD IN CDB). */
    public boolean usesServiceActions(int opcode) {
        return multiplexed[opcode & 0xFF];
    }

    /** The entry for this opcode without service action, or null. */
    public OpcodeEntry find(int opcode) {
        return plain[opcode & 0xFF];
    }

    /** The entry for this opcode and service action, or null. */
    public OpcodeEntry find(int opcode, int serviceAction) {
        for (OpcodeEntry e : withServiceAction) {
            if (e.opcode() == opcode && e.serviceAction() == serviceAction) {
                return e;
            }
        }
        return null;
    }

    /** Looks the CDB up; null if the opcode (or its service action) is not implemented. */
    public OpcodeEntry lookup(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        return usesServiceActions(op) ? find(op, cdb[1] & 0x1F) : find(op);
    }

    /** Every implemented command, in table order. */
    public List<OpcodeEntry> all() {
        return Collections.unmodifiableList(all);
    }
}
