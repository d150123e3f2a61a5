package io.stowage.iscsi.login;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoginPhaseTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";

    static ByteBuffer header(boolean transit, int csg, int nsg, boolean cont, int tsih) {
        ByteBuffer b = ByteBuffer.allocate(48);
        b.put(0, (byte) 0x43);
        b.put(1, (byte) ((transit ? 0x80 : 0) | (cont ? 0x40 : 0) | (csg << 2) | nsg));
        b.put(8, (byte) 0x40);
        b.putShort(14, (short) tsih);
        return b;
    }

    static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, String> answers(LoginPhase.Step s) {
        return KeyValues.parse(s.text());
    }

    private LoginPhase phase() {
        return new LoginPhase(IQN::equals, 1, Map.of());
    }

    @Test
    void securityThenOperationalThenFullFeature() {
        LoginPhase p = phase();
        LoginPhase.Step s1 = p.onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=iqn.i\0SessionType=Normal\0TargetName=" + IQN + "\0AuthMethod=CHAP,None\0"));
        assertFalse(s1.failed());
        assertTrue(s1.transit());
        assertEquals(1, s1.nsg());
        assertEquals("None", answers(s1).get("AuthMethod"));
        assertEquals("1", answers(s1).get("TargetPortalGroupTag"), "first response of a normal session");
        LoginPhase.Step s2 = p.onRequest(header(true, 1, 3, false, 0), text("MaxRecvDataSegmentLength=32768\0"));
        assertTrue(s2.complete());
        assertEquals("262144", answers(s2).get("MaxRecvDataSegmentLength"), "we declare ours");
        assertEquals(32768, p.parameters().initiatorMaxRecvDataSegmentLength());
    }

    @Test
    void operationalStageDirectlyAndTextSpanningPdus() {
        LoginPhase p = phase();
        LoginPhase.Step partial = p.onRequest(header(false, 1, 0, true, 0), text("InitiatorName=iqn.i\0Targ"));
        assertFalse(partial.failed());
        assertEquals(0, partial.text().length, "a continued text is acknowledged empty");
        LoginPhase.Step s = p.onRequest(header(true, 1, 3, false, 0), text("etName=" + IQN + "\0"));
        assertTrue(s.complete());
        assertEquals(IQN, p.targetName());
    }

    @Test
    void refusals() {
        assertEquals(LoginPhase.NOT_FOUND, phase().onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=i\0TargetName=iqn.nope\0")).status());
        assertEquals(LoginPhase.MISSING_PARAMETER, phase().onRequest(header(true, 0, 1, false, 0),
                text("TargetName=" + IQN + "\0")).status());
        assertEquals(LoginPhase.MISSING_PARAMETER, phase().onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=i\0")).status());
        assertEquals(LoginPhase.AUTHENTICATION_FAILURE, phase().onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=i\0TargetName=" + IQN + "\0AuthMethod=CHAP\0")).status());
        assertEquals(LoginPhase.SESSION_DOES_NOT_EXIST, phase().onRequest(header(true, 0, 1, false, 9),
                text("InitiatorName=i\0TargetName=" + IQN + "\0")).status());
        assertEquals(LoginPhase.INVALID_DURING_LOGIN, phase().onRequest(header(true, 1, 1, false, 0),
                text("InitiatorName=i\0TargetName=" + IQN + "\0")).status());
        ByteBuffer v = header(true, 0, 1, false, 0);
        v.put(3, (byte) 1);
        assertEquals(LoginPhase.UNSUPPORTED_VERSION, phase().onRequest(v, text("InitiatorName=i\0")).status());
    }

    @Test
    void discoverySessionNeedsNoTargetName() {
        LoginPhase p = phase();
        LoginPhase.Step s = p.onRequest(header(true, 1, 3, false, 0),
                text("InitiatorName=i\0SessionType=Discovery\0"));
        assertTrue(s.complete());
        assertTrue(p.discovery());
        assertNull(answers(s).get("TargetPortalGroupTag"));
    }

    @Test
    void loginTextIsCappedContinuationsIncluded() {
        LoginPhase p = phase();
        byte[] chunk = new byte[8192];
        java.util.Arrays.fill(chunk, (byte) 'a'); // one key that never ends
        LoginPhase.Step s = null;
        int requests = 0;
        while (requests < 1000) {
            s = p.onRequest(header(false, 0, 0, true, 0), ByteBuffer.wrap(chunk));
            requests++;
            if (s.failed()) break;
        }
        assertTrue(s.failed(), "1000 x 8 KiB of continued text must be refused");
        assertEquals(LoginPhase.INITIATOR_ERROR, s.status(), "RFC 7143 §11.13.5: 0200h initiator error");
        assertTrue(requests * 8192L <= LoginPhase.MAX_LOGIN_TEXT + 8192, "refused once the cap is passed");
    }

    @Test
    void anInitiatorOffTheTargetsAclIsRefusedWithAuthorizationFailure() {
        LoginPhase p = new LoginPhase(IQN::equals, 1, Map.of(), name -> null,
                (target, initiator) -> initiator.equals("iqn.2026-12.ok:i"));
        LoginPhase.Step s = p.onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=iqn.2026-12.other:i\0SessionType=Normal\0TargetName=" + IQN + "\0AuthMethod=None\0"));
        assertTrue(s.failed());
        assertEquals(LoginPhase.AUTHORIZATION_FAILURE, s.status());
        LoginPhase ok = new LoginPhase(IQN::equals, 1, Map.of(), name -> null,
                (target, initiator) -> initiator.equals("iqn.2026-12.ok:i"));
        assertFalse(ok.onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=iqn.2026-12.ok:i\0SessionType=Normal\0TargetName=" + IQN + "\0AuthMethod=None\0"))
                .failed());
    }

    @Test
    void discoverySessionsProveTheDiscoverySecretsWhenSet() {
        ChapCredentials discovery = new ChapCredentials("finder", "discovery-secret".getBytes(StandardCharsets.UTF_8),
                null, null);
        LoginPhase p = new LoginPhase(IQN::equals, 1, Map.of(), name -> name == null ? discovery : null,
                (target, initiator) -> true);
        LoginPhase.Step s = p.onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=iqn.i\0SessionType=Discovery\0AuthMethod=None\0"));
        assertTrue(s.failed(), "AuthMethod None is not enough when discovery requires CHAP");
        assertEquals(LoginPhase.AUTHENTICATION_FAILURE, s.status());
        LoginPhase chap = new LoginPhase(IQN::equals, 1, Map.of(), name -> name == null ? discovery : null,
                (target, initiator) -> true);
        LoginPhase.Step offered = chap.onRequest(header(true, 0, 1, false, 0),
                text("InitiatorName=iqn.i\0SessionType=Discovery\0AuthMethod=CHAP,None\0"));
        assertFalse(offered.failed());
        assertEquals("CHAP", answers(offered).get("AuthMethod"));
    }

    /** Keys without "=value" anywhere in a login are answered, never thrown on (the fuzzer's kind of input). */
    @Test
    void keysWithoutAValueNeverThrow() {
        String[] texts = {"InitiatorName\0", "InitiatorName=iqn.i\0SessionType\0", "InitiatorName=iqn.i\0TargetName\0",
            "InitiatorName=iqn.i\0TargetName=" + IQN + "\0AuthMethod\0",
            "InitiatorName=iqn.i\0TargetName=" + IQN + "\0HeaderDigest\0MaxBurstLength\0"};
        for (String t : texts) {
            for (int csg : new int[] {0, 1}) {
                LoginPhase p = phase();
                LoginPhase.Step s = assertDoesNotThrow(() -> p.onRequest(header(true, csg, csg == 0 ? 1 : 3, false, 0),
                        text(t)), t);
                assertNotNull(s);
            }
        }
    }
}
