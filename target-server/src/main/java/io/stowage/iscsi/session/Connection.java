package io.stowage.iscsi.session;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.ScsiRequest;
import io.stowage.scsi.ScsiResult;
import io.stowage.scsi.ScsiStatus;
import io.stowage.iscsi.login.KeyValues;
import io.stowage.iscsi.login.LoginPhase;
import io.stowage.iscsi.login.SessionParameters;
import io.stowage.iscsi.login.TextKey;
import io.stowage.iscsi.pdu.Bhs;
import io.stowage.iscsi.pdu.InitiatorPdus;
import io.stowage.iscsi.pdu.InitiatorPdus.ScsiCommand;
import io.stowage.iscsi.pdu.IscsiOpcode;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.PduFormatException;
import io.stowage.iscsi.pdu.RejectReason;
import io.stowage.iscsi.pdu.TargetPdus;
import io.stowage.iscsi.transport.ConnectionHandler;
import io.stowage.iscsi.transport.PduConnection;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection: its state (login, held login, full feature phase, closed), the dispatch of each PDU by
 * opcode, the login exchange, SCSI command intake in CmdSN order (RFC 7143 §11.3) up to execution, NOP-Out,
 * Logout, and aborting its tasks. ErrorRecoveryLevel 0: any protocol error ends the connection and with it the
 * session. The other concerns are parts of their own, as LIO splits {@code iscsi_target_*}:
 * {@link StatusSequencer} (StatSN, ExpCmdSN/MaxCmdSN stamping), {@link TaskTable} (ITT → task,
 * recently aborted), {@link DataOutCollector} (budget, Data-Out checks, R2T, Data-Out timeout),
 * {@link DataInSender} (Data-In, phase collapse, residuals), {@link TextExchange} (Text, SendTargets),
 * {@link Keepalive} (our NOP-In ping), {@link TaskManagement} (TMFs).
 *
 * <p>Threads: {@code on*} callbacks run on the receive thread, and so does everything the session admits in CmdSN
 * order; {@link #complete} runs on whichever thread the SCSI layer answers on; {@link #abort} and
 * {@link #terminate} on any thread. StatSN is assigned only by {@link StatusSequencer}, under its lock, which is
 * also the lock under which the state becomes FULL_FEATURE (with the final Login Response) and CLOSED.
 */
public final class Connection implements ConnectionHandler {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    private static final int RESERVED = Bhs.RESERVED_TAG;
    /**
     * Largest EDTL we buffer: what VPD B0h advertises as MAXIMUM TRANSFER LENGTH (4 MiB). No command of ours
     * needs more Data-Out, so a larger EDTL is refused rather than allocated.
     */
    static final int MAX_EDTL = io.stowage.scsi.ScsiTarget.MAX_TRANSFER_BLOCKS * io.stowage.scsi.LogicalUnit.BLOCK_SIZE;
    /** Immediate SCSI commands one session may have outstanding: they skip the CmdSN window (RFC 7143 §3.2.2.1). */
    static final int IMMEDIATE_COMMANDS = 16;

    /** LOGIN_HELD: the login is complete but its final response waits for the session it reinstates to end. */
    enum State { LOGIN, LOGIN_HELD, FULL_FEATURE, CLOSED }

    private final PduConnection wire;
    private final TargetDirectory directory;
    private final SessionRegistry registry;
    private final LoginPhase login;
    private final NodeResources node;
    /** Ends a login that has not reached full feature phase in time; cancelled when it does. */
    private final java.util.concurrent.ScheduledFuture<?> loginDeadline;
    private final TaskTable tasks = new TaskTable();
    private final TransferTags tags = new TransferTags();
    private final StatusSequencer sequencer;
    private final DataOutCollector collector;
    private final DataInSender dataIn;
    private final TextExchange textExchange;
    private final Keepalive keepalive = new Keepalive(tags);
    private volatile State state = State.LOGIN;
    private volatile Session session;
    /** The session this one reinstates has ended (completed at once when there was none). */
    private CompletionStage<Void> predecessorEnded = CompletableFuture.completedFuture(null);
    /** Completed once the connection is closed and its last task has stopped touching the volume. */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    /** Set at login; replaced when a Text Request declares a new MaxRecvDataSegmentLength (read on any thread). */
    private volatile SessionParameters params;
    private int loginCmdSn;
    private int cid;             // this connection's CID, from its login

    public Connection(PduConnection wire, TargetDirectory directory, SessionRegistry registry, BufferPool buffers,
                      int portalGroupTag, Map<TextKey, String> ourValues, NodeResources node) {
        this.wire = wire;
        this.node = node;
        this.directory = directory;
        this.registry = registry;
        this.sequencer = new StatusSequencer(wire);
        this.collector = new DataOutCollector(this, tasks, tags, node, buffers);
        this.dataIn = new DataInSender(this, sequencer);
        this.textExchange = new TextExchange(this, wire, directory, tags);
        this.login = new LoginPhase(name -> directory.find(name) != null, portalGroupTag, ourValues, name -> {
            if (name == null) return directory.discoveryChap();
            ExportedTarget t = directory.find(name);
            return t == null ? null : t.chap();
        }, (target, initiator) -> directory.find(target).allows(initiator));
        // reader-idle never fires while bytes trickle in; this bounds the whole login, however it is paced
        this.loginDeadline = node.timer().schedule(this::onLoginDeadline, node.limits().loginTimeoutMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void onLoginDeadline() {
        if (state == State.LOGIN) {
            terminateNow("login not completed within " + node.limits().loginTimeoutMillis() / 1000 + " s");
        }
    }

    // ---------------------------------------------------------------- receive side

    @Override
    public void onPdu(Pdu pdu) {
        IscsiOpcode op = pdu.opcode();
        if (state == State.LOGIN_HELD) {
            protocolError(pdu, "PDU " + pdu + " before the final Login Response");
            return;
        }
        if (state == State.LOGIN) {
            if (op != IscsiOpcode.LOGIN_REQUEST) {
                protocolError(pdu, "PDU " + pdu + " before login completed");
                return;
            }
            onLogin(pdu);
            return;
        }
        if (state != State.FULL_FEATURE) {
            return;
        }
        collector.checkDeadlines();
        if (op == null) {
            log.info("{}: unknown opcode 0x{}, rejected", this, Integer.toHexString(Bhs.opcodeCode(pdu.bhs())));
            reject(RejectReason.COMMAND_NOT_SUPPORTED, pdu);
            return;
        }
        switch (op) {
            case SCSI_COMMAND -> onScsiCommand(pdu, false);
            case SCSI_DATA_OUT -> collector.onDataOut(pdu, params);
            case NOP_OUT -> onNopOut(pdu);
            case TASK_MGMT_REQUEST -> onTaskManagement(pdu);
            case TEXT_REQUEST -> onText(pdu);
            case LOGOUT_REQUEST -> onLogout(pdu);
            case LOGIN_REQUEST -> protocolError(pdu, "Login Request in full feature phase");
            default -> {
                log.info("{}: {} not supported, rejected", this, op);
                reject(RejectReason.COMMAND_NOT_SUPPORTED, pdu);
            }
        }
    }

    /**
     * RFC 7143 §7.8: the PDU's data is rejected and discarded. The header is good, so a SCSI command with
     * immediate data still takes its CmdSN and its place, and a Data-Out still tells where its sequence ends:
     * either command ends in CHECK CONDITION 0B/47/05 after its data (ERL 0 does not ask for it again). A NOP-Out
     * or Text Request is not performed, but its CmdSN counts as received.
     */
    @Override
    public void onDataDigestError(Pdu pdu) {
        log.warn("{}: data digest error on {}, PDU discarded", this, pdu);
        reject(RejectReason.DATA_DIGEST_ERROR, pdu);
        if (state != State.FULL_FEATURE) {
            return;
        }
        if (pdu.opcode() == IscsiOpcode.SCSI_COMMAND) {
            onScsiCommand(pdu, true);
        } else if (pdu.opcode() == IscsiOpcode.NOP_OUT || pdu.opcode() == IscsiOpcode.TEXT_REQUEST) {
            // rejected, but its CmdSN is used: no hole is left. Reject reason 02h lets the initiator resend the same
            // PDU (RFC 7143 §11.17.1, §7.2.1 "plugging" a gap): that retry is answered, not dropped as a duplicate
            int cmdSn = pdu.bhs().getInt(InitiatorPdus.NopOut.CMD_SN); // the same offset in a Text Request
            admit(pdu, cmdSn, () -> { });
            if (!Bhs.immediate(pdu.bhs())) digestRejected.put(cmdSn, pdu.itt());
        } else if (pdu.opcode() == IscsiOpcode.SCSI_DATA_OUT) {
            collector.onDigestError(pdu);
        }
    }

    @Override
    public void onProtocolError(PduFormatException e) {
        log.warn("{}: {}; closing connection", this, e.getMessage());
        if (e.header() != null && state == State.FULL_FEATURE) {
            send(TargetPdus.reject(e.reason(), e.header(), 0), true, null);
        }
        terminate(null);
    }

    @Override
    public void onIdle() {
        if (state == State.LOGIN) {
            log.info("{}: login timed out", this);
            terminate(null);
            return;
        }
        if (state != State.FULL_FEATURE) {
            return; // LOGIN_HELD waits as long as the old session's commands run, as LIO does
        }
        collector.checkDeadlines();
        if (keepalive.unanswered()) {
            log.warn("{}: no answer to NOP-In ping; closing connection", this);
            terminateNow("keepalive timeout"); // its queued Data-In may never drain
            return;
        }
        // RFC 7143 §11.19: a target ping asks for a NOP-Out echoing our TTT; StatSN does not advance
        send(TargetPdus.nopIn(RESERVED, keepalive.ping(), 0, null), false, null);
    }

    /**
     * Connection loss ends the session (ERL 0): its tasks are aborted, and the session stays registered until
     * the last of them has stopped touching the volume, so that a new login for it waits for them.
     */
    @Override
    public void onClosed() {
        synchronized (sequencer.lock()) {
            state = State.CLOSED;
        }
        loginDeadline.cancel(false);
        Session s = session;
        List<CompletableFuture<?>> running = new ArrayList<>();
        running.add(predecessorEnded.toCompletableFuture());
        for (Task t : tasks()) { // an aborted task leaves the table: note what to wait for first
            running.add(t.finished);
            abort(t, false);
        }
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            if (s != null) {
                registry.closed(s);
            }
            ended.complete(null);
        });
    }

    /** Completes once this connection is closed and none of its tasks touches the volume any more. */
    CompletionStage<Void> ended() {
        return ended;
    }

    /** Closes the connection (session reinstatement, protocol errors). Safe from any thread. */
    void terminate(String why) {
        if (why != null) {
            log.info("{}: closing: {}", this, why);
        }
        state = State.CLOSED;
        wire.close();
    }

    /**
     * Closes at once, dropping queued PDUs (keepalive timeout, reinstatement, login deadline): the peer is gone or
     * replaced, and waiting for its TCP window would keep its tasks and reservations for as long as TCP retries.
     */
    void terminateNow(String why) {
        log.info("{}: closing: {}", this, why);
        state = State.CLOSED;
        wire.closeNow();
    }

    // ---------------------------------------------------------------- login

    private void onLogin(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        loginCmdSn = bhs.getInt(InitiatorPdus.Login.CMD_SN);
        cid = bhs.getShort(InitiatorPdus.Login.CID) & 0xFFFF;
        int expStatSn = bhs.getInt(InitiatorPdus.Login.EXP_STAT_SN);
        byte[] header = pdu.headerCopy();
        java.net.InetAddress peer = wire.remoteAddress().getAddress();
        boolean throttled = node.authFailures().blocked(peer);
        LoginPhase.Step step = throttled
                ? new LoginPhase.Step(false, Math.min(InitiatorPdus.Login.currentStage(bhs), 1), 0,
                        LoginPhase.AUTHENTICATION_FAILURE, new byte[0], false)
                : login.onRequest(bhs, pdu.data());
        if (step.complete() && !login.discovery() && !registry.hasRoomFor(login.initiatorName(), login.isid(),
                directory.find(login.targetName()), node.limits().maxSessionsPerTarget())) {
            log.info("{}: target {} has its {} sessions", this, login.targetName(),
                    node.limits().maxSessionsPerTarget());
            step = new LoginPhase.Step(false, step.csg(), 0, LoginPhase.OUT_OF_RESOURCES, new byte[0], false);
        } else if (!throttled && step.failed() && step.status() == LoginPhase.AUTHENTICATION_FAILURE) {
            node.authFailures().failed(peer);
        }
        Pdu response;
        if (step.failed()) {
            log.info("{}: login of {} to {} refused with status 0x{}", this, login.initiatorName(),
                    login.targetName(), String.format("%04x", step.status()));
            response = TargetPdus.loginResponse(header, false, step.csg(), 0, 0, step.status() >> 8,
                    step.status() & 0xFF, null);
            sendLogin(response, expStatSn);
            terminate(null);
            return;
        }
        if (!step.complete()) {
            sendLogin(TargetPdus.loginResponse(header, step.transit(), step.csg(), step.nsg(), 0, 0, 0,
                    ByteBuffer.wrap(step.text())), expStatSn);
            return;
        }
        params = login.parameters();
        ExportedTarget target = login.discovery() ? null : directory.find(login.targetName());
        SessionRegistry.Opened opened = registry.open(login.initiatorName(), login.isid(), target, params,
                loginCmdSn, this);
        session = opened.session();
        predecessorEnded = opened.ready();
        state = State.LOGIN_HELD;
        if (!predecessorEnded.toCompletableFuture().isDone()) {
            log.info("{}: login of {} held until the commands of the session it reinstates have ended", this,
                    login.initiatorName());
        }
        LoginPhase.Step last = step;
        predecessorEnded.thenRun(() -> enterFullFeature(header, last, expStatSn, target));
    }

    /** The final Login Response (RFC 7143 §6.3: the transition to full feature phase). Any thread. */
    private void enterFullFeature(byte[] header, LoginPhase.Step step, int expStatSn, ExportedTarget target) {
        byte[] text = step.text();
        if (target != null && target.alias() != null) { // §13.6: a target SHOULD name itself; not for discovery
            byte[] alias = KeyValues.format(Map.of(TextKey.TARGET_ALIAS.keyName, target.alias()));
            text = java.util.Arrays.copyOf(text, text.length + alias.length);
            System.arraycopy(alias, 0, text, step.text().length, alias.length);
        }
        Pdu response = TargetPdus.loginResponse(header, step.transit(), step.csg(), step.nsg(), session.tsih(), 0, 0,
                ByteBuffer.wrap(text));
        synchronized (sequencer.lock()) { // nothing else is sent before it: StatSN starts after it
            if (state != State.LOGIN_HELD) {
                return; // the new connection went away while it waited
            }
            if (target != null) {
                target.scsi().nexusConnected(session.nexus());
            }
            loginDeadline.cancel(false);
            state = State.FULL_FEATURE; // before the response leaves: the initiator may answer it at once
            sequencer.sendFinalLogin(response, expStatSn, loginCmdSn, params);
        }
        log.info("{}: {} session {} for {} (ISID 0x{}) is in full feature phase; MaxRecvDataSegmentLength"
                        + " {}/{}, bursts {}/{}, ImmediateData {}, InitialR2T {}, digests {}/{}",
                this, session.discovery() ? "discovery" : "normal", session.tsih(), login.initiatorName(),
                Long.toHexString(login.isid()), params.initiatorMaxRecvDataSegmentLength(),
                params.targetMaxRecvDataSegmentLength(), params.firstBurstLength(), params.maxBurstLength(),
                params.immediateData(), params.initialR2T(), params.headerDigest(), params.dataDigest());
    }

    private void sendLogin(Pdu response, int expStatSn) {
        sequencer.sendLogin(response, expStatSn, loginCmdSn);
    }

    // ---------------------------------------------------------------- SCSI commands and data

    /** @param dataLost the immediate data failed its digest: it counts as received, and the command fails */
    private void onScsiCommand(Pdu pdu, boolean dataLost) {
        Session s = session;
        ByteBuffer bhs = pdu.bhs();
        if (s.discovery()) {
            protocolError(pdu, "SCSI command in a discovery session");
            return;
        }
        int itt = pdu.itt();
        int cmdSn = bhs.getInt(ScsiCommand.CMD_SN);
        boolean immediate = Bhs.immediate(bhs);
        boolean read = ScsiCommand.read(bhs);
        boolean write = ScsiCommand.write(bhs);
        long edtl = ScsiCommand.edtl(bhs);
        int immediateLength = pdu.dataLength();
        Task existing = tasks.get(itt);
        if (existing != null && existing.state() != Task.State.ABORTED && existing.state() != Task.State.DONE) {
            s.admit(cmdSn, immediate, () -> { }); // a rejected command still uses its CmdSN: no hole is left
            reject(RejectReason.TASK_IN_PROGRESS, pdu);
            return;
        }
        if (immediateLength > 0 && (!write || !params.immediateData() || immediateLength > edtl
                || immediateLength > params.firstBurstLength())) {
            protocolError(pdu, "immediate data of " + immediateLength + " bytes not allowed (EDTL " + edtl + ")");
            return;
        }
        if (immediate && !s.tryImmediate(IMMEDIATE_COMMANDS)) {
            log.debug("{}: more than {} immediate commands outstanding, rejected", this, IMMEDIATE_COMMANDS);
            reject(RejectReason.IMMEDIATE_COMMAND_REJECT, pdu);
            return;
        }
        if (!immediate && (!s.inWindow(cmdSn) || s.waitingFor(cmdSn))) {
            // before anything is allocated for it: an initiator cannot make us hold more than the window, and a
            // duplicate of a waiting CmdSN neither replaces that command nor takes a task slot (§4.2.2.1)
            log.debug("{}: CmdSN {} outside window [{}, {}] or a duplicate, ignored (RFC 7143 §4.2.2.1)", this,
                    Integer.toUnsignedString(cmdSn), Integer.toUnsignedString(s.expCmdSn()),
                    Integer.toUnsignedString(s.maxCmdSn()));
            return;
        }
        byte[] cdb = new byte[ScsiCommand.CDB_LENGTH];
        bhs.get(ScsiCommand.CDB, cdb);
        long lunField = bhs.getLong(Bhs.LUN);
        Task task = new Task(itt, cmdSn, lunField, decodeLun(lunField), cdb, read, write,
                (int) Math.min(edtl, Integer.MAX_VALUE));
        task.immediate = immediate;
        if (write && edtl > MAX_EDTL) {
            // more than B0h's MAXIMUM TRANSFER LENGTH: no buffer; the EDTL is a field of the command IU (as LIO)
            task.refusal = ScsiResult.check(io.stowage.scsi.ScsiError.of(
                    io.stowage.scsi.SenseReason.INVALID_FIELD_IN_INFORMATION_UNIT));
        } else if (write && edtl > 0) {
            if (!collector.reserve(task)) {
                log.debug("{}: Data-Out budget spent, task 0x{} gets TASK SET FULL", this, Integer.toHexString(itt));
                task.refusal = ScsiResult.status(ScsiStatus.TASK_SET_FULL);
            }
        }
        if (immediateLength > 0) {
            if (task.dataOut != null && !dataLost) {
                task.dataOut.put(0, pdu.data(), pdu.data().position(), immediateLength);
            }
            task.received = immediateLength; // a refused task's data is counted and discarded
        }
        if ((bhs.get(1) & 0x07) == 4) { // ACA task attribute: no ACA can exist without NACA (LIO: invalid CDB field)
            refuse(task, io.stowage.scsi.SenseReason.INVALID_FIELD_IN_CDB, "ACA task attribute");
        }
        if (pdu.ahs().hasRemaining() || (read && write)) {
            // an extended CDB (more than 16 bytes) or a bidirectional command: not supported, so refused rather
            // than run on the first 16 bytes of the CDB or without its read length
            refuse(task, io.stowage.scsi.SenseReason.INVALID_FIELD_IN_CDB,
                    pdu.ahs().hasRemaining() ? "AHS" : "bidirectional command");
        }
        if (dataLost) {
            refuse(task, io.stowage.scsi.SenseReason.PROTOCOL_SERVICE_CRC_ERROR, "data digest error");
        }
        // §11.3.1: F=1 means no unsolicited Data-Out follows; with InitialR2T=Yes none may follow anyway
        task.unsolicitedDone = Bhs.finalFlag(bhs) || params.initialR2T()
                || task.received >= Math.min(task.edtl, params.firstBurstLength());
        if (!task.unsolicitedDone) {
            collector.arm(task);
        }
        tasks.put(task);
        s.admit(cmdSn, immediate, () -> deliver(task));
    }

    /** The task's turn in CmdSN order has come. */
    private void deliver(Task task) {
        if (task.state() == Task.State.ABORTED) {
            task.finished.complete(null);
            return;
        }
        task.delivered = true;
        session.commandDelivered();
        if (task.refusal != null) {
            if (task.unsolicitedDone) {
                refuse(task);
            } // else: answered once its unsolicited data is in (RFC 7143 §11.17.1), see onDataOut
            return;
        }
        if (!task.needsMoreData() || task.unsolicitedDone) {
            proceed(task);
        } // else: the unsolicited burst is still arriving; onDataOut continues
    }

    /** The data sent so far is in: ask for more, execute, or answer a task that was refused. */
    void proceed(Task task) {
        if (task.refusal != null) {
            refuse(task);
        } else if (task.needsMoreData()) {
            collector.solicit(task, params);
        } else {
            execute(task);
        }
    }

    /** The task is to end in CHECK CONDITION with {@code reason} once its data is in, instead of executing. */
    void refuse(Task task, io.stowage.scsi.SenseReason reason, String why) {
        log.info("{}: task 0x{}: {}; it ends in {}", this, Integer.toHexString(task.itt), why, reason);
        task.refusal = ScsiResult.check(io.stowage.scsi.ScsiError.of(reason));
    }

    /**
     * Answers a task that was refused (EDTL too large, Data-Out budget spent, a digest or sequence error, a CDB
     * we do not take); no R2T is sent. Not if it was aborted meanwhile: the abort ended it.
     */
    private void refuse(Task task) {
        if (task.startExecuting()) {
            complete(task, task.refusal);
        }
    }

    private void execute(Task task) {
        if (!task.startExecuting()) {
            return;
        }
        ByteBuffer data = null;
        if (task.dataOut != null) {
            data = task.dataOut.duplicate();
            data.position(0).limit(task.received);
        }
        ScsiRequest request = new ScsiRequest(task.cdb, task.lun, data, session.nexus());
        session.target().scsi().submit(request).whenComplete((result, failure) -> complete(task, result));
    }

    /** The SCSI layer answered (any thread). */
    void complete(Task task, ScsiResult result) {
        collector.release(task);
        if (!task.finish()) { // aborted while executing: no answer (§4.2.3.3 at ERL 0)
            result.release();
            freeSlot(task);
            tasks.forget(task);
            task.finished.complete(null);
            return;
        }
        freeSlot(task); // before the status goes out, so its MaxCmdSN already reopens the slot
        try {
            dataIn.respond(task, result, params);
        } finally {
            tasks.remove(task);
            task.finished.complete(null);
        }
    }

    /** The task no longer occupies a CmdSN window slot. Called once per task. */
    private void freeSlot(Task task) {
        if (task.delivered) {
            session.commandAnswered();
            if (task.immediate) {
                session.immediateAnswered();
            }
        }
    }

    // ---------------------------------------------------------------- other full-feature PDUs

    private void onNopOut(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int ttt = bhs.getInt(InitiatorPdus.NopOut.TTT);
        if (itt == RESERVED) {
            keepalive.onNopOut(ttt); // perhaps the answer to our keepalive ping
            return; // §11.18: no response to a NOP-Out with ITT FFFFFFFFh
        }
        long lun = bhs.getLong(Bhs.LUN);
        int n = Math.min(pdu.dataLength(), params.initiatorMaxRecvDataSegmentLength());
        ByteBuffer echo = ByteBuffer.allocate(n);
        echo.put(0, pdu.data(), pdu.data().position(), n);
        admit(pdu, bhs.getInt(InitiatorPdus.NopOut.CMD_SN),
                () -> send(TargetPdus.nopIn(itt, RESERVED, lun, echo), true, null));
    }

    private void onTaskManagement(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int function = InitiatorPdus.TaskManagement.function(bhs);
        long lunField = bhs.getLong(Bhs.LUN);
        int rtt = bhs.getInt(InitiatorPdus.TaskManagement.REFERENCED_TASK_TAG);
        int refCmdSn = bhs.getInt(InitiatorPdus.TaskManagement.REF_CMD_SN);
        int cmdSn = bhs.getInt(InitiatorPdus.TaskManagement.CMD_SN);
        admit(pdu, cmdSn, () -> {
            TaskManagement tmf = new TaskManagement(this, registry);
            tmf.perform(function, decodeLun(lunField), rtt, refCmdSn, cmdSn).thenAccept(response -> {
                send(TargetPdus.taskManagementResponse(itt, response), true, null);
                if (function == TaskManagement.TARGET_COLD_RESET && session.target() != null) {
                    tmf.dropAllConnections();
                }
            });
        });
    }

    private void onText(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int ttt = bhs.getInt(InitiatorPdus.Text.TTT);
        byte[] request = KeyValues.bytes(pdu.data());
        admit(pdu, bhs.getInt(InitiatorPdus.Text.CMD_SN),
                () -> textExchange.answer(session, params.initiatorMaxRecvDataSegmentLength(), itt, ttt, request));
    }

    /** The initiator declared a new MaxRecvDataSegmentLength in full feature phase (§13.12): later PDUs obey it. */
    void initiatorDeclared(int maxRecvDataSegmentLength) {
        params = params.withInitiatorMaxRecvDataSegmentLength(maxRecvDataSegmentLength);
    }

    private void onLogout(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int reason = InitiatorPdus.Logout.reason(bhs);
        int logoutCid = bhs.getShort(InitiatorPdus.Logout.CID) & 0xFFFF;
        admit(pdu, bhs.getInt(InitiatorPdus.Logout.CMD_SN), () -> {
            if (reason == 1 && logoutCid != cid) { // §11.15: closing a connection the session does not have
                send(TargetPdus.logoutResponse(itt, 1, 0, 0), true, null);
                return;
            }
            if (reason == 2) { // remove the connection for recovery: needs ErrorRecoveryLevel 2
                send(TargetPdus.logoutResponse(itt, 2, 0, 0), true, null);
                return;
            }
            abortAll(false);
            log.info("{}: logout (reason {})", this, reason);
            send(TargetPdus.logoutResponse(itt, 0, 0, 0), true, () -> terminate(null));
        });
    }

    /**
     * CmdSN -> ITT of non-immediate NOP-Outs and Text Requests rejected for a data digest error (their CmdSN was
     * consumed), so that the initiator's resend of the same PDU is performed; a few recent ones only.
     */
    private final Map<Integer, Integer> digestRejected = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Integer> eldest) {
            return size() > 16;
        }
    };

    private void admit(Pdu pdu, int cmdSn, Runnable action) {
        // cheap tests first: the map is almost always empty, and a lookup would box the CmdSN
        if (!digestRejected.isEmpty() && !Bhs.immediate(pdu.bhs())
                && (pdu.opcode() == IscsiOpcode.NOP_OUT || pdu.opcode() == IscsiOpcode.TEXT_REQUEST)) {
            Integer rejectedItt = digestRejected.get(cmdSn);
            if (rejectedItt != null && rejectedItt == pdu.itt()) {
                digestRejected.remove(cmdSn);
                action.run(); // the resend of a rejected PDU: its CmdSN is already counted
                return;
            }
        }
        Session.Admission a = session.admit(cmdSn, Bhs.immediate(pdu.bhs()), action);
        if (a == Session.Admission.IGNORED) {
            log.debug("{}: {} with CmdSN {} outside the window, ignored", this, pdu.opcode(),
                    Integer.toUnsignedString(cmdSn));
        }
    }

    // ---------------------------------------------------------------- task management support

    /** Tasks of this connection (for TMFs). */
    List<Task> tasks() {
        return tasks.snapshot();
    }

    Task task(int itt) {
        return tasks.get(itt);
    }

    Session session() {
        return session;
    }

    /**
     * Aborts {@code task}. A task still collecting data ends now; an executing one ends when the SCSI layer
     * answers (its answer is then dropped, or replaced by TASK ABORTED for another nexus when TAS = 1). Safe from
     * any thread: the Data-Out buffer is released under the task's lock, which the receive thread holds while it
     * copies Data-Out into that buffer.
     */
    Task.State abort(Task task, boolean reportTaskAborted) {
        Task.State was = task.abort();
        if (was == Task.State.COLLECTING) {
            collector.release(task);
            freeSlot(task);
            tasks.forget(task);
            task.finished.complete(null);
        }
        if (reportTaskAborted && (was == Task.State.COLLECTING || was == Task.State.EXECUTING)) {
            send(TargetPdus.scsiResponse(task.itt, ScsiStatus.TASK_ABORTED, 0, 0, 0, null), true, null);
        }
        return was;
    }

    private void abortAll(boolean reportTaskAborted) {
        for (Task t : tasks()) {
            abort(t, reportTaskAborted);
        }
    }

    // ---------------------------------------------------------------- send side

    /** Queues a PDU with StatSN, ExpCmdSN and MaxCmdSN stamped ({@link StatusSequencer}). Any thread. */
    int send(Pdu pdu, boolean advancesStatSn, Runnable onSent) {
        return sequencer.send(session, pdu, advancesStatSn, onSent);
    }

    void reject(RejectReason reason, Pdu pdu) {
        send(TargetPdus.reject(reason, pdu.headerCopy(), 0), true, null);
    }

    void protocolError(Pdu pdu, String why) {
        log.warn("{}: protocol error: {}; closing connection", this, why);
        if (state == State.FULL_FEATURE) {
            reject(RejectReason.PROTOCOL_ERROR, pdu);
        }
        terminate(null);
    }

    /**
     * LUN from the 8-byte LUN field (SAM-5 4.6): peripheral device addressing (00b) or flat space (01b);
     * other methods name no LUN of ours (-1).
     */
    static long decodeLun(long field) {
        int method = (int) (field >>> 62) & 0x03;
        int firstTwo = (int) (field >>> 48) & 0xFFFF;
        if ((field & 0x0000FFFFFFFFFFFFL) != 0) {
            return -1; // second-level addressing: not ours
        }
        return switch (method) {
            case 0 -> (firstTwo >>> 8) == 0 ? firstTwo & 0xFF : -1;
            case 1 -> firstTwo & 0x3FFF;
            default -> -1;
        };
    }

    @Override
    public String toString() {
        return "conn " + wire.remoteAddress();
    }
}
