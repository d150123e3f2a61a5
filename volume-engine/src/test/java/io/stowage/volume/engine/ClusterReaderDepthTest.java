package io.stowage.volume.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stowage.volume.log.ClusterLocation;
import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read path resolves a location's clone depth to the ancestor's store; the SCO cache never mixes namespaces. */
class ClusterReaderDepthTest {
    @TempDir Path dir;

    private static byte[] cluster(int value) {
        byte[] b = new byte[Volume.CLUSTER];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    @Test
    void aLocationOfDepthDIsReadFromTheDthAncestorsSco() throws Exception {
        DirectoryBackend backend = new DirectoryBackend(dir.resolve("objects"));
        UUID gp = UUID.randomUUID();
        UUID p = UUID.randomUUID();
        // SCO 5 exists in all three namespaces, under different epochs and with different data
        ObjectStore gps = backend.volume("gp");
        ObjectStore ps = backend.volume("p");
        ObjectStore own = backend.volume("c");
        byte[] g = cluster('G');
        byte[] pp = cluster('P');
        byte[] c = cluster('C');
        gps.putExclusive(ObjectNames.sco(7, 5, 0), ByteBuffer.wrap(concat(cluster(0), g)));
        ps.putExclusive(ObjectNames.sco(3, 5, 0), ByteBuffer.wrap(concat(pp, cluster(0))));
        commit(gps, new VolumeHeader("gp", gp, 1 << 20, 16, 7, List.of(new VolumeHeader.TLogRecord(1, 7, 5, 5))));
        commit(ps, new VolumeHeader("p", p, 1 << 20, 16, 3, List.of(new VolumeHeader.TLogRecord(1, 3, 5, 5))));
        VolumeHeader mine = new VolumeHeader("c", UUID.randomUUID(), 1 << 20, 16, 1,
                List.of(new VolumeHeader.TLogRecord(2, 1, 5, 5)), null, List.of(), 1,
                VolumeHeader.Retention.NONE, List.of(new VolumeHeader.Ancestor("p", p, "s", 1),
                new VolumeHeader.Ancestor("gp", gp, "t", 1)));
        assertEquals(mine, VolumeHeader.parse(mine.serialize()), "the lineage survives the header's text form");

        ClusterMap map = new ClusterMap(dir.resolve("metadata"), 1 << 20);
        ScoCache scos = new ScoCache(java.nio.file.Files.createDirectories(dir.resolve("sco")), LocalFiles.SYSTEM);
        ScoCache.Sco cached = scos.create(1, 5); // this volume's own SCO 5, in the cache
        cached.channel.write(ByteBuffer.wrap(c), 0);
        map.put(0, map.written(ClusterLocation.of(0, 5, 0), crc(c)));
        map.put(1, map.written(ClusterLocation.of(1, 5, 0), crc(pp)));
        map.put(2, map.written(ClusterLocation.of(2, 5, 1), crc(g)));
        try {
            ClusterReader reader = new ClusterReader("c", map, scos, null, own, () -> mine, e -> { },
                    NamespaceMap.open(mine, backend));
            ByteBuffer out = ByteBuffer.allocate(3 * Volume.CLUSTER);
            reader.readClusters(0, 3, out.duplicate());
            assertEquals('C', out.get(0));
            assertEquals('P', out.get(Volume.CLUSTER), "depth 1: the parent's SCO, not the cached one of that number");
            assertEquals('G', out.get(2 * Volume.CLUSTER), "depth 2: the grandparent's");
        } finally {
            scos.closeAll();
            map.close();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void commit(ObjectStore s, VolumeHeader h) throws Exception {
        s.commitHeader(-1, -1, new ObjectStore.VolumeHeaderBytes(h.epoch(), h.lastTlogSeq(), h.serialize()));
    }
}
