package io.stowage.iscsi.session;

import io.stowage.node.ConfigException;
import io.stowage.node.Daemon;
import io.stowage.node.StowageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The daemon the session tests talk to: {@code keys} as its config, data in {@code dir}, portal on a free port. */
final class LoopbackDaemon {
    private LoopbackDaemon() {
    }

    static Daemon start(Path dir, Map<String, String> keys) throws ConfigException, IOException {
        StowageConfig c = StowageConfig.from(keys);
        c.overrideDataDir(dir);
        c.overrideAdmin("127.0.0.1:0"); // a free port: the default 7260 may be taken, which refuses the start
        c.overridePort(0);
        return new Daemon(c);
    }
}
