package io.stowage.iscsi.login;

import io.stowage.iscsi.pdu.InitiatorPdus.Login;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The login of one connection (RFC 7143 §6.3): security negotiation (stage 0), operational negotiation
 * (stage 1), transition to full feature phase (stage 3). Each request yields one {@link Step}: the response to
 * send, and whether the login failed or completed.
 *
 * <pre>
 *  first request ── CSG=0 ──► SECURITY ── T, NSG=1 ──► OPERATIONAL ── T, NSG=3 ──► full feature
 *        └──────── CSG=1 ───────────────────────────────────┘   (CSG=0, T, NSG=3 also allowed)
 * </pre>
 *
 * Not thread-safe: driven by the connection's receive thread.
 */
public final class LoginPhase {
    public static final int STAGE_SECURITY = 0;
    public static final int STAGE_OPERATIONAL = 1;
    public static final int STAGE_FULL_FEATURE = 3;

    /** Status class/detail of a Login Response (§11.13.5). */
    public static final int SUCCESS = 0x0000;
    /** 0200h, "Initiator error (miscellaneous)": what LIO answers for login text beyond its buffer, too. */
    public static final int INITIATOR_ERROR = 0x0200;
    public static final int AUTHENTICATION_FAILURE = 0x0201;
    /** The initiator may not access this target (§11.13.5: "Authorization failure"): not on its ACL. */
    public static final int AUTHORIZATION_FAILURE = 0x0202;
    public static final int NOT_FOUND = 0x0203;
    public static final int UNSUPPORTED_VERSION = 0x0205;
    public static final int MISSING_PARAMETER = 0x0207;
    public static final int SESSION_TYPE_NOT_SUPPORTED = 0x0209;
    public static final int SESSION_DOES_NOT_EXIST = 0x020A;
    public static final int INVALID_DURING_LOGIN = 0x020B;
    /** 0302h, "Out of resources": the target has no session (or connection) left for this login. */
    public static final int OUT_OF_RESOURCES = 0x0302;

    /**
     * Most login text one connection may send, summed over every request of the login (continuations included).
     * A login, CHAP included, needs about 1 KiB; without a cap a client that never clears the C bit grows the heap
     * until the JVM dies (LIO, too, reads login text into a fixed buffer).
     */
    public static final int MAX_LOGIN_TEXT = 64 * 1024;

    /**
     * @param transit  T bit of the response
     * @param csg      current stage of the response
     * @param nsg      next stage (meaningful with transit)
     * @param status   status class (high byte) and detail (low byte)
     * @param text     the response's key=value data
     * @param complete login finished: switch to full feature phase after sending
     */
    public record Step(boolean transit, int csg, int nsg, int status, byte[] text, boolean complete) {
        public boolean failed() {
            return status != SUCCESS;
        }
    }

    private final Predicate<String> targetExists;
    private final int portalGroupTag;
    private final Negotiator negotiator;
    /** CHAP secrets a login must prove: of the target named, or (argument null) of discovery sessions; null = none. */
    private final java.util.function.Function<String, ChapCredentials> chapFor;
    /** (target, initiator) -> may this initiator log in to this target (its ACL). */
    private final java.util.function.BiPredicate<String, String> allowed;
    /** Chosen once the first request names the target: CHAP if the target has secrets, else None. */
    private Authenticator authenticator = Authenticator.NONE;
    private final ByteArrayOutputStream pendingText = new ByteArrayOutputStream();
    private boolean first = true;
    private long textReceived;   // every request's text so far, against MAX_LOGIN_TEXT
    private int stage = -1;
    private boolean authenticated;
    private boolean declaredTpgt;
    private boolean declaredMrdsl;
    private String initiatorName;
    private String targetName;
    private boolean discovery;
    private long isid;
    private int tsih;

    public LoginPhase(Predicate<String> targetExists, int portalGroupTag, Map<TextKey, String> ourValues) {
        this(targetExists, portalGroupTag, ourValues, name -> null);
    }

    public LoginPhase(Predicate<String> targetExists, int portalGroupTag, Map<TextKey, String> ourValues,
                      java.util.function.Function<String, ChapCredentials> chapFor) {
        this(targetExists, portalGroupTag, ourValues, chapFor, (target, initiator) -> true);
    }

    public LoginPhase(Predicate<String> targetExists, int portalGroupTag, Map<TextKey, String> ourValues,
                      java.util.function.Function<String, ChapCredentials> chapFor,
                      java.util.function.BiPredicate<String, String> allowed) {
        this.chapFor = chapFor;
        this.allowed = allowed;
        this.targetExists = targetExists;
        this.portalGroupTag = portalGroupTag;
        this.negotiator = new Negotiator(ourValues);
    }

    public Step onRequest(ByteBuffer bhs, ByteBuffer data) {
        int csg = Login.currentStage(bhs);
        if (first) {
            if ((bhs.get(Login.VERSION_MIN) & 0xFF) > 0) {
                return fail(csg, UNSUPPORTED_VERSION);
            }
            isid = Login.isid(bhs);
            tsih = bhs.getShort(Login.TSIH) & 0xFFFF;
        }
        textReceived += data.remaining();
        if (textReceived > MAX_LOGIN_TEXT) {
            pendingText.reset();
            return fail(csg, INITIATOR_ERROR);
        }
        byte[] bytes = KeyValues.bytes(data);
        pendingText.writeBytes(bytes);
        if (Login.continues(bhs)) {
            // §6.2: a partial text is acknowledged by an empty response; answer when the C bit clears
            return new Step(false, csg, 0, SUCCESS, new byte[0], false);
        }
        byte[] all = pendingText.toByteArray();
        LinkedHashMap<String, String> offered = KeyValues.parse(all);
        pendingText.reset();
        String repeated = KeyValues.repeatedKey(all);
        if (repeated == null) {
            repeated = negotiator.alreadyNegotiated(offered.keySet());
        }
        if (repeated != null) {
            return fail(csg, INITIATOR_ERROR); // §6.2: a key negotiated twice is a Login reject, initiator error
        }
        if (offered.containsValue(null)) {
            return fail(csg, INITIATOR_ERROR); // §6.1: every key comes as key=value; a bare key is a format error
        }
        if (csg == 2 || csg == STAGE_FULL_FEATURE || (stage >= 0 && csg != stage)) {
            return fail(csg, INVALID_DURING_LOGIN);
        }
        stage = csg;
        if (first) {
            first = false;
            Step failure = checkNames(csg, offered);
            if (failure != null) {
                return failure;
            }
            ChapCredentials chap = chapFor.apply(discovery ? null : targetName);
            if (chap != null) authenticator = new ChapAuthenticator(chap);
        }
        LinkedHashMap<String, String> answers = new LinkedHashMap<>();
        if (csg == STAGE_SECURITY) {
            LinkedHashMap<String, String> plain = new LinkedHashMap<>(offered);
            plain.keySet().removeIf(k -> k.startsWith("CHAP_")); // the authenticator's, not negotiation keys
            Map<String, String> negotiated = negotiator.negotiate(plain);
            if (authenticator != Authenticator.NONE && offered.containsKey("AuthMethod")) {
                // this target requires its method: the initiator's list must contain it
                boolean offers = java.util.Arrays.asList(offered.get("AuthMethod").split(","))
                        .contains(authenticator.method());
                negotiated.put("AuthMethod", offers ? authenticator.method() : "Reject");
            }
            String method = negotiated.get("AuthMethod");
            if ("Reject".equals(method)) {
                return fail(csg, AUTHENTICATION_FAILURE);
            }
            answers.putAll(negotiated);
            Authenticator.Step s = authenticator.step(offered, answers);
            if (s == Authenticator.Step.FAILED) {
                return fail(csg, AUTHENTICATION_FAILURE);
            }
            authenticated = s == Authenticator.Step.DONE;
        } else {
            if (!authenticated && !authenticator.method().equals("None")) {
                return fail(csg, AUTHENTICATION_FAILURE);
            }
            authenticated = true;
            answers.putAll(negotiator.negotiate(offered));
            if (!declaredMrdsl) { // §13.12: declare what we accept
                answers.put(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH.keyName,
                        negotiator.ours(TextKey.MAX_RECV_DATA_SEGMENT_LENGTH));
                declaredMrdsl = true;
            }
        }
        if (!discovery && !declaredTpgt) { // §13.9: in the first Login Response of a normal session
            answers.put(TextKey.TARGET_PORTAL_GROUP_TAG.keyName, Integer.toString(portalGroupTag));
            declaredTpgt = true;
        }
        boolean transit = false;
        int nsg = 0;
        if (Login.transit(bhs)) {
            nsg = Login.nextStage(bhs);
            boolean valid = (csg == STAGE_SECURITY && (nsg == STAGE_OPERATIONAL || nsg == STAGE_FULL_FEATURE))
                    || (csg == STAGE_OPERATIONAL && nsg == STAGE_FULL_FEATURE);
            if (!valid) {
                return fail(csg, INVALID_DURING_LOGIN);
            }
            transit = authenticated;
            if (transit) {
                stage = nsg;
            }
        }
        byte[] text = KeyValues.format(answers);
        return new Step(transit, csg, transit ? nsg : 0, SUCCESS, text, transit && nsg == STAGE_FULL_FEATURE);
    }

    private Step checkNames(int csg, Map<String, String> offered) {
        initiatorName = offered.get("InitiatorName");
        if (initiatorName == null || initiatorName.isEmpty()) {
            return fail(csg, MISSING_PARAMETER); // §13.5: MUST be in the first Login Request
        }
        String type = offered.getOrDefault("SessionType", "Normal");
        if (!type.equals("Normal") && !type.equals("Discovery")) {
            return fail(csg, SESSION_TYPE_NOT_SUPPORTED);
        }
        discovery = type.equals("Discovery");
        targetName = offered.get("TargetName");
        if (!discovery) {
            if (targetName == null) {
                return fail(csg, MISSING_PARAMETER);
            }
            if (!targetExists.test(targetName)) {
                return fail(csg, NOT_FOUND);
            }
            if (!allowed.test(targetName, initiatorName)) {
                return fail(csg, AUTHORIZATION_FAILURE);
            }
        }
        if (tsih != 0) {
            // MaxConnections=1 and ErrorRecoveryLevel=0: a login naming a TSIH can only refer to a session
            // that no longer exists (its one connection is gone)
            return fail(csg, SESSION_DOES_NOT_EXIST);
        }
        return null;
    }

    private static Step fail(int csg, int status) {
        return new Step(false, Math.min(csg, STAGE_OPERATIONAL), 0, status, new byte[0], false);
    }

    public String initiatorName() {
        return initiatorName;
    }

    public String targetName() {
        return targetName;
    }

    public boolean discovery() {
        return discovery;
    }

    public long isid() {
        return isid;
    }

    public SessionParameters parameters() {
        return negotiator.parameters();
    }
}
