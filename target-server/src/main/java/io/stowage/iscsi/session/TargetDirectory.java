package io.stowage.iscsi.session;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The targets this node serves, by IQN, and the CHAP secrets discovery sessions must prove (null: none). Immutable
 * after start-up, so lookups need no locking.
 */
public final class TargetDirectory {
    private final Map<String, ExportedTarget> targets;
    private final io.stowage.iscsi.login.ChapCredentials discoveryChap;

    public TargetDirectory(Collection<ExportedTarget> targets) {
        this(targets, null);
    }

    public TargetDirectory(Collection<ExportedTarget> targets, io.stowage.iscsi.login.ChapCredentials discoveryChap) {
        this.discoveryChap = discoveryChap;
        Map<String, ExportedTarget> m = new LinkedHashMap<>();
        for (ExportedTarget t : targets) {
            if (m.put(t.name(), t) != null) {
                throw new IllegalArgumentException("target " + t.name() + " listed twice");
            }
        }
        this.targets = Collections.unmodifiableMap(m);
    }

    public io.stowage.iscsi.login.ChapCredentials discoveryChap() {
        return discoveryChap;
    }

    public ExportedTarget find(String name) {
        return targets.get(name);
    }

    public Collection<ExportedTarget> all() {
        return targets.values();
    }
}
