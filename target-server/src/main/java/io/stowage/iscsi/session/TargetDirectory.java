package io.stowage.iscsi.session;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The targets this node serves, by IQN, and the CHAP secrets discovery sessions must prove (null: none). Targets
 * are added and removed, and CHAP changed, while serving (the admin API); the map is replaced whole on each change
 * (copy on write), so lookups from the network threads never lock.
 */
public final class TargetDirectory {
    private volatile Map<String, ExportedTarget> targets;
    private volatile io.stowage.iscsi.login.ChapCredentials discoveryChap;

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

    /** The CHAP secrets discovery sessions must prove from now on (null: none); sessions logged in stay. */
    public void discoveryChap(io.stowage.iscsi.login.ChapCredentials chap) {
        this.discoveryChap = chap;
    }

    public ExportedTarget find(String name) {
        return targets.get(name);
    }

    public Collection<ExportedTarget> all() {
        return targets.values();
    }

    /** Serves {@code target} from now on (discovery and logins see it). */
    public synchronized void add(ExportedTarget target) {
        Map<String, ExportedTarget> m = new LinkedHashMap<>(targets);
        if (m.putIfAbsent(target.name(), target) != null) {
            throw new IllegalArgumentException("target " + target.name() + " listed twice");
        }
        targets = Collections.unmodifiableMap(m);
    }

    /** Puts {@code target} in place of the one of its name (same SCSI target, new ACL or CHAP): new logins see it. */
    public synchronized void replace(ExportedTarget target) {
        Map<String, ExportedTarget> m = new LinkedHashMap<>(targets);
        if (m.replace(target.name(), target) == null) {
            throw new IllegalArgumentException("target " + target.name() + " is not served");
        }
        targets = Collections.unmodifiableMap(m);
    }

    /** Stops serving the target (new logins and discovery no longer see it); its sessions are the caller's. */
    public synchronized ExportedTarget remove(String name) {
        Map<String, ExportedTarget> m = new LinkedHashMap<>(targets);
        ExportedTarget gone = m.remove(name);
        targets = Collections.unmodifiableMap(m);
        return gone;
    }
}
