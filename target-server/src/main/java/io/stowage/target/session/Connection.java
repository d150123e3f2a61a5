package io.stowage.target.session;

import io.stowage.scsi.BufferPool;
import io.stowage.scsi.ScsiRequest;
import io.stowage.scsi.ScsiResult;
import io.stowage.scsi.ScsiStatus;
import io.stowage.target.login.KeyValues;
import io.stowage.target.login.LoginPhase;
import io.stowage.target.login.SessionParameters;
import io.stowage.target.login.TextKey;
import io.stowage.target.pdu.Bhs;
import io.stowage.target.pdu.InitiatorPdus;
import io.stowage.target.pdu.InitiatorPdus.DataOut;
import io.stowage.target.pdu.InitiatorPdus.ScsiCommand;
import io.stowage.target.pdu.IscsiOpcode;
import io.stowage.target.pdu.Pdu;
import io.stowage.target.pdu.PduFormatException;
import io.stowage.target.pdu.RejectReason;
import io.stowage.target.pdu.TargetPdus;
import io.stowage.target.transport.ConnectionHandler;
import io.stowage.target.transport.PduConnection;
import java.net.InetAddress;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection: login, then the full feature phase (RFC 7143 §11). Dispatches each PDU by opcode,
 * assembles Data-Out (immediate, unsolicited, R2T-solicited) into the task's buffer, hands complete commands to
 * the SCSI target, and turns answers into Data-In (split by the initiator's MaxRecvDataSegmentLength, status
 * collapsed into the last one) or a SCSI Response with exact residuals. ErrorRecoveryLevel 0: any protocol error
 * ends the connection and with it the session.
 *
 * <p>Threads: {@code on*} callbacks run on the receive thread; {@link #complete} runs on whichever thread the SCSI
 * layer answers on. {@link #send} is the only place StatSN is assigned, under {@code sendLock}.
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
    private final BufferPool buffers;
    private final LoginPhase login;
    private final NodeResources node;
    private final DataOutDeadlines dataOutDeadlines;
    private final java.util.function.Consumer<Task> onDataOutTimeout = this::dataOutTimedOut; // once, not per PDU
    /** Bytes of the node's Data-Out budget this connection's tasks hold (released on any thread). */
    private final java.util.concurrent.atomic.AtomicLong dataOutHeld = new java.util.concurrent.atomic.AtomicLong();
    /** Ends a login that has not reached full feature phase in time; cancelled when it does. */
    private final java.util.concurrent.ScheduledFuture<?> loginDeadline;
    private final Object sendLock = new Object();
    private final Map<Integer, Task> tasks = new ConcurrentHashMap<>();
    private final Map<Integer, Task> byTtt = new ConcurrentHashMap<>(); // receive thread
    private volatile State state = State.LOGIN;
    private volatile Session session;
    /** The session this one reinstates has ended (completed at once when there was none). */
    private CompletionStage<Void> predecessorEnded = CompletableFuture.completedFuture(null);
    /** Completed once the connection is closed and its last task has stopped touching the volume. */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private SessionParameters params;
    private int statSn;          // guarded by sendLock
    private int lastMaxCmdSn;    // guarded by sendLock; MaxCmdSN we send never goes down
    private int loginCmdSn;
    private int cid;             // this connection's CID, from its login
    private int nextTtt = 1;
    private int pingTag;         // TTT of our outstanding NOP-In ping, 0 if none
    /** ITT → StatSN of the status PDU of recently answered tasks (ABORT TASK needs to know if they crossed). */
    private final Map<Integer, Integer> recentStatus = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(256, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, Integer> eldest) {
                    return size() > 1024;
                }
            });
    /** ITTs of recently aborted tasks, which have left the task table: their late Data-Out is dropped silently. */
    private final java.util.Set<Integer> recentlyAborted = java.util.Collections.newSetFromMap(
            java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                    return size() > 1024;
                }
            }));
    private byte[] textPending;  // a Text Response that did not fit in one PDU
    private int textOffset;
    private int textTtt;

    public Connection(PduConnection wire, TargetDirectory directory, SessionRegistry registry, BufferPool buffers,
                      int portalGroupTag, Map<TextKey, String> ourValues, NodeResources node) {
        this.wire = wire;
        this.node = node;
        this.dataOutDeadlines = new DataOutDeadlines(node.limits().dataOutTimeoutMillis());
        this.directory = directory;
        this.registry = registry;
        this.buffers = buffers;
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
        dataOutDeadlines.check(tasks.values(), onDataOutTimeout);
        if (op == null) {
            log.info("{}: unknown opcode 0x{}, rejected", this, Integer.toHexString(Bhs.opcodeCode(pdu.bhs())));
            reject(RejectReason.COMMAND_NOT_SUPPORTED, pdu);
            return;
        }
        switch (op) {
            case SCSI_COMMAND -> onScsiCommand(pdu, false);
            case SCSI_DATA_OUT -> onDataOut(pdu);
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
            admit(pdu, pdu.bhs().getInt(24), () -> { });
            if (!Bhs.immediate(pdu.bhs())) digestRejected.put(pdu.bhs().getInt(24), pdu.itt());
        } else if (pdu.opcode() == IscsiOpcode.SCSI_DATA_OUT) {
            Task task = tasks.get(pdu.itt());
            if (task != null && task.state() == Task.State.COLLECTING) {
                refuse(task, io.stowage.scsi.SenseReason.PROTOCOL_SERVICE_CRC_ERROR, "data digest error on a Data-Out");
                task.discarding = true; // the rest of this sequence is dropped
                if (Bhs.finalFlag(pdu.bhs())) {
                    endSequence(task, pdu.bhs().getInt(DataOut.TTT) == RESERVED);
                }
            }
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
        dataOutDeadlines.check(tasks.values(), onDataOutTimeout);
        if (pingTag != 0) {
            log.warn("{}: no answer to NOP-In ping; closing connection", this);
            terminateNow("keepalive timeout"); // its queued Data-In may never drain
            return;
        }
        // RFC 7143 §11.19: a target ping asks for a NOP-Out echoing our TTT; StatSN does not advance
        pingTag = nextTag();
        send(TargetPdus.nopIn(RESERVED, pingTag, 0, null), false, null);
    }

    /**
     * Connection loss ends the session (ERL 0): its tasks are aborted, and the session stays registered until
     * the last of them has stopped touching the volume, so that a new login for it waits for them.
     */
    @Override
    public void onClosed() {
        synchronized (sendLock) {
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
        synchronized (sendLock) { // nothing else is sent before it: StatSN starts after it
            if (state != State.LOGIN_HELD) {
                return; // the new connection went away while it waited
            }
            if (target != null) {
                target.scsi().nexusConnected(session.nexus());
            }
            loginDeadline.cancel(false);
            state = State.FULL_FEATURE; // before the response leaves: the initiator may answer it at once
            TargetPdus.stampSequence(response, expStatSn, loginCmdSn, loginCmdSn + Session.WINDOW - 1);
            wire.sendFinalLoginResponse(response, params.headerDigest(), params.dataDigest(),
                    params.targetMaxRecvDataSegmentLength());
            statSn = expStatSn + 1;
            lastMaxCmdSn = loginCmdSn + Session.WINDOW - 1; // what the response announced: the floor from now on
        }
        log.info("{}: {} session {} for {} (ISID 0x{}) is in full feature phase; MaxRecvDataSegmentLength"
                        + " {}/{}, bursts {}/{}, ImmediateData {}, InitialR2T {}, digests {}/{}",
                this, session.discovery() ? "discovery" : "normal", session.tsih(), login.initiatorName(),
                Long.toHexString(login.isid()), params.initiatorMaxRecvDataSegmentLength(),
                params.targetMaxRecvDataSegmentLength(), params.firstBurstLength(), params.maxBurstLength(),
                params.immediateData(), params.initialR2T(), params.headerDigest(), params.dataDigest());
    }

    private void sendLogin(Pdu response, int expStatSn) {
        synchronized (sendLock) {
            TargetPdus.stampSequence(response, expStatSn, loginCmdSn, loginCmdSn + Session.WINDOW - 1);
            wire.send(response, null);
        }
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
        if (!immediate && !s.inWindow(cmdSn)) {
            // before anything is allocated for it: an initiator cannot make us hold more than the window
            log.debug("{}: CmdSN {} outside window [{}, {}], ignored (RFC 7143 §4.2.2.1)", this,
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
            if (node.dataOut().tryReserve(task.edtl, dataOutHeld)) {
                task.reserved = task.edtl;
                task.dataOut = buffers.acquire(task.edtl);
            } else {
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
            dataOutDeadlines.arm(task);
        }
        tasks.put(itt, task);
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
    private void proceed(Task task) {
        if (task.refusal != null) {
            refuse(task);
        } else if (task.needsMoreData()) {
            solicit(task);
        } else {
            execute(task);
        }
    }

    /** The task is to end in CHECK CONDITION with {@code reason} once its data is in, instead of executing. */
    private void refuse(Task task, io.stowage.scsi.SenseReason reason, String why) {
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

    private void onDataOut(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int ttt = bhs.getInt(DataOut.TTT);
        Task task = tasks.get(itt);
        if (task == null && recentlyAborted.contains(itt)) {
            return; // §4.2.3.3: data of an aborted task is discarded
        }
        if (task == null) {
            log.info("{}: Data-Out for unknown task 0x{}, rejected", this, Integer.toHexString(itt));
            reject(RejectReason.INVALID_PDU_FIELD, pdu);
            return;
        }
        Task.State taskState;
        boolean buffered;
        synchronized (task) {
            taskState = task.state();
            buffered = task.dataOut != null;
        }
        if (taskState == Task.State.ABORTED) {
            return; // §4.2.3.3: data of an aborted task is discarded
        }
        if (taskState != Task.State.COLLECTING || (!buffered && task.refusal == null)) {
            log.info("{}: Data-Out for task 0x{} that expects none, rejected", this, Integer.toHexString(itt));
            reject(RejectReason.INVALID_PDU_FIELD, pdu);
            return;
        }
        boolean unsolicited = ttt == RESERVED;
        if (unsolicited ? task.unsolicitedDone : ttt != task.ttt) {
            protocolError(pdu, unsolicited ? "unsolicited Data-Out not allowed" : "Data-Out with stale TTT");
            return;
        }
        boolean last = Bhs.finalFlag(bhs);
        if (task.discarding) { // after a sequence error: the rest of the sequence is dropped, up to its F bit
            if (last) {
                endSequence(task, unsolicited);
            } else {
                dataOutDeadlines.arm(task);
            }
            return;
        }
        int dataSn = bhs.getInt(DataOut.DATA_SN);
        int offset = bhs.getInt(DataOut.BUFFER_OFFSET);
        int length = pdu.dataLength();
        int limit = unsolicited ? Math.min(task.edtl, params.firstBurstLength()) : task.r2tEnd;
        if (dataSn != task.expectedDataSn) {
            failDataPhase(task, unsolicited, last, "DataSN " + Integer.toUnsignedString(dataSn) + " where "
                    + task.expectedDataSn + " was due");
            return;
        }
        if (offset != task.received || length > limit - offset) {
            failDataPhase(task, unsolicited, last, "Data-Out offset " + offset + "+" + length
                    + " outside expected " + task.received + ".." + limit);
            return;
        }
        synchronized (task) {
            // a LU RESET, TARGET RESET or PREEMPT AND ABORT on another thread may abort the task and return its
            // buffer to the pool at any moment: the copy and that release exclude each other
            if (task.state() != Task.State.COLLECTING) {
                return; // aborted meanwhile: the data is discarded (§4.2.3.3)
            }
            if (task.dataOut != null) { // none for a refused task: its data is counted and dropped
                task.dataOut.put(offset, pdu.data(), pdu.data().position(), length);
            }
        }
        task.received += length;
        task.expectedDataSn++;
        if (last || task.received == limit) {
            endSequence(task, unsolicited);
        } else {
            dataOutDeadlines.arm(task); // data is coming: the clock restarts
        }
    }

    /** The current Data-Out sequence (unsolicited burst or R2T) is complete. */
    private void endSequence(Task task, boolean unsolicited) {
        task.dataOutDeadline = 0; // until the next R2T
        task.expectedDataSn = 0;
        task.discarding = false;
        if (unsolicited) {
            task.unsolicitedDone = true;
        } else {
            byTtt.remove(task.ttt);
            task.ttt = -1;
        }
        if (!task.delivered) {
            return; // waits for its CmdSN turn; deliver() takes it from here
        }
        proceed(task);
    }

    /**
     * A Data-Out sequence error (RFC 7143 §7.8, sequence errors at ErrorRecoveryLevel 0): the command ends in
     * CHECK CONDITION, ABORTED COMMAND / DATA PHASE ERROR once the initiator has sent the sequence's final
     * Data-Out (the rest of it is discarded; no R2T follows), and the connection and its other commands carry on.
     */
    private void failDataPhase(Task task, boolean unsolicited, boolean last, String why) {
        log.warn("{}: task 0x{}: {}; command terminated", this, Integer.toHexString(task.itt), why);
        task.refusal = ScsiResult.check(io.stowage.scsi.ScsiError.of(io.stowage.scsi.SenseReason.DATA_PHASE_ERROR));
        task.discarding = true;
        if (last) {
            endSequence(task, unsolicited);
        }
    }

    /** The Data-Out timeout: the task ends with 0B/4B/06 (INITIATOR RESPONSE TIMEOUT); its buffer is freed. */
    private void dataOutTimedOut(Task task) {
        log.warn("{}: task 0x{}: no Data-Out for {} s; command terminated", this, Integer.toHexString(task.itt),
                node.limits().dataOutTimeoutMillis() / 1000);
        abort(task, false);
        byte[] sense = io.stowage.scsi.SenseData.fixed(io.stowage.scsi.SenseReason.INITIATOR_RESPONSE_TIMEOUT, false,
                0, -1);
        send(TargetPdus.scsiResponse(task.itt, ScsiStatus.CHECK_CONDITION, 0, 0, task.r2tSn, sense), true, null);
    }

    /** Sends the next R2T (MaxOutstandingR2T = 1), bounded by MaxBurstLength (§11.8). */
    private void solicit(Task task) {
        int offset = task.received;
        int length = Math.min(params.maxBurstLength(), task.edtl - offset);
        task.ttt = nextTag();
        task.r2tEnd = offset + length;
        byTtt.put(task.ttt, task);
        dataOutDeadlines.arm(task);
        Pdu r2t = TargetPdus.r2t(task.itt, task.lunField, task.ttt, task.r2tSn++, offset, length);
        send(r2t, false, null);
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
        releaseDataOut(task);
        if (!task.finish()) { // aborted while executing: no answer (§4.2.3.3 at ERL 0)
            result.release();
            freeSlot(task);
            forget(task);
            task.finished.complete(null);
            return;
        }
        freeSlot(task); // before the status goes out, so its MaxCmdSN already reopens the slot
        try {
            respond(task, result);
        } finally {
            tasks.remove(task.itt, task);
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

    private void respond(Task task, ScsiResult result) {
        int status = result.status();
        int wanted = result.transferLength();
        int residualFlags = 0;
        int residual = 0;
        if (status == ScsiStatus.GOOD) {
            long expected = task.read || task.write ? task.edtl : 0;
            if (wanted > expected) {
                residualFlags = 0x04; // O: overflow (§11.4.5)
                residual = (int) (wanted - expected);
            } else if (wanted < expected) {
                residualFlags = 0x02; // U: underflow
                residual = (int) (expected - wanted);
            }
        }
        ByteBuffer data = result.dataIn();
        int toSend = task.read && data != null ? Math.min(data.remaining(), task.edtl) : 0;
        if (toSend == 0) {
            result.release();
            int sn = send(TargetPdus.scsiResponse(task.itt, status, residualFlags, residual, task.r2tSn,
                    result.sense()), true, null);
            recentStatus.put(task.itt, sn);
            return;
        }
        boolean collapse = status == ScsiStatus.GOOD; // §11.7.1: status rides on the last Data-In only without sense
        int mrdsl = params.initiatorMaxRecvDataSegmentLength();
        int burst = params.maxBurstLength();
        int base = data.position();
        int offset = 0;
        while (offset < toSend) {
            int n = Math.min(mrdsl, toSend - offset);
            // a Data-In sequence may not exceed MaxBurstLength: end it (F) at each burst boundary
            int burstEnd = (offset / burst + 1) * burst;
            n = Math.min(n, burstEnd - offset);
            boolean last = offset + n == toSend;
            ByteBuffer slice = data.slice(base + offset, n);
            boolean withStatus = last && collapse;
            Pdu p = TargetPdus.dataIn(task.itt, task.lunField, slice, task.dataInPdus++, offset,
                    last || offset + n == burstEnd, withStatus, status, residualFlags, residual);
            int sn = send(p, withStatus, last ? result::release : null);
            if (withStatus) {
                recentStatus.put(task.itt, sn);
            }
            offset += n;
        }
        if (!collapse) {
            recentStatus.put(task.itt, send(TargetPdus.scsiResponse(task.itt, status, residualFlags, residual,
                    task.dataInPdus, result.sense()), true, null));
        }
    }

    private void releaseDataOut(Task task) {
        ByteBuffer b;
        long reserved;
        synchronized (task) {
            b = task.dataOut;
            task.dataOut = null;
            reserved = task.reserved;
            task.reserved = 0;
        }
        if (b != null) {
            buffers.release(b);
        }
        if (reserved > 0) {
            node.dataOut().release(reserved, dataOutHeld);
        }
    }

    // ---------------------------------------------------------------- other full-feature PDUs

    private void onNopOut(Pdu pdu) {
        ByteBuffer bhs = pdu.bhs();
        int itt = pdu.itt();
        int ttt = bhs.getInt(InitiatorPdus.NopOut.TTT);
        if (itt == RESERVED) {
            if (ttt != RESERVED && ttt == pingTag) {
                pingTag = 0; // the answer to our keepalive ping
            }
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
        int expStatSn = bhs.getInt(28);
        int cmdSn = bhs.getInt(InitiatorPdus.TaskManagement.CMD_SN);
        admit(pdu, cmdSn, () -> {
            TaskManagement tmf = new TaskManagement(this, registry);
            tmf.perform(function, decodeLun(lunField), rtt, refCmdSn, cmdSn, expStatSn).thenAccept(response -> {
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
        byte[] text = KeyValues.bytes(pdu.data());
        admit(pdu, bhs.getInt(InitiatorPdus.Text.CMD_SN), () -> {
            if (ttt != RESERVED && textPending != null && ttt == textTtt) {
                sendTextChunk(itt);
                return;
            }
            Map<String, String> offered = KeyValues.parse(text);
            Map<String, String> answers = new LinkedHashMap<>();
            StringBuilder targets = new StringBuilder();
            offered.forEach((key, value) -> {
                if (key.equals("SendTargets")) {
                    targets.append(sendTargets(value));
                } else {
                    answers.put(key, TextKey.byName(key) == null ? "NotUnderstood" : "Reject");
                }
            });
            byte[] response = (targets + new String(KeyValues.format(answers),
                    java.nio.charset.StandardCharsets.UTF_8)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            textPending = response;
            textOffset = 0;
            sendTextChunk(itt);
        });
    }

    /** SendTargets (§13.3, appendix C): every target in a discovery session, ours in a normal one. */
    private String sendTargets(String value) {
        StringBuilder sb = new StringBuilder();
        InetAddress local = wire.localAddress().getAddress();
        String host = local instanceof Inet6Address ? "[" + local.getHostAddress() + "]" : local.getHostAddress();
        int port = wire.localAddress().getPort();
        for (ExportedTarget t : directory.all()) {
            if (!t.allows(session.initiatorName())) continue; // an initiator off the ACL does not see the target
            boolean wanted = session.discovery() ? value.equals("All") || value.equals(t.name())
                    : t == session.target() && (value.isEmpty() || value.equals("All") || value.equals(t.name()));
            if (wanted) {
                sb.append("TargetName=").append(t.name()).append('\0');
                sb.append("TargetAddress=").append(host).append(':').append(port).append(',')
                        .append(t.portalGroupTag()).append('\0');
            }
        }
        return sb.toString();
    }

    /** Sends the next part of a Text Response; more than MaxRecvDataSegmentLength continues (C bit, §11.11). */
    private void sendTextChunk(int itt) {
        int n = Math.min(textPending.length - textOffset, params.initiatorMaxRecvDataSegmentLength());
        boolean more = textOffset + n < textPending.length;
        ByteBuffer chunk = ByteBuffer.wrap(textPending, textOffset, n).slice();
        textOffset += n;
        textTtt = more ? nextTag() : RESERVED;
        send(TargetPdus.textResponse(itt, textTtt, !more, more, chunk), true, null);
        if (!more) {
            textPending = null;
        }
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
        Integer rejectedItt = digestRejected.get(cmdSn);
        if (rejectedItt != null && rejectedItt == pdu.itt() && !Bhs.immediate(pdu.bhs())
                && (pdu.opcode() == IscsiOpcode.NOP_OUT || pdu.opcode() == IscsiOpcode.TEXT_REQUEST)) {
            digestRejected.remove(cmdSn);
            action.run(); // the resend of a rejected PDU: its CmdSN is already counted
            return;
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
        return new ArrayList<>(tasks.values());
    }

    Task task(int itt) {
        return tasks.get(itt);
    }

    /**
     * True if the status of task {@code itt} was sent but the initiator had not seen it when it sent a TMF
     * carrying {@code expStatSn}: the status and the TMF crossed on the wire.
     */
    boolean statusCrossed(int itt, int expStatSn) {
        Integer sn = recentStatus.get(itt);
        return sn != null && SerialNumber.lessOrEqual(expStatSn, sn);
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
            if (task.ttt != -1) {
                byTtt.remove(task.ttt);
            }
            releaseDataOut(task);
            freeSlot(task);
            forget(task);
            task.finished.complete(null);
        }
        if (reportTaskAborted && (was == Task.State.COLLECTING || was == Task.State.EXECUTING)) {
            send(TargetPdus.scsiResponse(task.itt, ScsiStatus.TASK_ABORTED, 0, 0, 0, null), true, null);
        }
        return was;
    }

    /** An aborted task has finished: it leaves the table now, not when a new command reuses its ITT. */
    private void forget(Task task) {
        recentlyAborted.add(task.itt);
        tasks.remove(task.itt, task);
    }

    private void abortAll(boolean reportTaskAborted) {
        for (Task t : tasks()) {
            abort(t, reportTaskAborted);
        }
    }

    // ---------------------------------------------------------------- send side

    /**
     * Queues a PDU, stamping StatSN (advanced only for PDUs that carry status), ExpCmdSN and MaxCmdSN under the
     * send lock so that wire order equals StatSN order.
     */
    int send(Pdu pdu, boolean advancesStatSn, Runnable onSent) {
        Session s = session;
        synchronized (sendLock) {
            int sn = advancesStatSn ? statSn++ : statSn;
            int exp = s.expCmdSn();
            int max = s.maxCmdSn();
            if (SerialNumber.lessThan(max, lastMaxCmdSn)) {
                max = lastMaxCmdSn; // the initiator keeps the largest anyway; never announce a shrink
            }
            lastMaxCmdSn = max;
            s.announced(max);
            TargetPdus.stampSequence(pdu, sn, exp, max);
            wire.send(pdu, onSent);
            return sn;
        }
    }

    private void reject(RejectReason reason, Pdu pdu) {
        send(TargetPdus.reject(reason, pdu.headerCopy(), 0), true, null);
    }

    private void protocolError(Pdu pdu, String why) {
        log.warn("{}: protocol error: {}; closing connection", this, why);
        if (state == State.FULL_FEATURE) {
            reject(RejectReason.PROTOCOL_ERROR, pdu);
        }
        terminate(null);
    }

    private int nextTag() {
        int t = nextTtt++;
        if (nextTtt == RESERVED || nextTtt == 0) {
            nextTtt = 1;
        }
        return t;
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
