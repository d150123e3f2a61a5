package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./stowage serve} checked with independent, real initiators: Debian's libiscsi tools and QEMU's iSCSI
 * block driver.
 */
class LibiscsiToolsIT {
    @TempDir static Path dir;
    static StowageProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = StowageProcess.start("libiscsi-tools", dir.resolve("var"));
    }

    @AfterAll
    static void stop() throws Exception {
        assertEquals(0, server.stop(), "SIGTERM is a clean stop");
        assertTrue(server.output().contains("all volumes flushed and closed"), server.output());
    }

    @Test
    void serveprintsHowToConnect() throws Exception {
        String out = server.output();
        assertTrue(out.contains("iscsiadm -m discovery -t sendtargets -p " + server.portal()), out);
        assertTrue(out.contains("iscsi-ls -s iscsi://" + server.portal()), out);
    }

    @Test
    void iscsiLsListsTheTargetAndItsSize() throws Exception {
        String out = Tools.run(30, "iscsi-ls", "-s", "iscsi://" + server.portal()).ok().output();
        assertTrue(out.contains("Target:" + StowageProcess.IQN + " Portal:" + server.portal() + ",1"), out);
        assertTrue(out.matches("(?s).*Lun:0\\s+Type:DIRECT_ACCESS \\(Size:(7|8)G\\).*"), out);
    }

    @Test
    void inquiryStandardAndVpdPagesDecode() throws Exception {
        String std = Tools.run(30, "iscsi-inq", server.url(0)).ok().output();
        assertTrue(std.contains("Peripheral Device Type:DIRECT_ACCESS"), std);
        assertTrue(std.contains("Vendor:STOWAGE"), std);
        assertTrue(std.contains("CmdQue:1"), std);
        String pages = Tools.run(30, "iscsi-inq", "-e", "1", "-c", "0", server.url(0)).ok().output();
        for (String p : new String[] {"0x80", "0x83", "0xb0", "0xb1", "0xb2"}) {
            assertTrue(pages.contains("Page:" + p), pages);
        }
        // the volume header in the local object store: 8-byte epoch, then text with uuid=...
        byte[] header = Files.readAllBytes(server.dataDir.resolve("objects/demo/header"));
        String text = new String(header, 8, header.length - 8, java.nio.charset.StandardCharsets.UTF_8);
        String serial = text.lines().filter(l -> l.startsWith("uuid=")).findFirst().orElseThrow()
                .substring(5).replace("-", "");
        String vpd80 = Tools.run(30, "iscsi-inq", "-e", "1", "-c", "128", server.url(0)).ok().output();
        assertTrue(vpd80.contains("Unit Serial Number:[" + serial + "]"), vpd80);
        String vpd83 = Tools.run(30, "iscsi-inq", "-e", "1", "-c", "131", server.url(0)).ok().output();
        assertTrue(vpd83.contains("Designator Type:(3) NAA"), vpd83);
        assertTrue(vpd83.contains("Designator Type:(4) RELATIVE_TARGET_PORT"), vpd83);
        assertTrue(vpd83.contains("Designator Type:(5) TARGET_PORT_GROUP"), vpd83);
        assertTrue(vpd83.contains("Designator:[" + StowageProcess.IQN + ",t,0x0001]"), vpd83);
        String b0 = Tools.run(30, "iscsi-inq", "-e", "1", "-c", "176", server.url(0)).ok().output();
        assertTrue(b0.contains("maximum transfer length:8192"), b0);
    }

    @Test
    void readCapacity16() throws Exception {
        String out = Tools.run(30, "iscsi-readcapacity16", server.url(0)).ok().output();
        assertTrue(out.contains("RETURNED LOGICAL BLOCK ADDRESS:16777215"), out);
        assertTrue(out.contains("LOGICAL BLOCK LENGTH IN BYTES:512"), out);
        assertTrue(out.contains("LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT:3"), out);
        assertTrue(out.contains("Total size:8589934592"), out);
    }

    @Test
    void qemuWrites64MiBOfRandomDataThatReadsBackIdentical() throws Exception {
        writeAndVerify(server, dir, 64 << 20);
    }

    /** QEMU writes {@code bytes} of random data to LUN 0 and reads it back: compared, and dumped byte for byte. */
    static void writeAndVerify(StowageProcess server, Path dir, int bytes) throws Exception {
        byte[] data = new byte[bytes];
        new Random(42).nextBytes(data);
        Path file = dir.resolve("random.img");
        Files.write(file, data);
        Tools.run(300, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", file.toString(), server.url(0)).ok();
        String json = "json:{\"driver\":\"raw\",\"size\":" + data.length + ",\"file\":{\"driver\":\"iscsi\","
                + "\"transport\":\"tcp\",\"portal\":\"" + server.portal() + "\",\"target\":\""
                + StowageProcess.IQN + "\",\"lun\":0}}";
        String cmp = Tools.run(300, "qemu-img", "compare", "-f", "raw", "-F", "raw", file.toString(), json)
                .ok().output();
        assertTrue(cmp.contains("Images are identical"), cmp);
        // and the bytes really are in the volume, not only in some cache of the path
        Path back = dir.resolve("back.img");
        Tools.run(300, "qemu-img", "dd", "-f", "raw", "-O", "raw", "bs=1M", "count=" + (bytes >> 20), "if=" + json,
                "of=" + back).ok();
        assertArrayEquals(data, Files.readAllBytes(back));
    }
}
