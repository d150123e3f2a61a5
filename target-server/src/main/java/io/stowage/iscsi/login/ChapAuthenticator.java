package io.stowage.iscsi.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * CHAP for one login (RFC 7143 §12.1.3, RFC 1994), target side, MD5 (CHAP_A = 5):
 * <ol>
 *   <li>initiator: CHAP_A=&lt;algorithms&gt; — target: CHAP_A=5, CHAP_I=&lt;id&gt;, CHAP_C=&lt;challenge&gt;</li>
 *   <li>initiator: CHAP_N=&lt;name&gt;, CHAP_R=MD5(id ‖ secret ‖ challenge), and for mutual CHAP its own CHAP_I
 *       and CHAP_C — target: for mutual, CHAP_N and CHAP_R=MD5(their id ‖ mutual secret ‖ their challenge)</li>
 * </ol>
 * A wrong name or response, a missing algorithm, a missing mutual challenge when mutual CHAP is configured, or a
 * challenge reflected back at us fails the login (authentication failure). One instance per login.
 */
public final class ChapAuthenticator implements Authenticator {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int CHALLENGE_BYTES = 16;

    private final ChapCredentials credentials;
    private int id = -1;
    private byte[] challenge;
    private boolean done;

    public ChapAuthenticator(ChapCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String method() {
        return "CHAP";
    }

    @Override
    public Step step(Map<String, String> offered, Map<String, String> answers) {
        if (done) return Step.DONE;
        if (challenge == null) {
            String algorithms = offered.get("CHAP_A");
            if (algorithms == null) return Step.CONTINUE; // the request that only chose AuthMethod
            if (!Arrays.asList(algorithms.split(",")).contains("5")) return Step.FAILED; // MD5 is all we do
            id = RANDOM.nextInt(256);
            challenge = new byte[CHALLENGE_BYTES];
            RANDOM.nextBytes(challenge);
            answers.put("CHAP_A", "5");
            answers.put("CHAP_I", Integer.toString(id));
            answers.put("CHAP_C", "0x" + HexFormat.of().formatHex(challenge));
            return Step.CONTINUE;
        }
        String name = offered.get("CHAP_N");
        byte[] response = binary(offered.get("CHAP_R"));
        if (name == null || response == null || !name.equals(credentials.user())) return Step.FAILED;
        if (!MessageDigest.isEqual(md5(id, credentials.secret(), challenge), response)) return Step.FAILED;
        String theirId = offered.get("CHAP_I");
        byte[] theirChallenge = binary(offered.get("CHAP_C"));
        if (credentials.mutual()) {
            if (theirId == null || theirChallenge == null || theirChallenge.length == 0) return Step.FAILED;
            if (Arrays.equals(theirChallenge, challenge)) return Step.FAILED; // §12.1.3: a reflected challenge
            int i;
            try {
                i = Integer.parseInt(theirId);
            } catch (NumberFormatException e) {
                return Step.FAILED;
            }
            if (i < 0 || i > 255) return Step.FAILED;
            answers.put("CHAP_N", credentials.mutualUser());
            answers.put("CHAP_R", "0x" + HexFormat.of().formatHex(md5(i, credentials.mutualSecret(), theirChallenge)));
        } else if (theirChallenge != null) {
            return Step.FAILED; // the initiator wants to authenticate us, and we have no secret for that
        }
        done = true;
        return Step.DONE;
    }

    /** RFC 1994: MD5 over the identifier byte, the secret and the challenge. */
    static byte[] md5(int id, byte[] secret, byte[] challenge) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update((byte) id);
            md.update(secret);
            md.update(challenge);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A binary value (RFC 7143 §6.1): 0x + hex or 0b + base64; null if absent or malformed. */
    static byte[] binary(String v) {
        if (v == null || v.length() < 3) return null;
        try {
            if (v.startsWith("0x") || v.startsWith("0X")) {
                String hex = v.substring(2);
                return HexFormat.of().parseHex(hex.length() % 2 == 1 ? "0" + hex : hex);
            }
            if (v.startsWith("0b") || v.startsWith("0B")) return Base64.getDecoder().decode(v.substring(2));
        } catch (IllegalArgumentException e) {
            return null;
        }
        return null;
    }
}
