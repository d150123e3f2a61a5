package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LMDB map is sized from the volume and grows when full: a volume never halts or becomes unopenable on it. */
class MetadataMapSizeTest {
    @TempDir Path dir;

    @Test
    void aFullMetadataMapGrowsInsteadOfHaltingTheVolume() throws Exception {
        // a 1 MiB map holds about 35,000 mappings; 65,536 are committed below
        VolumeConfig tiny = new VolumeConfig(1024, 8, 3_600_000, 64L << 20, 256L << 20, 1L << 20);
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")), tiny);
        engine.create("v", 256L << 20);
        byte[] data = new byte[256 * Volume.CLUSTER];
        new java.util.Random(5).nextBytes(data);
        try (Volume v = engine.open("v")) {
            v.write(0, ByteBuffer.wrap(data), false);
            for (long n = 256; n < 65_536; n *= 2) v.copyClusters(0, n, n); // metadata only: doubles what is mapped
            v.syncToBackend(60_000);
            assertFalse(v.stats().halted(), "the volume halted on a full metadata map");
            assertTrue(v.map.mapSize() > (1L << 20), "the map grew: " + v.map.mapSize());
            assertReadsBack(v, data);
        }
        try (Volume v = engine.open("v")) { // and it opens again, with the same small configured size
            assertReadsBack(v, data);
        }
    }

    private static void assertReadsBack(Volume v, byte[] data) throws Exception {
        for (long at : new long[] {0, 256, 40_000 - 40_000 % 256, 65_536 - 256}) {
            ByteBuffer got = ByteBuffer.allocate(data.length);
            v.read(at * Volume.CLUSTER, got);
            assertArrayEquals(data, got.array(), "clusters from " + at);
        }
    }

    @Test
    void theMapIsSizedFromTheVolumeSoAFullyWritten16TibVolumeFits() throws Exception {
        long clusters16Tib = (16L << 40) / Volume.CLUSTER;
        // a full leaf page holds 136 mappings (30 B each); after random inserts pages are at least half full
        long worstCaseBytes = clusters16Tib * 60;
        assertTrue(ClusterMap.mapSizeFor(16L << 40) >= worstCaseBytes, "map for 16 TiB: "
                + ClusterMap.mapSizeFor(16L << 40));

        VolumeConfig derived = new VolumeConfig(1024, 8, 5000, 64L << 20, 256L << 20,
                VolumeConfig.METADATA_MAP_FROM_VOLUME_SIZE);
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                derived);
        engine.create("big", 16L << 40);
        try (Volume v = engine.open("big")) {
            assertEquals(ClusterMap.mapSizeFor(16L << 40), v.map.mapSize());
            v.write(0, ByteBuffer.allocate(Volume.CLUSTER), true);
        }
        assertEquals(VolumeConfig.METADATA_MAP_FROM_VOLUME_SIZE, VolumeConfig.DEFAULT.metadataMapBytes(),
                "by default the map is sized from the volume, not fixed");
    }
}
