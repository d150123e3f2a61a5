package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class VolumeHeaderTest {
    private static final UUID ID = UUID.fromString("0b4f8a36-5a55-4a8e-9d7a-1b0c2d3e4f50");

    private static VolumeHeader withRecords() {
        return new VolumeHeader("v", ID, 1 << 30, 1024, 3, List.of(
                new VolumeHeader.TLogRecord(1, 1, 1, 4),
                new VolumeHeader.TLogRecord(2, 1, 0, -1), // discards only: no SCO
                new VolumeHeader.TLogRecord(3, 1, 5, 6),
                new VolumeHeader.TLogRecord(4, 2, 7, 7), // a takeover: epoch 2
                new VolumeHeader.TLogRecord(5, 3, 8, 9)));
    }

    @Test
    void aCheckpointFoldsTheRecordsUpToItIntoScoSegmentsPerEpoch() {
        VolumeHeader h = withRecords().withCheckpoint(new VolumeHeader.Checkpoint(4, 3, 100));
        assertEquals(List.of(new VolumeHeader.TLogRecord(5, 3, 8, 9)), h.tlogs());
        assertEquals(List.of(new VolumeHeader.ScoSegment(1, 1, 6), new VolumeHeader.ScoSegment(2, 7, 7)),
                h.foldedScos());
        assertEquals(5, h.lastTlogSeq());
        assertEquals(9, h.lastSco());
        for (long sco = 1; sco <= 9; sco++) {
            assertEquals(withRecords().scoEpoch(sco), h.scoEpoch(sco), "SCO " + sco);
        }
        assertEquals(-1, h.scoEpoch(10));
        VolumeHeader all = h.withCheckpoint(new VolumeHeader.Checkpoint(5, 3, 100));
        assertEquals(5, all.lastTlogSeq(), "with no records left the checkpoint's TLog is the last committed");
        assertEquals(3, all.foldedScos().size());
    }

    @Test
    void bothFormatsRoundTripAndAnUnknownFormatIsRefusedClearly() {
        VolumeHeader v1 = withRecords();
        assertTrue(new String(v1.serialize(), StandardCharsets.UTF_8).startsWith("stowage-volume-header 1\n"),
                "no checkpoint: the format releases before checkpoints read");
        assertEquals(v1, VolumeHeader.parse(v1.serialize()));
        VolumeHeader v2 = v1.withCheckpoint(new VolumeHeader.Checkpoint(3, 3, 12));
        assertTrue(new String(v2.serialize(), StandardCharsets.UTF_8).startsWith("stowage-volume-header 2\n"));
        assertEquals(v2, VolumeHeader.parse(v2.serialize()));
        byte[] future = new String(v2.serialize(), StandardCharsets.UTF_8)
                .replace("stowage-volume-header 2", "stowage-volume-header 6").getBytes(StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VolumeHeader.parse(future));
        assertTrue(e.getMessage().contains("format 6"), e.getMessage());
    }

    @Test
    void snapshotsAreFormat3AndKeepWhatTheyNeedThroughCheckpoints() {
        VolumeHeader h = withRecords().withSnapshot(new VolumeHeader.Snapshot("before-upgrade", 3, 1700000000000L, 42, 0));
        assertTrue(new String(h.serialize(), StandardCharsets.UTF_8).startsWith("stowage-volume-header 3\n"),
                "a header with snapshots must be refused by a release that would collect their TLogs");
        assertEquals(h, VolumeHeader.parse(h.serialize()));
        VolumeHeader c = h.withCheckpoint(new VolumeHeader.Checkpoint(5, 3, 9));
        assertEquals(List.of(1L, 2L, 3L), c.retention().tlogs().stream().map(VolumeHeader.TLogRecord::seq).toList(),
                "no checkpoint at or before the cut: the snapshot needs TLogs 1 to 3");
        assertTrue(c.objectNames().contains(io.stowage.volume.log.ObjectNames.tlog(1, 3)));
        assertFalse(c.objectNames().contains(io.stowage.volume.log.ObjectNames.tlog(2, 4)), "TLog 4 is after the cut and folded: garbage");
        assertEquals(c, VolumeHeader.parse(c.serialize()));
        VolumeHeader d = c.withoutSnapshot("before-upgrade");
        assertTrue(d.retention().tlogs().isEmpty());
        assertTrue(new String(d.serialize(), StandardCharsets.UTF_8).startsWith("stowage-volume-header 2\n"),
                "without snapshots the format older releases read");
    }

    /** A snapshot a scrub rewrote has its own map: format 5, and it needs none of its former TLogs. */
    @Test
    void aSnapshotWithItsOwnMapIsFormat5AndNeedsNoTlogs() {
        VolumeHeader c = withRecords().withSnapshot(new VolumeHeader.Snapshot("s", 3, 1700000000000L, 42, 0))
                .withCheckpoint(new VolumeHeader.Checkpoint(5, 3, 9));
        assertFalse(c.retention().tlogs().isEmpty(), "the snapshot needs TLogs 1 to 3");
        VolumeHeader.SnapshotMap m = new VolumeHeader.SnapshotMap(4, c.nextSnapshotMapGeneration(4), 7);
        VolumeHeader r = c.withSnapshotMaps(Map.of("s", m));
        assertTrue(new String(r.serialize(), StandardCharsets.UTF_8).startsWith("stowage-volume-header 5\n"),
                "a release before snapshot maps would read the snapshot from TLogs that are gone");
        assertEquals(r, VolumeHeader.parse(r.serialize()));
        assertEquals(m, VolumeHeader.parse(r.serialize()).snapshot("s").map());
        assertTrue(r.retention().tlogs().isEmpty(), "its own map holds it all");
        assertTrue(r.objectNames().contains(io.stowage.volume.log.ObjectNames.snapshotMap(4, 0)));
        assertFalse(r.objectNames().contains(io.stowage.volume.log.ObjectNames.tlog(1, 3)), "garbage once committed");
        assertEquals(1, r.nextSnapshotMapGeneration(4));
        assertEquals(m, r.withClones("s", 1).snapshot("s").map(), "a clone count keeps the map");
    }
}
