package io.stowage.iscsi.login;

import static io.stowage.iscsi.login.LoginPhaseTest.header;
import static io.stowage.iscsi.login.LoginPhaseTest.text;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * RFC 7143 §6.2: a key may not be negotiated or declared twice in a login; the target answers a Login reject,
 * initiator error (0200h). Declarations of the names in both stages are what initiators do (libiscsi sends
 * InitiatorName and TargetName in the security and the operational stage) and stay accepted.
 */
class RepeatedKeysTest {
    static final String IQN = LoginPhaseTest.IQN;

    private static LoginPhase phase() {
        return new LoginPhase(IQN::equals, 1, Map.of());
    }

    @Test
    void aKeyTwiceInOneRequestIsRefused() {
        LoginPhase.Step s = phase().onRequest(header(true, 1, 3, false, 0), text("InitiatorName=i\0TargetName="
                + IQN + "\0HeaderDigest=None\0HeaderDigest=CRC32C\0"));
        assertTrue(s.failed());
        assertEquals(0x0200, s.status());
    }

    @Test
    void aKeyTwiceAcrossContinuedPdusIsRefused() {
        LoginPhase p = phase();
        assertFalse(p.onRequest(header(false, 1, 0, true, 0), text("InitiatorName=i\0MaxBurstLength=8192\0"))
                .failed());
        LoginPhase.Step s = p.onRequest(header(true, 1, 3, false, 0), text("TargetName=" + IQN
                + "\0MaxBurstLength=65536\0"));
        assertEquals(0x0200, s.status());
    }

    @Test
    void aNegotiatedKeyOfferedAgainInALaterRequestIsRefused() {
        LoginPhase p = phase();
        LoginPhase.Step first = p.onRequest(header(false, 1, 0, false, 0), text("InitiatorName=i\0TargetName="
                + IQN + "\0ImmediateData=Yes\0"));
        assertFalse(first.failed());
        LoginPhase.Step again = p.onRequest(header(true, 1, 3, false, 0), text("ImmediateData=No\0"));
        assertEquals(0x0200, again.status());
    }

    @Test
    void namesDeclaredInBothStagesAreAccepted() {
        LoginPhase p = phase();
        String names = "InitiatorName=i\0TargetName=" + IQN + "\0SessionType=Normal\0";
        assertFalse(p.onRequest(header(true, 0, 1, false, 0), text(names + "AuthMethod=None\0")).failed());
        LoginPhase.Step s = p.onRequest(header(true, 1, 3, false, 0), text(names + "HeaderDigest=None\0"));
        assertTrue(s.complete());
    }
}
