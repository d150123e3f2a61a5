package io.stowage.node.catalogue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a node serves: its volumes, its targets and their LUN mappings, as one immutable value kept in the backend
 * ({@link CatalogueStore}) so every node sharing it sees the same and a restart keeps what the admin API did.
 * Every change makes a new value ({@code with…}/{@code without…}). {@code seeds} remembers, per node, which volumes
 * and targets of its config file have already been applied, so the file's {@code volume.*}/{@code target.*} keys
 * seed the catalogue once and later only their changes apply (docs/operations.md, "Which wins"); {@code seed} is
 * the one record earlier releases kept for all nodes, read while a node has none of its own.
 */
public record Catalogue(int format, SortedMap<String, VolumeEntry> volumes, SortedMap<String, TargetEntry> targets,
                        Seed seed, ChapEntry discoveryChap, SortedMap<String, Seed> seeds) {
    /**
     * The newest format this release reads and writes. 2 once CHAP is catalogued: a release that reads only format 1
     * then refuses the catalogue rather than rewrite it without the secrets (which would open the targets).
     */
    public static final int FORMAT = 2;
    /** The format of a catalogue that holds no CHAP (what earlier releases wrote and still read). */
    static final int FORMAT_WITHOUT_CHAP = 1;

    /**
     * CHAP credentials as catalogued (set with {@code stowage chap set}): the name and secret initiators prove and,
     * for mutual CHAP, those the target proves back. {@link #NONE} (every value null) says no CHAP is required,
     * whatever the config file says. Never printed: {@link #toString} hides the secrets.
     */
    public record ChapEntry(String user, String secret, String mutualUser, String mutualSecret) {
        public static final ChapEntry NONE = new ChapEntry(null, null, null, null);

        /** No CHAP required. */
        public boolean none() {
            return user == null;
        }

        @Override
        public String toString() {
            return none() ? "ChapEntry[none]" : "ChapEntry[user=" + user + ", mutualUser=" + mutualUser + ", secrets hidden]";
        }
    }

    /** A volume as catalogued: its size (the engine keeps its data and the size it has reached). */
    public record VolumeEntry(long sizeBytes) {
    }

    /**
     * A target: its IQN, LUN → volume name, the node that serves it ({@code node.name}; a volume has one owner at a
     * time, so two nodes must not serve the same LUNs; null: shared, made under {@code node.ownership = lease} and
     * served by every node running under leases, where each volume's lease picks its owner), the initiators it
     * admits ({@code allowedInitiators}: null = not set here, the config file's key applies; empty = every one) and
     * its CHAP ({@code chap}: null = not set here, the config file's keys apply; {@link ChapEntry#NONE}: none).
     */
    public record TargetEntry(String iqn, SortedMap<Integer, String> luns, String node, List<String> allowedInitiators,
                              ChapEntry chap) {
        public TargetEntry {
            luns = frozen(luns);
            allowedInitiators = allowedInitiators == null ? null : List.copyOf(new java.util.TreeSet<>(allowedInitiators));
        }

        public TargetEntry(String iqn, SortedMap<Integer, String> luns, String node, List<String> allowedInitiators) {
            this(iqn, luns, node, allowedInitiators, null);
        }

        public TargetEntry(String iqn, SortedMap<Integer, String> luns) {
            this(iqn, luns, null, null);
        }

        public TargetEntry(String iqn, SortedMap<Integer, String> luns, String node) {
            this(iqn, luns, node, null);
        }

        public TargetEntry withLun(int lun, String volume) {
            TreeMap<Integer, String> m = new TreeMap<>(luns);
            m.put(lun, volume);
            return new TargetEntry(iqn, m, node, allowedInitiators, chap);
        }

        public TargetEntry withoutLun(int lun) {
            TreeMap<Integer, String> m = new TreeMap<>(luns);
            m.remove(lun);
            return new TargetEntry(iqn, m, node, allowedInitiators, chap);
        }

        public TargetEntry withAllowedInitiators(List<String> initiators) {
            return new TargetEntry(iqn, luns, node, initiators, chap);
        }

        public TargetEntry withChap(ChapEntry c) {
            return new TargetEntry(iqn, luns, node, allowedInitiators, c);
        }

        /** Whether the target is {@code nodeName}'s or shared (a node with static ownership serves only its own). */
        public boolean servedBy(String nodeName) {
            return node == null || node.equals(nodeName);
        }
    }

    /** The config file's volume sizes and targets as last applied to the catalogue. */
    public record Seed(SortedMap<String, Long> volumes, SortedMap<String, TargetEntry> targets) {
        public Seed {
            volumes = frozen(volumes);
            targets = frozen(targets);
        }
    }

    /** A LUN of a target that exports a volume. */
    public record Export(String target, String iqn, int lun, String volume) {
    }

    public Catalogue {
        volumes = frozen(volumes);
        targets = frozen(targets);
        if (seed == null) seed = new Seed(null, null);
        seeds = frozen(seeds);
        if (format == 0) format = FORMAT_WITHOUT_CHAP;
    }

    public Catalogue(int format, SortedMap<String, VolumeEntry> volumes, SortedMap<String, TargetEntry> targets,
                     Seed seed) {
        this(format, volumes, targets, seed, null, null);
    }

    public static Catalogue empty() {
        return new Catalogue(FORMAT_WITHOUT_CHAP, null, null, null, null, null);
    }

    /** Whether any CHAP is catalogued (the catalogue is then written in {@link #FORMAT}). */
    public boolean holdsChap() {
        return discoveryChap != null || targets.values().stream().anyMatch(t -> t.chap() != null);
    }

    /** The catalogue with discovery CHAP set ({@link ChapEntry#NONE}: none; null: the config file's applies). */
    public Catalogue withDiscoveryChap(ChapEntry c) {
        return new Catalogue(format, volumes, targets, seed, c, seeds).formatted();
    }

    /** In the format its content needs: 2 once it holds CHAP, never lowered. */
    Catalogue formatted() {
        int f = holdsChap() ? Math.max(format, FORMAT) : format;
        return f == format ? this : new Catalogue(f, volumes, targets, seed, discoveryChap, seeds);
    }

    public Catalogue withVolume(String name, VolumeEntry v) {
        TreeMap<String, VolumeEntry> m = new TreeMap<>(volumes);
        m.put(name, v);
        return new Catalogue(format, m, targets, seed, discoveryChap, seeds);
    }

    public Catalogue withoutVolume(String name) {
        TreeMap<String, VolumeEntry> m = new TreeMap<>(volumes);
        m.remove(name);
        return new Catalogue(format, m, targets, seed, discoveryChap, seeds);
    }

    public Catalogue withTarget(String name, TargetEntry t) {
        TreeMap<String, TargetEntry> m = new TreeMap<>(targets);
        m.put(name, t);
        return new Catalogue(format, volumes, m, seed, discoveryChap, seeds).formatted();
    }

    public Catalogue withoutTarget(String name) {
        TreeMap<String, TargetEntry> m = new TreeMap<>(targets);
        m.remove(name);
        return new Catalogue(format, volumes, m, seed, discoveryChap, seeds);
    }

    /**
     * What node {@code node}'s config file last seeded: its own entry in {@code seeds}, else the one {@code seed} an
     * earlier release kept for the whole catalogue (every node's file seeds for itself, so one node's start or
     * reload never passes for a change in another node's file).
     */
    public Seed seedOf(String node) {
        return seeds.getOrDefault(node, seed);
    }

    /** The catalogue with node {@code node}'s seed replaced (the shared {@code seed} is left as it was). */
    public Catalogue withSeed(String node, Seed s) {
        TreeMap<String, Seed> m = new TreeMap<>(seeds);
        m.put(node, s);
        return new Catalogue(format, volumes, targets, seed, discoveryChap, m);
    }

    /** The catalogue with the shared seed of earlier releases replaced. */
    public Catalogue withSeed(Seed s) {
        return new Catalogue(format, volumes, targets, s, discoveryChap, seeds);
    }

    /** Every LUN mapping, by target then LUN. */
    public List<Export> exports() {
        List<Export> out = new ArrayList<>();
        targets.forEach((name, t) -> t.luns().forEach((lun, vol) -> out.add(new Export(name, t.iqn(), lun, vol))));
        return out;
    }

    /** The LUNs that export {@code volume}. */
    public List<Export> exportsOf(String volume) {
        return exports().stream().filter(e -> e.volume().equals(volume)).toList();
    }

    /** The target named {@code nameOrIqn} (its catalogue name or its IQN), or null. */
    public String targetName(String nameOrIqn) {
        if (targets.containsKey(nameOrIqn)) return nameOrIqn;
        for (Map.Entry<String, TargetEntry> e : targets.entrySet()) {
            if (e.getValue().iqn().equals(nameOrIqn)) return e.getKey();
        }
        return null;
    }

    private static <K, V> SortedMap<K, V> frozen(SortedMap<K, V> m) {
        return Collections.unmodifiableSortedMap(m == null ? new TreeMap<>() : new TreeMap<>(m));
    }
}
