package io.stowage.target.session;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The targets this node serves, by IQN. Immutable after start-up, so lookups need no locking. */
public final class TargetDirectory {
    private final Map<String, ExportedTarget> targets;

    public TargetDirectory(Collection<ExportedTarget> targets) {
        Map<String, ExportedTarget> m = new LinkedHashMap<>();
        for (ExportedTarget t : targets) {
            if (m.put(t.name(), t) != null) {
                throw new IllegalArgumentException("target " + t.name() + " listed twice");
            }
        }
        this.targets = Collections.unmodifiableMap(m);
    }

    public ExportedTarget find(String name) {
        return targets.get(name);
    }

    public Collection<ExportedTarget> all() {
        return targets.values();
    }
}
