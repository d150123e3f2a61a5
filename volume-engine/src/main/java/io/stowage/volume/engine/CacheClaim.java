package io.stowage.volume.engine;

import io.stowage.volume.log.ObjectNames;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a cache directory the new owner's at open, after the header claim and before recovery reads the cache.
 * Whatever in it is not part of the volume's committed lineage is set aside, never replayed:
 *
 * <ul>
 *   <li>The cache's {@link CacheState} names another UUID: the volume was deleted and created again under the
 *       same name (on another node). Every TLog and SCO file is set aside and LMDB is dropped (rebuilt from the
 *       backend): nothing of the earlier volume may show through.</li>
 *   <li>The header's {@link VolumeHeader#tlogCommitEpoch} is newer than the epoch this cache last owned: another
 *       owner committed TLogs since, built on the header as it was before this cache's uncommitted writes. Those
 *       writes (local TLogs, and SCO files no committed TLog covers under their epoch) are set aside: replaying them
 *       would put a former owner's data over the new owner's and shadow its SCOs of the same numbers. LMDB and the
 *       committed SCO files stay valid: they hold a prefix of the same lineage.</li>
 * </ul>
 *
 * <p>In every case an SCO file whose number the header gives to another epoch (or to no committed TLog) is set
 * aside too: lookups are by number, so it would shadow the committed SCO of that number.
 *
 * <p>Set-aside files go to {@code quarantine/<epoch>-<millis>/} in the cache directory, kept for inspection (an
 * operator deletes them; they do not count against the cache budget), and are logged with their size. A cache
 * written by a release before cache states has no state file: its UUID cannot be checked, and the epoch it owned
 * is taken as the highest one in its file names. Not thread-safe: the loader calls it once per open.
 */
final class CacheClaim {
    private static final Logger log = LoggerFactory.getLogger(CacheClaim.class);
    static final String QUARANTINE = "quarantine";

    private CacheClaim() {
    }

    /**
     * Sets aside what is not the committed lineage of {@code header}, then records {@code epoch} as this cache's.
     * {@code previous} is the cache's state as read before the claim.
     */
    static void claim(String volume, Path cacheDir, VolumeHeader header, Optional<CacheState> previous, long epoch)
            throws IOException {
        Path tlogDir = Files.createDirectories(cacheDir.resolve("tlog"));
        Path scoDir = cacheDir.resolve("sco");
        if (previous.isPresent() && !previous.get().uuid().equals(header.uuid())) {
            List<Path> all = new ArrayList<>(files(tlogDir, "tlog."));
            all.addAll(files(scoDir, "sco."));
            long size = bytes(all);
            Path to = setAside(cacheDir, previous.get().epoch(), all);
            VolumeLoader.deleteTree(cacheDir.resolve("metadata"));
            log.warn("volume {}: the cache belongs to an earlier volume of this name (UUID {}, the volume now is {}):"
                            + " its metadata is dropped and {} file(s), {} KiB, are set aside in {}", volume,
                    previous.get().uuid(), header.uuid(), all.size(), size >> 10, to);
        } else {
            long owned = previous.map(CacheState::epoch).orElseGet(() -> highestFileEpoch(tlogDir, scoDir));
            // an SCO file whose number the header gives to another epoch (or to none) can never be that SCO: it
            // would shadow the committed one of its number (lookups are by number), so it goes whatever else holds
            List<Path> foreign = new ArrayList<>();
            for (Path p : files(scoDir, "sco.")) {
                String n = p.getFileName().toString();
                long number = ObjectNames.scoNumber(n);
                if (number <= header.lastSco() && header.scoEpoch(number) != ObjectNames.scoEpoch(n)) foreign.add(p);
            }
            if (!foreign.isEmpty()) {
                long size = bytes(foreign);
                Path to = setAside(cacheDir, owned, foreign);
                log.warn("volume {}: {} SCO file(s), {} KiB, carry numbers the committed header gives to another"
                        + " epoch; set aside in {}", volume, foreign.size(), size >> 10, to);
            }
            if (header.tlogCommitEpoch() > owned) {
                List<Path> stale = uncommitted(tlogDir, scoDir, header);
                if (!stale.isEmpty()) {
                    long size = bytes(stale);
                    Path to = setAside(cacheDir, owned, stale);
                    log.warn("volume {}: this cache last owned the volume at epoch {}, and another owner committed"
                                    + " since (epoch {}): its {} uncommitted file(s), {} KiB, are never replayed;"
                                    + " set aside in {}", volume, owned, header.tlogCommitEpoch(), stale.size(),
                            size >> 10, to);
                }
            }
        }
        new CacheState(header.uuid(), epoch).write(cacheDir);
    }

    /** The cache's TLog and SCO files that the committed header does not hold. */
    private static List<Path> uncommitted(Path tlogDir, Path scoDir, VolumeHeader header) throws IOException {
        Set<String> committedTlogs = new HashSet<>();
        for (VolumeHeader.TLogRecord r : header.tlogs()) committedTlogs.add(ObjectNames.tlog(r.epoch(), r.seq()));
        List<Path> stale = new ArrayList<>();
        for (Path p : files(tlogDir, "tlog.")) {
            if (!committedTlogs.contains(p.getFileName().toString())) stale.add(p);
        }
        for (Path p : files(scoDir, "sco.")) {
            String n = p.getFileName().toString();
            long number = ObjectNames.scoNumber(n);
            if (number > header.lastSco() || header.scoEpoch(number) != ObjectNames.scoEpoch(n)) stale.add(p);
        }
        return stale;
    }

    /**
     * Sets aside every TLog and SCO file of the cache that the committed header does not hold, before the DTL is
     * rebuilt into it: beyond the committed header the DTL holds every flush any owner acknowledged (each owner
     * ships again what its recovery found), so the cache's uncommitted files are either in it or were never
     * acknowledged; left in place, their numbers would collide with the rebuilt files'.
     */
    static void setAsideUncommitted(String volume, Path cacheDir, VolumeHeader header, long owned)
            throws IOException {
        List<Path> stale = uncommitted(cacheDir.resolve("tlog"), cacheDir.resolve("sco"), header);
        if (stale.isEmpty()) return;
        long size = bytes(stale);
        Path to = setAside(cacheDir, owned, stale);
        log.warn("volume {}: the DTL is rebuilt into the cache: its {} uncommitted file(s), {} KiB, are set aside in {}",
                volume, stale.size(), size >> 10, to);
    }

    private static List<Path> files(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }

    /** A cache of the release before cache states: it owned at least the newest epoch its files were written in. */
    private static long highestFileEpoch(Path tlogDir, Path scoDir) {
        long max = -1;
        try {
            for (Path p : files(tlogDir, "tlog.")) {
                if (ObjectNames.isTlog(p.getFileName().toString())) {
                    max = Math.max(max, ObjectNames.tlogEpoch(p.getFileName().toString()));
                }
            }
            for (Path p : files(scoDir, "sco.")) max = Math.max(max, ObjectNames.scoEpoch(p.getFileName().toString()));
        } catch (IOException | RuntimeException e) {
            return -1; // unreadable names: treat as owning nothing, so a commit by anyone makes the tail stale
        }
        return max;
    }

    /** Moves {@code files} (each keeps its directory's name: tlog/, sco/) under a new quarantine directory. */
    private static Path setAside(Path cacheDir, long epoch, List<Path> files) throws IOException {
        Path to = cacheDir.resolve(QUARANTINE).resolve(String.format("%08d-%d", epoch, System.currentTimeMillis()));
        Set<Path> dirs = new HashSet<>();
        for (Path f : files) {
            Path d = Files.createDirectories(to.resolve(f.getParent().getFileName()));
            Files.move(f, d.resolve(f.getFileName()));
            dirs.add(d);
            dirs.add(f.getParent());
        }
        dirs.add(to);
        dirs.add(to.getParent());
        for (Path d : dirs) {
            try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
                ch.force(true); // the moves survive a power cut: a set-aside file never comes back
            }
        }
        return to;
    }

    private static long bytes(List<Path> files) {
        long n = 0;
        for (Path f : files) n += f.toFile().length();
        return n;
    }
}
