package io.stowage.node.admin;

import java.util.List;

/** What the admin API answers (as JSON) and the CLI prints: plain values, no live objects. */
public final class Views {
    private Views() {
    }

    /** A volume: its catalogued size ({@code size} as an operator writes it), its UUID if created, its LUNs. */
    public record VolumeView(String name, long sizeBytes, String size, String uuid, List<ExportView> exports) {
    }

    /** A target, its LUNs and how many sessions are logged in to it now. */
    public record TargetView(String name, String iqn, List<ExportView> luns, int sessions) {
    }

    /** A LUN of a target that exports a volume. */
    public record ExportView(String target, String iqn, int lun, String volume) {
    }

    /** A live session: its TSIH, the initiator (name and ISID), the target (null for discovery). */
    public record SessionView(int tsih, String initiator, String isid, String target, boolean discovery) {
    }

    /** The node at a glance. */
    public record StatusView(String version, String portal, String backend, long catalogueVersion, int volumes,
                             int targets, int exports, int sessions, long uptimeSeconds) {
    }
}
