package io.stowage.iscsi.session;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stowage.iscsi.login.KeyValues;
import io.stowage.node.Daemon;
import io.stowage.node.admin.AdminException;
import io.stowage.node.admin.Operations;
import io.stowage.node.admin.Views.ChapView;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CHAP set and cleared through the operations the admin API and CLI use: new logins must prove it at once (one-way,
 * mutual, discovery), sessions logged in stay, values are refused naming the field, views never carry a secret,
 * the catalogue keeps it across a restart and wins over the config file's keys.
 */
class ChapLiveTest {
    static final String IQN = "iqn.2026-11.io.stowage:demo";
    static final String SECRET = "initiator-secret-1";
    static final String MUTUAL = "target-secret-of-demo";
    @TempDir Path dir;

    private static Daemon start(Path dir, Map<String, String> extra) throws Exception {
        Map<String, String> keys = new LinkedHashMap<>(Map.of("target.demo.lun.0", "demo", "volume.demo.size", "16M"));
        keys.putAll(extra);
        return LoopbackDaemon.start(dir, keys);
    }

    /** A login PDU from stage {@code csg} to {@code nsg} (transit when they differ). */
    private static TestInitiator.Rx step(TestInitiator t, int csg, int nsg, Map<String, String> keys) throws Exception {
        byte[] text = KeyValues.format(keys);
        ByteBuffer h = TestInitiator.bhs(0x43, (csg != nsg ? 0x80 | nsg : 0) | (csg << 2), text.length);
        h.putLong(8, t.isid << 16);
        h.putInt(16, 0x1000);
        h.putInt(24, t.cmdSn);
        h.putInt(28, t.expStatSn);
        t.send(h, text);
        TestInitiator.Rx r = t.next();
        assertEquals(0x23, r.opcode());
        t.expStatSn = r.statSn() + 1;
        return r;
    }

    private static byte[] md5(int id, String secret, byte[] challenge) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        md.update((byte) id);
        md.update(secret.getBytes(StandardCharsets.UTF_8));
        md.update(challenge);
        return md.digest();
    }

    /**
     * A CHAP login to {@code target} (null: discovery) as {@code user}; with {@code targetSecret} it authenticates the
     * target too (mutual). Returns the status class and detail of the last login response (0: logged in).
     */
    static int chapLogin(TestInitiator t, String target, String user, String secret, String targetSecret)
            throws Exception {
        Map<String, String> first = new LinkedHashMap<>();
        first.put("InitiatorName", t.initiatorName);
        if (target == null) {
            first.put("SessionType", "Discovery");
        } else {
            first.put("TargetName", target);
            first.put("SessionType", "Normal");
        }
        first.put("AuthMethod", "CHAP,None");
        TestInitiator.Rx r = step(t, 0, 0, first);
        if (r.bhs()[36] != 0) return (r.bhs()[36] & 0xFF) << 8 | (r.bhs()[37] & 0xFF);
        assertEquals("CHAP", KeyValues.parse(r.data()).get("AuthMethod"));
        r = step(t, 0, 0, Map.of("CHAP_A", "5"));
        Map<String, String> a = KeyValues.parse(r.data());
        int id = Integer.parseInt(a.get("CHAP_I"));
        byte[] challenge = HexFormat.of().parseHex(a.get("CHAP_C").substring(2));
        Map<String, String> answer = new LinkedHashMap<>();
        answer.put("CHAP_N", user);
        answer.put("CHAP_R", "0x" + HexFormat.of().formatHex(md5(id, secret, challenge)));
        byte[] ours = new byte[16];
        ours[0] = 7;
        if (targetSecret != null) {
            answer.put("CHAP_I", "9");
            answer.put("CHAP_C", "0x" + HexFormat.of().formatHex(ours));
        }
        r = step(t, 0, 1, answer);
        int status = (r.bhs()[36] & 0xFF) << 8 | (r.bhs()[37] & 0xFF);
        if (status != 0) return status;
        if (targetSecret != null) {
            Map<String, String> proof = KeyValues.parse(r.data());
            assertEquals("0x" + HexFormat.of().formatHex(md5(9, targetSecret, ours)), proof.get("CHAP_R"),
                    "the target proved the mutual secret");
        }
        r = step(t, 1, 3, Map.of());
        return (r.bhs()[36] & 0xFF) << 8 | (r.bhs()[37] & 0xFF);
    }

    /** A login that offers no authentication (straight to the operational stage): 0 if it is let in. */
    static int plainLogin(Daemon d, String target) throws Exception {
        try (TestInitiator t = new TestInitiator(d.portalAddress())) {
            TestInitiator.Rx r = t.login(target, Map.of());
            return (r.bhs()[36] & 0xFF) << 8 | (r.bhs()[37] & 0xFF);
        }
    }

    @Test
    void chapSetLiveAppliesToNewLoginsAndLeavesLoggedInSessions() throws Exception {
        Daemon d = start(dir, Map.of());
        Operations ops = d.operations();
        try (TestInitiator before = new TestInitiator(d.portalAddress())) {
            before.isid = 0x400000009999L; // its own session: the other logins' ISID would reinstate it
            assertEquals(0, before.login(IQN, Map.of()).bhs()[36]);
            assertEquals("none", ops.chap("demo").mode());

            ChapView v = ops.setChap("demo", "alice", SECRET, null, null);
            assertEquals("one-way", v.mode());
            assertEquals("catalogue", v.source());
            assertTrue(v.secretSet());
            assertNotEquals(0, plainLogin(d, IQN), "a login without CHAP is refused at once");
            try (TestInitiator t = new TestInitiator(d.portalAddress())) {
                assertEquals(0, chapLogin(t, IQN, "alice", SECRET, null));
            }
            try (TestInitiator t = new TestInitiator(d.portalAddress())) {
                assertEquals(0x0201, chapLogin(t, IQN, "alice", "a-wrong-secret-x", null), "authentication failure");
            }

            ops.setChap("demo", "alice", SECRET, "demo-target", MUTUAL);
            assertEquals("mutual", ops.chap(IQN).mode(), "by IQN too");
            try (TestInitiator t = new TestInitiator(d.portalAddress())) {
                assertEquals(0, chapLogin(t, IQN, "alice", SECRET, MUTUAL));
            }

            // the session logged in before any of this still works
            assertEquals(0x2900, before.testUnitReady(0, 5), "the old session still answers (its POWER ON first)");

            ChapView cleared = ops.clearChap("demo");
            assertEquals("none", cleared.mode());
            assertEquals("catalogue", cleared.source());
            assertEquals(0, plainLogin(d, IQN));
        } finally {
            d.close();
        }
    }

    @Test
    void discoveryChapIsSetAndClearedLive() throws Exception {
        Daemon d = start(dir, Map.of());
        Operations ops = d.operations();
        try {
            assertEquals(0, plainLogin(d, null));
            ops.setChap(null, "scanner", SECRET, null, null);
            assertTrue(ops.chap(null).discovery());
            assertNotEquals(0, plainLogin(d, null), "discovery now needs CHAP");
            assertEquals(0, plainLogin(d, IQN), "the target itself does not");
            try (TestInitiator t = new TestInitiator(d.portalAddress())) {
                assertEquals(0, chapLogin(t, null, "scanner", SECRET, null));
            }
            ops.clearChap(null);
            assertEquals(0, plainLogin(d, null));
        } finally {
            d.close();
        }
    }

    @Test
    void refusedValuesNameTheFieldAndNoViewCarriesASecret() throws Exception {
        Daemon d = start(dir, Map.of());
        Operations ops = d.operations();
        try {
            assertField("secret", () -> ops.setChap("demo", "alice", "short", null, null));
            assertField("user", () -> ops.setChap("demo", null, SECRET, null, null));
            assertField("user", () -> ops.setChap("demo", "", SECRET, null, null));
            assertField("secret", () -> ops.setChap("demo", "alice", "x".repeat(256), null, null));
            assertField("mutualSecret", () -> ops.setChap("demo", "alice", SECRET, "t", null));
            assertField("mutualUser", () -> ops.setChap("demo", "alice", SECRET, null, MUTUAL));
            assertField("mutualSecret", () -> ops.setChap("demo", "alice", SECRET, "t", SECRET));
            assertField("user", () -> ops.setChap("demo", "ali\nce", SECRET, null, null));
            AdminException none = assertThrows(AdminException.class, () -> ops.setChap("nope", "a", SECRET, null, null));
            assertEquals(AdminException.Kind.NOT_FOUND, none.kind());
            assertEquals("target", none.field());
            assertEquals("none", ops.chap("demo").mode(), "nothing refused was kept");

            ops.setChap("demo", "alice", SECRET, "demo-target", MUTUAL);
            ops.setChap(null, "scanner", "discovery-secret", null, null);
            String json = new ObjectMapper().writeValueAsString(ops.chaps()) + ops.chap("demo") + ops.chap(null);
            for (String secret : new String[] {SECRET, MUTUAL, "discovery-secret"}) {
                assertFalse(json.contains(secret), "a view carries a secret: " + json);
            }
            // the catalogue holds the secrets: its directory is the owner's alone, whatever the umask
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("objects/_node"))));
        } finally {
            d.close();
        }
    }

    @Test
    void theCatalogueKeepsChapAcrossARestartAndWinsOverTheFile() throws Exception {
        Map<String, String> fileChap = Map.of("target.demo.chap.user", "from-file",
                "target.demo.chap.secret", "the-file-secret");
        Daemon d = start(dir, fileChap);
        try {
            ChapView v = d.operations().chap("demo");
            assertEquals("config", v.source());
            assertEquals("from-file", v.user());
            d.operations().setChap("demo", "alice", SECRET, null, null);
        } finally {
            d.close();
        }
        d = start(dir, fileChap);
        try {
            ChapView v = d.operations().chap("demo");
            assertEquals("catalogue", v.source(), "the catalogue wins over the file's keys");
            assertEquals("alice", v.user());
            try (TestInitiator t = new TestInitiator(d.portalAddress())) {
                assertEquals(0, chapLogin(t, IQN, "alice", SECRET, null));
            }
            try (TestInitiator t = new TestInitiator(d.portalAddress())) {
                assertEquals(0x0201, chapLogin(t, IQN, "from-file", "the-file-secret", null));
            }
        } finally {
            d.close();
        }
    }

    private static void assertField(String field, org.junit.jupiter.api.function.Executable e) {
        AdminException x = assertThrows(AdminException.class, e);
        assertEquals(AdminException.Kind.INVALID, x.kind());
        assertEquals(field, x.field(), x.getMessage());
    }
}
