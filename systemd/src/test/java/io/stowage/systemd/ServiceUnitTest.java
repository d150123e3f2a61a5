package io.stowage.systemd;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checks the unit file the package ships: who it runs as, what it runs and the hardening it promises. */
class ServiceUnitTest {
    private static Map<String, String> serviceSection() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("stowage.service"));
        Map<String, String> keys = new HashMap<>();
        String section = "";
        for (String line : lines) {
            String l = line.strip();
            if (l.startsWith("[")) section = l;
            else if (section.equals("[Service]") && l.contains("=") && !l.startsWith("#")) {
                keys.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
            }
        }
        return keys;
    }

    @Test
    void runsTheDaemonAsTheStowageUserWithItsStateDirectory() throws Exception {
        Map<String, String> s = serviceSection();
        assertEquals("stowage", s.get("User"));
        assertTrue(s.get("ExecStart").startsWith("/usr/bin/stowage serve "), s.get("ExecStart"));
        assertTrue(s.get("ExecStart").contains("--data-dir /var/lib/stowage"));
        assertEquals("/bin/sh -c 'kill -HUP $MAINPID'", s.get("ExecReload"), "systemctl reload re-reads the config");
        assertEquals("stowage", s.get("StateDirectory"));
        assertEquals("on-failure", s.get("Restart"));
        assertEquals("notify", s.get("Type"), "ready only when the portal listens");
        assertEquals("all", s.get("NotifyAccess"), "systemd-notify runs as a child of the daemon");
    }

    @Test
    void isHardened() throws Exception {
        Map<String, String> s = serviceSection();
        assertEquals("strict", s.get("ProtectSystem"));
        assertEquals("yes", s.get("NoNewPrivileges"));
        assertEquals("yes", s.get("PrivateTmp"));
        assertEquals("CAP_NET_BIND_SERVICE", s.get("AmbientCapabilities"));
        assertNotNull(s.get("SystemCallFilter"));
    }
}
