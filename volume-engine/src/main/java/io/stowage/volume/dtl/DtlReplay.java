package io.stowage.volume.dtl;

import io.stowage.volume.log.ObjectNames;
import io.stowage.volume.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The new owner's side of the DTL, at open, after the claim has bumped the epoch (so the former owner's TLog and
 * header commits are refused) and before the local recovery reads the cache:
 *
 * <ol>
 *   <li><b>Fence.</b> An empty object takes the next DTL name of the former owner's epoch (exclusive create; if the
 *       former owner got there first, list again and go after it). Its next ship meets that name and is refused, so
 *       every flush it ever acknowledged is in an object listed here.</li>
 *   <li><b>Rebuild</b> (only if the cache is not the former owner's own: another node, or a lost cache). The records
 *       not covered by the committed header are written into the cache's TLog and SCO files, named with the new
 *       epoch (a former owner's objects of the old names can never be mistaken for them); the ordinary local
 *       recovery then replays them, checks every cluster's CRC, and queues them for upload.</li>
 * </ol>
 *
 * <p>Objects of earlier epochs that were not dropped (an owner lost before it re-shipped what it replayed) are read
 * too; for each file the newest epoch's records win. {@link #dropEarlier} deletes them once the new owner's own DTL
 * carries what was replayed; fences stay.
 */
public final class DtlReplay {
    private static final Logger log = LoggerFactory.getLogger(DtlReplay.class);

    private DtlReplay() {
    }

    /** True if the store holds any DTL object (a volume that never had the DTL on needs no fence). */
    public static boolean any(ObjectStore store) throws IOException {
        return !store.list(DtlObjects.PREFIX).isEmpty();
    }

    /**
     * Fences {@code formerEpoch}; if {@code rebuild}, writes what the DTL holds beyond the committed TLog
     * {@code lastTlog} and SCO {@code lastSco} into {@code tlogDir} and {@code scoDir} under {@code newEpoch}
     * (after {@code beforeRebuild}, if there is anything). Returns the number of bytes rebuilt.
     */
    /** Runs before anything is rebuilt (when there is something to rebuild): the cache makes room. */
    public interface BeforeRebuild {
        void run() throws IOException;
    }

    public static long recover(String volume, ObjectStore store, long formerEpoch, long newEpoch, boolean rebuild,
                               Path tlogDir, Path scoDir, long lastTlog, long lastSco, BeforeRebuild beforeRebuild)
            throws IOException {
        List<String> names = fence(store, formerEpoch);
        if (!rebuild) return 0;
        Map<Extent.Key, List<DtlObjects.Record>> files = new LinkedHashMap<>();
        Map<Extent.Key, Long> fileEpoch = new java.util.HashMap<>();
        for (String n : names) {
            byte[] body;
            try {
                body = store.getAll(n);
            } catch (NoSuchFileException e) {
                continue; // trimmed by the former owner meanwhile: its TLogs are committed
            }
            long e = DtlObjects.epoch(n);
            for (DtlObjects.Record r : DtlObjects.decode(n, body)) {
                if (r.kind() == Extent.Kind.TLOG ? r.number() <= lastTlog : r.number() <= lastSco) continue;
                Extent.Key k = new Extent.Key(r.kind(), r.number());
                Long had = fileEpoch.get(k);
                if (had == null || had < e) {
                    files.put(k, new ArrayList<>());
                    fileEpoch.put(k, e);
                }
                files.get(k).add(r);
            }
        }
        if (!files.isEmpty()) beforeRebuild.run();
        Files.createDirectories(tlogDir);
        Files.createDirectories(scoDir);
        long bytes = 0;
        for (Map.Entry<Extent.Key, List<DtlObjects.Record>> f : files.entrySet()) {
            Extent.Key k = f.getKey();
            Path p = k.kind() == Extent.Kind.TLOG ? tlogDir.resolve(ObjectNames.tlog(newEpoch, k.number()))
                    : scoDir.resolve(ObjectNames.sco(newEpoch, k.number(), 0));
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (DtlObjects.Record r : f.getValue()) {
                    ByteBuffer b = ByteBuffer.wrap(r.bytes());
                    long pos = r.offset();
                    while (b.hasRemaining()) pos += ch.write(b, pos);
                    bytes += r.bytes().length;
                }
                ch.force(false);
            }
        }
        if (!files.isEmpty()) {
            log.info("volume {}: rebuilt {} file(s), {} KiB, from the DTL of epoch {} (and any earlier one left)",
                    volume, files.size(), bytes >> 10, formerEpoch);
        }
        return bytes;
    }

    /**
     * Takes the next DTL name of {@code formerEpoch} with an empty object; returns the data objects of that epoch
     * and every earlier one, oldest first.
     */
    private static List<String> fence(ObjectStore store, long formerEpoch) throws IOException {
        while (true) {
            TreeMap<Long, List<String>> byEpoch = new TreeMap<>();
            for (String n : store.list(DtlObjects.PREFIX)) {
                byEpoch.computeIfAbsent(DtlObjects.epoch(n), e -> new ArrayList<>()).add(n);
            }
            List<String> former = byEpoch.getOrDefault(formerEpoch, List.of());
            long next = former.isEmpty() ? 0 : DtlObjects.index(former.get(former.size() - 1)) + 1;
            try {
                store.putExclusive(DtlObjects.name(formerEpoch, next), ByteBuffer.allocate(0));
            } catch (FileAlreadyExistsException e) {
                continue; // the former owner shipped once more: it goes into the list
            }
            List<String> out = new ArrayList<>();
            for (List<String> l : byEpoch.headMap(formerEpoch, true).values()) out.addAll(l);
            return out;
        }
    }

    /**
     * Deletes the DTL objects of epochs before {@code epoch}, but the last of each epoch (a fence, or the mark a
     * fence went after): what they held is committed or in this owner's DTL now.
     */
    public static void dropEarlier(ObjectStore store, long epoch) throws IOException {
        TreeMap<Long, List<String>> byEpoch = new TreeMap<>();
        for (String n : store.list(DtlObjects.PREFIX)) {
            long e = DtlObjects.epoch(n);
            if (e < epoch) byEpoch.computeIfAbsent(e, x -> new ArrayList<>()).add(n);
        }
        for (List<String> l : byEpoch.values()) {
            for (int i = 0; i < l.size() - 1; i++) store.delete(l.get(i));
        }
    }
}
