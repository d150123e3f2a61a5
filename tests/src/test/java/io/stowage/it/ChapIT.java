package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may log in, against libiscsi's own initiator as iscsi-ls and iscsi-inq use it: CHAP (one-way and mutual) per
 * target and for discovery, initiator ACLs per target, and secrets kept out of world-readable files.
 */
class ChapIT {
    @TempDir Path dir;

    private StowageProcess start(String name, String... keys) throws Exception {
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, String.join("\n", keys) + "\nvolume.demo.size = 64M\ntarget.demo.lun.0 = demo\n");
        Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        return StowageProcess.start(name, dir.resolve(name), "--config", conf.toString());
    }

    private static String lun0(StowageProcess s, String credentials, String query) {
        return "iscsi://" + credentials + s.portal() + "/" + StowageProcess.IQN + "/0" + query;
    }

    @Test
    void oneWayChapAdmitsOnlyTheRightSecret() throws Exception {
        try (StowageProcess s = start("chap", "target.demo.chap.user = alice",
                "target.demo.chap.secret = initiator-secret")) {
            assertTrue(Tools.run(30, "iscsi-inq", lun0(s, "alice%initiator-secret@", "")).ok().output()
                    .contains("DIRECT_ACCESS"));
            Tools.Result wrong = Tools.run(30, "iscsi-inq", lun0(s, "alice%wrong-secret-xx@", ""));
            assertNotEquals(0, wrong.exit());
            assertTrue(wrong.output().contains("Authentication failure"), wrong.output());
            assertNotEquals(0, Tools.run(30, "iscsi-inq", lun0(s, "", "")).exit(), "no credentials, no login");
            assertNotEquals(0, Tools.run(30, "iscsi-inq", lun0(s, "mallory%initiator-secret@", "")).exit());
            // discovery needs no CHAP: the target is listed, its LUNs only with the secret
            assertTrue(Tools.run(30, "iscsi-ls", "-s", "iscsi://" + s.portal()).output().contains(StowageProcess.IQN));
            assertFalse(s.output().contains("initiator-secret"), "secrets are never logged");
        }
    }

    @Test
    void mutualChapProvesTheTargetToo() throws Exception {
        try (StowageProcess s = start("chap-mutual", "target.demo.chap.user = alice",
                "target.demo.chap.secret = initiator-secret", "target.demo.chap.mutual-user = demo-target",
                "target.demo.chap.mutual-secret = target-secret-12")) {
            assertTrue(Tools.run(30, "iscsi-inq", lun0(s, "alice%initiator-secret@",
                    "?target_user=demo-target&target_password=target-secret-12")).ok().output().contains("DIRECT_ACCESS"));
            Tools.Result impostor = Tools.run(30, "iscsi-inq", lun0(s, "alice%initiator-secret@",
                    "?target_user=demo-target&target_password=wrong-secret-999"));
            assertNotEquals(0, impostor.exit(), "the initiator detects a target without the mutual secret");
            assertTrue(impostor.output().contains("CHAP_R"), impostor.output());
            assertNotEquals(0, Tools.run(30, "iscsi-inq", lun0(s, "alice%initiator-secret@", "")).exit(),
                    "mutual CHAP is required when configured");
        }
    }

    @Test
    void discoveryChapIsConfiguredApartFromTheTargets() throws Exception {
        try (StowageProcess s = start("chap-discovery", "discovery.chap.user = finder",
                "discovery.chap.secret = discovery-secret")) {
            Tools.Result anonymous = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + s.portal());
            assertFalse(anonymous.output().contains(StowageProcess.IQN), "no discovery without CHAP: " + anonymous.output());
            Tools.Result wrong = Tools.run(30, "iscsi-ls", "-s", "iscsi://finder%wrong-secret-xx@" + s.portal());
            assertFalse(wrong.output().contains(StowageProcess.IQN), wrong.output());
            assertTrue(Tools.run(30, "iscsi-ls", "-s", "iscsi://finder%discovery-secret@" + s.portal()).output()
                    .contains(StowageProcess.IQN));
            // the target itself has no CHAP: a normal session needs none
            assertTrue(Tools.run(30, "iscsi-inq", lun0(s, "", "")).ok().output().contains("DIRECT_ACCESS"));
        }
    }

    @Test
    void anInitiatorOffTheAclNeitherSeesTheTargetNorLogsIn() throws Exception {
        String allowed = "iqn.2026-12.io.stowage.test:allowed";
        String other = "iqn.2026-12.io.stowage.test:other";
        try (StowageProcess s = start("acl", "target.demo.allowed-initiators = " + allowed + ", iqn.2026-12.x:y")) {
            assertTrue(Tools.run(30, "iscsi-ls", "-i", allowed, "-s", "iscsi://" + s.portal()).output()
                    .contains(StowageProcess.IQN));
            assertFalse(Tools.run(30, "iscsi-ls", "-i", other, "-s", "iscsi://" + s.portal()).output()
                    .contains(StowageProcess.IQN), "SendTargets hides a target from an initiator off its ACL");
            assertTrue(Tools.run(30, "iscsi-inq", "-i", allowed, lun0(s, "", "")).ok().output()
                    .contains("DIRECT_ACCESS"));
            Tools.Result refused = Tools.run(30, "iscsi-inq", "-i", other, lun0(s, "", ""));
            assertNotEquals(0, refused.exit());
            assertTrue(refused.output().toLowerCase().contains("authoriz") || refused.output().contains("0202")
                    || refused.output().contains("forbidden"), refused.output());
        }
    }

    @Test
    void aConfigWithSecretsThatEveryUserCanReadIsRefused() throws Exception {
        Path conf = dir.resolve("open.conf");
        Files.writeString(conf, "target.demo.chap.user = alice\ntarget.demo.chap.secret = initiator-secret\n");
        Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Tools.Result r = Tools.run(60, "env", "STOWAGE_NO_BUILD=1", StowageProcess.REPO.resolve("stowage").toString(),
                "serve", "--config", conf.toString(), "--data-dir", dir.resolve("open").toString());
        assertEquals(2, r.exit(), r.output());
        assertEquals("stowage: config key 'target.demo.chap.secret': " + conf
                + " holds CHAP secrets and is readable by every user; chmod o-r " + conf, r.output().strip());
        assertFalse(r.output().contains("initiator-secret"), "secrets are never printed");
    }
}
