package io.stowage.iscsi.login;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CHAP exchange of RFC 7143 §12.1.3, computed independently here (RFC 1994: MD5(id ‖ secret ‖ challenge)). */
class ChapAuthenticatorTest {
    static final byte[] SECRET = "initiator-secret".getBytes(StandardCharsets.UTF_8);
    static final byte[] MUTUAL = "target-secret-12".getBytes(StandardCharsets.UTF_8);

    private static String response(Map<String, String> challenge, byte[] secret) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
        md.update((byte) Integer.parseInt(challenge.get("CHAP_I")));
        md.update(secret);
        md.update(HexFormat.of().parseHex(challenge.get("CHAP_C").substring(2)));
        return "0x" + HexFormat.of().formatHex(md.digest());
    }

    private static Map<String, String> challenge(ChapAuthenticator a) {
        Map<String, String> answers = new LinkedHashMap<>();
        assertEquals(Authenticator.Step.CONTINUE, a.step(Map.of("CHAP_A", "7,5"), answers));
        assertEquals("5", answers.get("CHAP_A"), "MD5 is chosen from the offered algorithms");
        assertTrue(answers.get("CHAP_C").startsWith("0x") && answers.get("CHAP_C").length() >= 2 + 32);
        return answers;
    }

    @Test
    void oneWayChapAcceptsTheRightResponseOnly() throws Exception {
        ChapCredentials creds = new ChapCredentials("alice", SECRET, null, null);
        ChapAuthenticator good = new ChapAuthenticator(creds);
        assertEquals(Authenticator.Step.CONTINUE, good.step(Map.of("AuthMethod", "CHAP"), new LinkedHashMap<>()));
        Map<String, String> c = challenge(good);
        assertEquals(Authenticator.Step.DONE, good.step(Map.of("CHAP_N", "alice", "CHAP_R", response(c, SECRET)),
                new LinkedHashMap<>()));

        ChapAuthenticator wrongSecret = new ChapAuthenticator(creds);
        Map<String, String> c2 = challenge(wrongSecret);
        assertEquals(Authenticator.Step.FAILED, wrongSecret.step(Map.of("CHAP_N", "alice",
                "CHAP_R", response(c2, "not-the-secret".getBytes(StandardCharsets.UTF_8))), new LinkedHashMap<>()));

        ChapAuthenticator wrongName = new ChapAuthenticator(creds);
        Map<String, String> c3 = challenge(wrongName);
        assertEquals(Authenticator.Step.FAILED, wrongName.step(Map.of("CHAP_N", "mallory",
                "CHAP_R", response(c3, SECRET)), new LinkedHashMap<>()));

        ChapAuthenticator noMd5 = new ChapAuthenticator(creds);
        assertEquals(Authenticator.Step.FAILED, noMd5.step(Map.of("CHAP_A", "6,7"), new LinkedHashMap<>()));

        ChapAuthenticator garbage = new ChapAuthenticator(creds);
        challenge(garbage);
        assertEquals(Authenticator.Step.FAILED, garbage.step(Map.of("CHAP_N", "alice", "CHAP_R", "0xzz"),
                new LinkedHashMap<>()));
    }

    @Test
    void mutualChapAnswersTheInitiatorsChallengeAndRefusesAReflectedOne() throws Exception {
        ChapCredentials creds = new ChapCredentials("alice", SECRET, "target-1", MUTUAL);
        ChapAuthenticator a = new ChapAuthenticator(creds);
        Map<String, String> c = challenge(a);
        Map<String, String> answers = new LinkedHashMap<>();
        Map<String, String> theirs = Map.of("CHAP_I", "77", "CHAP_C", "0x00112233445566778899aabbccddeeff");
        Map<String, String> offered = new LinkedHashMap<>(theirs);
        offered.put("CHAP_N", "alice");
        offered.put("CHAP_R", response(c, SECRET));
        assertEquals(Authenticator.Step.DONE, a.step(offered, answers));
        assertEquals("target-1", answers.get("CHAP_N"));
        assertEquals(response(theirs, MUTUAL), answers.get("CHAP_R"), "the target proves the mutual secret");

        ChapAuthenticator reflected = new ChapAuthenticator(creds);
        Map<String, String> c2 = challenge(reflected);
        Map<String, String> back = new LinkedHashMap<>(Map.of("CHAP_N", "alice", "CHAP_R", response(c2, SECRET),
                "CHAP_I", c2.get("CHAP_I"), "CHAP_C", c2.get("CHAP_C")));
        assertEquals(Authenticator.Step.FAILED, reflected.step(back, new LinkedHashMap<>()));

        ChapAuthenticator missing = new ChapAuthenticator(creds);
        Map<String, String> c3 = challenge(missing);
        assertEquals(Authenticator.Step.FAILED, missing.step(Map.of("CHAP_N", "alice", "CHAP_R", response(c3, SECRET)),
                new LinkedHashMap<>()), "mutual CHAP is required when configured");
    }

    @Test
    void binaryValuesInHexAndBase64() {
        assertArrayEquals(new byte[] {1, 2, (byte) 0xff}, ChapAuthenticator.binary("0x0102ff"));
        assertArrayEquals(new byte[] {1, 2, (byte) 0xff}, ChapAuthenticator.binary("0bAQL/"));
        assertNull(ChapAuthenticator.binary("0102"));
        assertNull(ChapAuthenticator.binary(null));
    }
}
