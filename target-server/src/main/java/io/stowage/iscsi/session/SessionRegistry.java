package io.stowage.iscsi.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every live session of this node, keyed by (InitiatorName, ISID, TargetName) — the identity RFC 7143 §4.4.3
 * uses for session reinstatement: a new login with TSIH 0 and the same key replaces the old session, whose
 * connection is closed and whose tasks are aborted. Thread-safe.
 *
 * <p>A session stays registered after its connection is lost until its last task has stopped touching the
 * volume, and a new login for the same key is held until then (as LIO's {@code iscsit_stop_session}): an
 * initiator that gave up on a stalled write and retries it on the new session can never have the old write land
 * after the retry.
 */
public final class SessionRegistry {
    private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger nextTsih = new AtomicInteger(1);

    /**
     * A new session and when it may start: at once, or once the session it reinstates has ended (its
     * connection closed and its tasks finished) and that nexus's SCSI state has been dropped.
     */
    record Opened(Session session, CompletionStage<Void> ready) {
    }

    Opened open(String initiatorName, long isid, ExportedTarget target,
                io.stowage.iscsi.login.SessionParameters parameters, int cmdSn, Connection connection) {
        int tsih;
        do {
            tsih = nextTsih.getAndIncrement() & 0xFFFF;
        } while (tsih == 0);
        Session s = new Session(tsih, initiatorName, isid, target, parameters, cmdSn);
        s.attach(connection);
        Session old;
        synchronized (this) { // against closed(): the old nexus is dropped exactly once, before the new one starts
            old = sessions.put(key(initiatorName, isid, target), s);
        }
        if (old == null) {
            return new Opened(s, CompletableFuture.completedFuture(null));
        }
        log.info("session reinstatement: {} ISID 0x{} replaces TSIH {}", initiatorName, Long.toHexString(isid),
                old.tsih());
        Connection oc = old.connection();
        oc.terminateNow("session reinstated by a new login"); // its peer moved on: drop its queue
        CompletionStage<Void> ready = oc.ended().thenRun(() -> {
            if (old.target() != null) {
                old.target().scsi().nexusLost(old.nexus()); // before the new session's nexus state is set up
            }
        });
        return new Opened(s, ready);
    }

    /**
     * True if a login of (initiator, ISID) to {@code target} may open a session with at most {@code max} per target:
     * a reinstatement replaces its old session, so it always fits.
     */
    boolean hasRoomFor(String initiatorName, long isid, ExportedTarget target, int max) {
        return sessions.containsKey(key(initiatorName, isid, target)) || sessionsOf(target).size() < max;
    }

    /**
     * Forgets {@code s} once it has ended, and drops its I_T nexus's SCSI state (SCSI-2 reservations, unit
     * attentions); false if it had already been replaced by a reinstatement, which does that itself.
     */
    synchronized boolean closed(Session s) {
        if (!sessions.remove(key(s.initiatorName(), s.isid(), s.target()), s)) {
            return false;
        }
        if (s.target() != null) {
            s.target().scsi().nexusLost(s.nexus()); // I_T nexus loss: SCSI-2 reservations end
        }
        return true;
    }

    /**
     * Sessions logged in to {@code target} (for LUN and target resets), by its name: the admin API may replace a
     * target's record (a new ACL) while its sessions go on.
     */
    List<Session> sessionsOf(ExportedTarget target) {
        List<Session> out = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (s.target() != null && s.target().name().equals(target.name())) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * PREEMPT AND ABORT (SPC-4 5.13.11.2.3): aborts the tasks of the preempted nexuses on {@code lun}; they get
     * TASK ABORTED status (TAS = 1).
     */
    public void abortTasks(ExportedTarget target, java.util.List<io.stowage.scsi.Nexus> nexuses, int lun) {
        for (Session s : sessionsOf(target)) {
            Connection c = s.connection();
            if (c != null && nexuses.contains(s.nexus())) {
                for (Task t : c.tasks()) {
                    if (t.lun == lun) c.abort(t, true);
                }
            }
        }
    }

    public int size() {
        return sessions.size();
    }

    /** Normal sessions per target name (IQN); discovery sessions are in {@link #size} only. */
    public Map<String, Integer> sessionsPerTarget() {
        Map<String, Integer> n = new java.util.TreeMap<>();
        for (Session s : sessions.values()) {
            if (s.target() != null) n.merge(s.target().name(), 1, Integer::sum);
        }
        return n;
    }

    /** Every live session (the admin API's session list). */
    public List<Session> all() {
        return new ArrayList<>(sessions.values());
    }

    /** Closes every session logged in to {@code target} (the target was deleted); returns how many. */
    public int closeSessionsOf(ExportedTarget target, String why) {
        return closeSessionsOf(target, s -> true, why);
    }

    /** Closes the sessions logged in to {@code target} that {@code which} picks (an ACL changed); returns how many. */
    public int closeSessionsOf(ExportedTarget target, java.util.function.Predicate<Session> which, String why) {
        int n = 0;
        for (Session s : sessionsOf(target)) {
            if (!which.test(s)) continue;
            Connection c = s.connection();
            if (c != null) {
                c.terminateNow(why);
                n++;
            }
        }
        return n;
    }

    private static String key(String initiator, long isid, ExportedTarget target) {
        return initiator + '\0' + Long.toHexString(isid) + '\0' + (target == null ? "" : target.name());
    }
}
