package io.stowage.iscsi.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task management functions (RFC 7143 §11.5, SAM-5 7). The response is sent only after every aborted task has
 * stopped touching the volume, so an initiator that retries after FUNCTION COMPLETE can never race the old write.
 *
 * <ul>
 *   <li>ABORT TASK: a live task is aborted (FUNCTION COMPLETE). A task whose CmdSN lies in the window below the
 *       TMF's but never arrived is considered received (so the commands queued behind it run) and answered
 *       FUNCTION COMPLETE (§11.5.1(b)). A task that already finished — its status is out, even if it is still
 *       on the wire as the TMF crosses it — is TASK DOES NOT EXIST (§11.5.1(c), as LIO): the initiator receives
 *       its status, so FUNCTION COMPLETE would claim an abort that did not happen (libiscsi's
 *       AbortTaskSimpleAsync checks both orders). A RefCmdSN outside the window is TASK DOES NOT EXIST. As LIO:
 *       a live task on another LUN than the TMF's is TASK DOES NOT EXIST, one whose CmdSN is not the RefCmdSN is
 *       FUNCTION REJECTED, and neither is aborted.</li>
 *   <li>ABORT TASK SET: this session's tasks on the LUN.</li>
 *   <li>CLEAR TASK SET: every session's tasks on the LUN; other nexuses get TASK ABORTED (TAS = 1).</li>
 *   <li>LOGICAL UNIT RESET: every session's tasks on the LUN; other nexuses get TASK ABORTED (TAS = 1).</li>
 *   <li>TARGET WARM RESET / COLD RESET: every task on the target; cold reset also drops the connections.</li>
 * </ul>
 */
final class TaskManagement {
    private static final Logger log = LoggerFactory.getLogger(TaskManagement.class);
    static final int ABORT_TASK = 1;
    static final int ABORT_TASK_SET = 2;
    static final int CLEAR_ACA = 3;
    static final int CLEAR_TASK_SET = 4;
    static final int LOGICAL_UNIT_RESET = 5;
    static final int TARGET_WARM_RESET = 6;
    static final int TARGET_COLD_RESET = 7;
    static final int TASK_REASSIGN = 8;

    static final int FUNCTION_COMPLETE = 0;
    static final int TASK_DOES_NOT_EXIST = 1;
    static final int LUN_DOES_NOT_EXIST = 2;
    static final int REASSIGNMENT_NOT_SUPPORTED = 4;
    static final int FUNCTION_NOT_SUPPORTED = 5;
    static final int FUNCTION_REJECTED = 255;

    private final Connection connection;
    private final SessionRegistry registry;

    TaskManagement(Connection connection, SessionRegistry registry) {
        this.connection = connection;
        this.registry = registry;
    }

    CompletionStage<Integer> perform(int function, long lun, int referencedTag, int refCmdSn, int cmdSn) {
        Session session = connection.session();
        ExportedTarget target = session.target();
        boolean lunExists = target != null && lun >= 0 && target.scsi().luns().containsKey((int) lun);
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        int response = FUNCTION_COMPLETE;
        switch (function) {
            case ABORT_TASK -> {
                if (!lunExists) {
                    return done(LUN_DOES_NOT_EXIST);
                }
                Task t = connection.task(referencedTag);
                if (t != null && t.lun != lun) {
                    return done(TASK_DOES_NOT_EXIST); // LIO core_tmr_abort_task: no such task on this LUN
                }
                if (t != null && t.cmdSn != refCmdSn) {
                    log.info("{}: ABORT TASK of 0x{} with RefCmdSN {} where its CmdSN is {}: rejected", connection,
                            Integer.toHexString(referencedTag), Integer.toUnsignedString(refCmdSn),
                            Integer.toUnsignedString(t.cmdSn));
                    return done(FUNCTION_REJECTED); // LIO iscsit_tmr_abort_task
                }
                if (t != null && connection.abort(t, false) == Task.State.DONE) {
                    // it finished just as the TMF arrived and its GOOD is going out: the initiator receives that
                    // GOOD, so this is a task that finished (below); answered once the status is out
                    log.info("{}: ABORT TASK of a task that was just answering", connection);
                    return t.finished.thenApply(v -> TASK_DOES_NOT_EXIST);
                } else if (t != null) {
                    waits.add(t.finished);
                } else if (session.alreadyReceived(refCmdSn)) {
                    // It finished and its status went out: the initiator holds (or is about to receive) that
                    // status, so "function complete" would claim an abort that did not happen. §11.5.1(c): the
                    // RefCmdSN lies below the window. LIO answers the same.
                    response = TASK_DOES_NOT_EXIST;
                } else {
                    response = neverArrived(session, refCmdSn, cmdSn);
                }
            }
            case ABORT_TASK_SET -> {
                if (!lunExists) {
                    return done(LUN_DOES_NOT_EXIST);
                }
                abortWhere(connection, lun, false, waits);
            }
            case CLEAR_TASK_SET -> { // SAM-5 7.4: the whole task set of the LU, every I_T nexus
                if (!lunExists) {
                    return done(LUN_DOES_NOT_EXIST);
                }
                for (Session s : registry.sessionsOf(target)) {
                    Connection c = s.connection();
                    if (c != null) {
                        abortWhere(c, lun, c != connection, waits);
                    }
                }
            }
            case LOGICAL_UNIT_RESET -> {
                if (!lunExists) {
                    return done(LUN_DOES_NOT_EXIST);
                }
                for (Session s : registry.sessionsOf(target)) {
                    Connection c = s.connection();
                    if (c != null) {
                        abortWhere(c, lun, c != connection, waits);
                    }
                }
                target.scsi().logicalUnitReset((int) lun);
            }
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> {
                for (Session s : registry.sessionsOf(target)) {
                    Connection c = s.connection();
                    if (c != null) {
                        abortWhere(c, -1, c != connection, waits);
                    }
                }
                if (target != null) {
                    target.scsi().targetReset();
                }
            }
            case TASK_REASSIGN -> response = REASSIGNMENT_NOT_SUPPORTED;
            case CLEAR_ACA -> response = FUNCTION_NOT_SUPPORTED; // NACA is never accepted, so no ACA exists
            default -> response = FUNCTION_NOT_SUPPORTED;
        }
        log.info("{}: task management function {} on LUN {} -> {} ({} task(s) aborted)", connection, function, lun,
                response, waits.size());
        int r = response;
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).thenApply(v -> r);
    }

    /**
     * ABORT TASK of a command that has not arrived. RFC 7143 §11.5.1(b): a RefCmdSN within the window and below
     * the TMF's own CmdSN is considered received (the command is ignored should it still come), which also fills
     * the hole that holds back the commands after it; FUNCTION COMPLETE. Otherwise (c): TASK DOES NOT EXIST.
     */
    private int neverArrived(Session session, int refCmdSn, int cmdSn) {
        boolean inWindow = SerialNumber.lessOrEqual(session.expCmdSn(), refCmdSn)
                && SerialNumber.lessOrEqual(refCmdSn, session.maxCmdSn());
        if (!inWindow || !SerialNumber.lessThan(refCmdSn, cmdSn)) {
            return TASK_DOES_NOT_EXIST;
        }
        session.admit(refCmdSn, false, () -> { });
        log.info("{}: ABORT TASK of CmdSN {}, which never arrived: counted as received", connection,
                Integer.toUnsignedString(refCmdSn));
        return FUNCTION_COMPLETE;
    }

    /** SAM-5 7.11: a cold reset ends every I_T nexus of the target; called after its response is queued. */
    void dropAllConnections() {
        ExportedTarget target = connection.session().target();
        for (Session s : registry.sessionsOf(target)) {
            Connection c = s.connection();
            if (c != null) {
                c.terminate("target cold reset");
            }
        }
    }

    private static void abortWhere(Connection c, long lun, boolean reportTaskAborted, List<CompletableFuture<Void>> waits) {
        for (Task t : c.tasks()) {
            if (lun < 0 || t.lun == lun) {
                c.abort(t, reportTaskAborted);
                waits.add(t.finished);
            }
        }
    }

    private static CompletionStage<Integer> done(int response) {
        return CompletableFuture.completedFuture(response);
    }
}
