package io.stowage.scsi;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an initiator sees when the real engine refuses I/O. A volume another node took over (fenced) or that halted
 * is no longer served by this node: NOT READY / ASYMMETRIC ACCESS STATE TRANSITION (02/04/0A), which dm-multipath
 * and ESXi retry on another path, never MEDIUM ERROR, which they pass up to the filesystem. A cluster whose CRC does
 * not match is a real media error and stays UNRECOVERED READ ERROR (03/11/00).
 */
class FencedVolumeSenseTest {
    static final VolumeConfig SMALL = new VolumeConfig(16, 2, 60_000, 4 << 20, 4 << 20, 64L << 20);
    @TempDir
    Path dir;
    final ExecutorService io = Executors.newFixedThreadPool(2);
    final Nexus nexus = new Nexus("iqn.i,i,0x1", "iqn.t,t,0x0001");
    Volume volume;
    ScsiTarget target;

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    private void serve() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cacheA"), new DirectoryBackend(dir.resolve("obj")), SMALL);
        engine.create("v", 1 << 20);
        volume = engine.open("v");
        TreeMap<Integer, LogicalUnit> luns = new TreeMap<>();
        luns.put(0, new LogicalUnit(new VolumeBlockDevice(volume, io)));
        target = new ScsiTarget(new TargetPortIdentity("iqn.t", 1, 1), luns, new BufferPool(1 << 20));
    }

    /** Another node opens the volume: the header's epoch moves on and this node's next guarded write is refused. */
    private void takenOverByAnotherNode() throws Exception {
        new VolumeEngine(dir.resolve("cacheB"), new DirectoryBackend(dir.resolve("obj")), SMALL).open("v");
    }

    private ScsiResult run(String cdb, byte[] data) {
        return target.submit(new ScsiRequest(ScsiTargetTest.cdb(cdb), 0, data == null ? null : ByteBuffer.wrap(data),
                nexus)).toCompletableFuture().join();
    }

    /** Runs {@code cdb}; a pending unit attention (reported first) is taken and the command sent again. */
    private ScsiResult runPastAttentions(String cdb, byte[] data) {
        ScsiResult r = run(cdb, data);
        for (int i = 0; i < 4 && r.status() == ScsiStatus.CHECK_CONDITION && (r.sense()[2] & 0x0F) == 0x6; i++) {
            r = run(cdb, data);
        }
        return r;
    }

    private ScsiResult registerWithAptpl() {
        byte[] p = new byte[24];
        ByteBuffer.wrap(p).putLong(8, 0xAB);
        p[20] = 0x01; // APTPL: the registration is stored with the volume under this node's epoch
        return runPastAttentions("5f 00 00 00 00 00 00 00 18 00", p);
    }

    @Test
    void aFencedVolumeAnswersAluaTransitionNotMediumError() throws Exception {
        serve();
        assertEquals(ScsiStatus.GOOD, runPastAttentions("2a 00 00 00 00 00 00 00 01 00", new byte[512]).status());
        takenOverByAnotherNode();
        ScsiTargetTest.assertSense(registerWithAptpl(), 0x2, 0x04, 0x0A); // the fenced state write
        ScsiTargetTest.assertSense(runPastAttentions("2a 00 00 00 00 00 00 00 01 00", new byte[512]), 0x2, 0x04, 0x0A);
        ScsiTargetTest.assertSense(runPastAttentions("28 00 00 00 00 00 00 00 01 00", null), 0x2, 0x04, 0x0A);
        ScsiTargetTest.assertSense(runPastAttentions("35 00 00 00 00 00 00 00 00 00", null), 0x2, 0x04, 0x0A);
        ScsiTargetTest.assertSense(runPastAttentions("00 00 00 00 00 00", null), 0x2, 0x04, 0x0A); // TUR: path checker
    }

    /**
     * The uploader finds the volume fenced (its header commit is refused) while no command is running: the path
     * checker's next TEST UNIT READY, and REPORT TARGET PORT GROUPS, already say this path is no longer the one.
     */
    @Test
    void aVolumeFencedInTheBackgroundFailsThePathCheckerBeforeAnyIo() throws Exception {
        serve();
        assertEquals(ScsiStatus.GOOD, runPastAttentions("2a 00 00 00 00 00 00 00 08 00", new byte[4096]).status());
        takenOverByAnotherNode();
        try {
            volume.syncToBackend(10_000); // the upload's header commit is refused: the volume halts
        } catch (java.io.IOException expected) {
            // fenced
        }
        assertTrue(volume.stats().halted());
        ScsiTargetTest.assertSense(run("00 00 00 00 00 00", null), 0x2, 0x04, 0x0A);
        ScsiResult rtpg = runPastAttentions("a3 0a 00 00 00 00 00 00 01 00 00 00", null);
        assertEquals(0xF, ScsiTargetTest.data(rtpg)[4] & 0x0F, "transitioning");
    }

    @Test
    void aCorruptClusterStaysAMediumError() throws Exception {
        serve();
        assertEquals(ScsiStatus.GOOD, runPastAttentions("2a 08 00 00 00 00 00 00 10 00", new byte[8192]).status());
        Path sco;
        try (Stream<Path> s = Files.list(dir.resolve("cacheA/v/sco"))) {
            sco = s.findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(sco, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {42}), 4096 + 17); // flip a byte of the second cluster
        }
        ScsiTargetTest.assertSense(run("28 00 00 00 00 08 00 00 08 00", null), 0x3, 0x11, 0x00);
        ScsiResult first = run("28 00 00 00 00 00 00 00 08 00", null);
        assertEquals(ScsiStatus.GOOD, first.status(), "the intact cluster reads: the LU is still served");
        first.release();
    }
}
