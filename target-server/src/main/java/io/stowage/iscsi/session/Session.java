package io.stowage.iscsi.session;

import io.stowage.scsi.Nexus;
import io.stowage.iscsi.login.SessionParameters;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An iSCSI session (RFC 7143 §4.2): one I_T nexus with its negotiated parameters and the command window.
 *
 * <p>CmdSN window (§4.2.2.1): a non-immediate PDU outside [ExpCmdSN, MaxCmdSN as last announced] is silently
 * ignored, even one with CmdSN == ExpCmdSN when the window is full; inside it, CmdSN == ExpCmdSN is delivered at
 * once and ExpCmdSN advances, one further ahead waits until the gap fills. MaxCmdSN = ExpCmdSN - 1 + {@link #WINDOW} - (commands delivered but not yet answered), so the window
 * opens as commands complete and an initiator can never have more than {@code WINDOW} commands at the target.
 *
 * <p>Threads: {@link #admit} runs on the receive thread only; {@link #expCmdSn} and {@link #maxCmdSn} may be read
 * from any thread.
 */
public final class Session {
    public static final int WINDOW = 128;

    private final int tsih;
    private final String initiatorName;
    private final long isid;
    private final ExportedTarget target; // null for a discovery session
    private final SessionParameters parameters;
    private final Nexus nexus;
    private final Map<Integer, Runnable> waiting = new HashMap<>(); // receive thread only
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile int expCmdSn;
    /** The largest MaxCmdSN sent to the initiator: what it may use, and all it may use. */
    private volatile int announcedMaxCmdSn;
    /** Immediate SCSI commands delivered and not yet answered (they skip the window, so they have their own bound). */
    private final AtomicInteger immediateOutstanding = new AtomicInteger();
    private volatile Connection connection;

    enum Admission { NOW, LATER, IGNORED }

    Session(int tsih, String initiatorName, long isid, ExportedTarget target, SessionParameters parameters,
            int initialCmdSn) {
        this.tsih = tsih;
        this.initiatorName = initiatorName;
        this.isid = isid;
        this.target = target;
        this.parameters = parameters;
        this.expCmdSn = initialCmdSn;
        this.announcedMaxCmdSn = initialCmdSn + WINDOW - 1; // what the final Login Response says
        this.nexus = new Nexus(initiatorName + ",i,0x" + String.format("%012x", isid),
                target == null ? "" : target.scsi().port().portName());
    }

    /** Delivers {@code action} in CmdSN order (see class doc). Immediate PDUs bypass ordering (§4.2.2.1). */
    Admission admit(int cmdSn, boolean immediate, Runnable action) {
        if (immediate) {
            action.run();
            return Admission.NOW;
        }
        int exp = expCmdSn;
        if (!inWindow(cmdSn) || waiting.containsKey(cmdSn)) {
            return Admission.IGNORED; // §4.2.2.1: outside the window, or a duplicate of one already waiting
        }
        if (cmdSn == exp) {
            expCmdSn = exp + 1;
            action.run();
            Runnable next;
            while ((next = waiting.remove(expCmdSn)) != null) {
                expCmdSn = expCmdSn + 1;
                next.run();
            }
            return Admission.NOW;
        }
        waiting.put(cmdSn, action);
        return Admission.LATER;
    }

    /** True if a command with this CmdSN was received and waits for the ones before it (a resend is a duplicate). */
    boolean waitingFor(int cmdSn) {
        return waiting.containsKey(cmdSn);
    }

    /** True if a non-immediate {@code cmdSn} is inside [ExpCmdSN, MaxCmdSN as last announced]. */
    boolean inWindow(int cmdSn) {
        return SerialNumber.lessOrEqual(expCmdSn, cmdSn) && SerialNumber.lessOrEqual(cmdSn, announcedMaxCmdSn);
    }

    /** Records the MaxCmdSN just sent (under the connection's send lock, so in wire order). */
    void announced(int maxCmdSn) {
        announcedMaxCmdSn = maxCmdSn;
    }

    /** Takes a slot for an immediate SCSI command; false if {@code limit} of them are outstanding already. */
    boolean tryImmediate(int limit) {
        if (immediateOutstanding.incrementAndGet() > limit) {
            immediateOutstanding.decrementAndGet();
            return false;
        }
        return true;
    }

    void immediateAnswered() {
        immediateOutstanding.decrementAndGet();
    }

    /** A command was delivered and occupies a window slot until {@link #commandAnswered}. */
    void commandDelivered() {
        outstanding.incrementAndGet();
    }

    void commandAnswered() {
        outstanding.decrementAndGet();
    }

    /** Commands delivered and not yet answered (their window slots). */
    int commandsAwaitingAnswer() {
        return outstanding.get();
    }

    public int expCmdSn() {
        return expCmdSn;
    }

    public int maxCmdSn() {
        return expCmdSn - 1 + Math.max(0, WINDOW - outstanding.get());
    }

    /** True if {@code cmdSn} was already delivered (for ABORT TASK of a task that finished, §11.5.1). */
    boolean alreadyReceived(int cmdSn) {
        return SerialNumber.lessThan(cmdSn, expCmdSn) && SerialNumber.lessThan(expCmdSn - WINDOW - 1, cmdSn);
    }

    public int tsih() {
        return tsih;
    }

    public String initiatorName() {
        return initiatorName;
    }

    public long isid() {
        return isid;
    }

    public ExportedTarget target() {
        return target;
    }

    public boolean discovery() {
        return target == null;
    }

    public SessionParameters parameters() {
        return parameters;
    }

    public Nexus nexus() {
        return nexus;
    }

    Connection connection() {
        return connection;
    }

    void attach(Connection c) {
        this.connection = c;
    }
}
