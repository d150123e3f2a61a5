package io.stowage.node.admin;

import java.util.List;

/** What the admin API answers (as JSON) and the CLI prints: plain values, no live objects. */
public final class Views {
    private Views() {
    }

    /** A volume: its catalogued size ({@code size} as an operator writes it), its UUID if created, its LUNs. */
    public record VolumeView(String name, long sizeBytes, String size, String uuid, List<ExportView> exports) {
    }

    /**
     * A snapshot of a volume: when it was cut, the bytes written between the previous snapshot and it (-1 until it
     * is committed to the backend), how many clones depend on it, whether it is in the backend yet.
     */
    public record SnapshotView(String volume, String name, String created, long bytesSincePrevious, int clones,
                               boolean onBackend) {
    }

    /** A target, the node that serves it, its LUNs and how many sessions are logged in to it here now. */
    public record TargetView(String name, String iqn, String node, List<ExportView> luns, int sessions) {
    }

    /**
     * The initiators a target admits and where that list comes from: {@code catalogue} (set with the CLI),
     * {@code config} (the file's target.NAME.allowed-initiators) or {@code everyone} (no list: every initiator).
     */
    public record AclView(String target, String iqn, List<String> initiators, String source) {
    }

    /**
     * The CHAP a target's logins (or, {@code discovery}, discovery sessions') must prove: {@code mode} none, one-way
     * or mutual, the user names, whether each secret is set (secrets are never answered), and where it comes from:
     * {@code catalogue} (set with the CLI), {@code config} (the file's chap keys) or {@code none}.
     */
    public record ChapView(String target, String iqn, boolean discovery, String mode, String user, boolean secretSet,
                           String mutualUser, boolean mutualSecretSet, String source) {
    }

    /** A LUN of a target that exports a volume. */
    public record ExportView(String target, String iqn, int lun, String volume) {
    }

    /** A live session: its TSIH, the initiator (name and ISID), the target (null for discovery). */
    public record SessionView(int tsih, String initiator, String isid, String target, boolean discovery) {
    }

    /** The node at a glance. */
    public record StatusView(String version, String node, String portal, String backend, long catalogueVersion, int volumes,
                             int targets, int exports, int sessions, long uptimeSeconds) {
    }
}
