package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CHAP (one-way and mutual) against libiscsi's own CHAP implementation, as iscsi-ls and iscsi-inq use it. */
class ChapIT {
    @TempDir Path dir;

    private StowageProcess start(String name, String... keys) throws Exception {
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, String.join("\n", keys) + "\nvolume.demo.size = 64M\ntarget.demo.lun.0 = demo\n");
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
}
