package io.stowage.node.admin;

import io.stowage.iscsi.session.ExportedTarget;
import io.stowage.iscsi.session.Session;
import io.stowage.iscsi.session.SessionRegistry;
import io.stowage.iscsi.session.TargetDirectory;
import io.stowage.iscsi.login.ChapCredentials;
import io.stowage.node.admin.AdminException.Kind;
import io.stowage.node.admin.Views.AclView;
import io.stowage.node.admin.Views.ExportView;
import io.stowage.node.admin.Views.SessionView;
import io.stowage.node.admin.Views.SnapshotView;
import io.stowage.node.admin.Views.StatusView;
import io.stowage.node.admin.Views.TargetView;
import io.stowage.node.admin.Views.VolumeView;
import io.stowage.node.catalogue.Catalogue;
import io.stowage.node.catalogue.CatalogueStore;
import io.stowage.scsi.BufferPool;
import io.stowage.scsi.LogicalUnit;
import io.stowage.scsi.ScsiTarget;
import io.stowage.scsi.TargetPortIdentity;
import io.stowage.volume.BlockDevice;
import io.stowage.volume.VolumeInfo;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import io.stowage.volume.engine.Snapshots;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations on a running node, shared by the config reload (SIGHUP), the admin API and so the CLI: each one
 * changes the {@link Catalogue} (compare-and-swap in the backend) and then makes the node serve what the catalogue
 * says ({@link #reconcile}): targets are added to and removed from the portal's directory, LUNs added (POWER ON for
 * the new LU, REPORTED LUNS DATA HAS CHANGED for the others) and removed (REPORTED LUNS DATA HAS CHANGED),
 * volumes opened, grown (CAPACITY DATA HAS CHANGED) and deleted. Nothing needs a restart.
 *
 * <p>One operation at a time per node (the methods are synchronized); the catalogue's compare-and-swap orders
 * them against other nodes sharing the backend. A volume is opened when first exported and stays open until it is
 * deleted or the node stops: a command still running on an unexported LU finishes on an open device.
 */
public final class Operations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Operations.class);
    private static final Pattern TARGET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IQN = Pattern.compile(
            "(iqn\\.\\d{4}-\\d{2}\\.[^\\s]+|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})");
    public static final int MAX_LUN = 16383;
    /** The IQN of a target named NAME is this + NAME unless given (the config file's default too). */
    public static final String DEFAULT_IQN_PREFIX = "iqn.2026-11.io.stowage:";

    /**
     * What the config file says that the operations use: this node's name (the targets it serves), the volumes and
     * targets that seed the catalogue, and the per-target and per-volume node settings (CHAP, ACLs,
     * write-through; CHAP and ACLs apply while the catalogue has none of its own), and discovery CHAP (null: none).
     * The daemon makes it from its config.
     */
    public record FileSettings(String nodeName, Map<String, Long> volumeSizes, Map<String, Catalogue.TargetEntry> targets,
                               java.util.function.Function<String, ChapCredentials> chap,
                               java.util.function.Function<String, java.util.Set<String>> allowedInitiators,
                               java.util.function.Predicate<String> writeThrough, ChapCredentials discoveryChap,
                               boolean sharedTargets) {
        public FileSettings(String nodeName, Map<String, Long> volumeSizes, Map<String, Catalogue.TargetEntry> targets,
                            java.util.function.Function<String, ChapCredentials> chap,
                            java.util.function.Function<String, java.util.Set<String>> allowedInitiators,
                            java.util.function.Predicate<String> writeThrough, ChapCredentials discoveryChap) {
            this(nodeName, volumeSizes, targets, chap, allowedInitiators, writeThrough, discoveryChap, false);
        }

        /** No discovery CHAP; targets belong to this node (static ownership). */
        public FileSettings(String nodeName, Map<String, Long> volumeSizes, Map<String, Catalogue.TargetEntry> targets,
                            java.util.function.Function<String, ChapCredentials> chap,
                            java.util.function.Function<String, java.util.Set<String>> allowedInitiators,
                            java.util.function.Predicate<String> writeThrough) {
            this(nodeName, volumeSizes, targets, chap, allowedInitiators, writeThrough, null, false);
        }

        /** The node a target made here is catalogued as served by: none (every node) under leases. */
        String targetNode() {
            return sharedTargets ? null : nodeName;
        }

        /**
         * Whether this node serves the target: its own (catalogued with its name) and, under leases, the shared ones
         * (no node). A node with static ownership never serves a shared target: it would open the volumes without
         * their lease and fence the node holding it.
         */
        boolean serves(Catalogue.TargetEntry t) {
            return t.node() == null ? sharedTargets : t.node().equals(nodeName);
        }
    }

    private final VolumeEngine engine;
    private final CatalogueStore store;
    private final TargetDirectory directory;
    private final SessionRegistry registry;
    private final BufferPool buffers;
    private final ExecutorService io;
    /** The node id: portal group tag, ALUA port group and relative port of every target (node.id). */
    private final int portalGroupTag;
    private final long startedAt = System.currentTimeMillis();
    private FileSettings config;
    private Catalogue current = Catalogue.empty();
    private long version;
    /** Open volumes, by name. */
    private final Map<String, BlockDevice> devices = new LinkedHashMap<>();
    /**
     * One logical unit per volume, shared by every target that exports it: one NAA is one device to initiators,
     * so its reservations and unit attentions must be one set too (as a LIO backstore in several targets).
     */
    private final Map<String, LogicalUnit> units = new LinkedHashMap<>();
    /** Served targets, by catalogue name. */
    private final Map<String, ExportedTarget> live = new LinkedHashMap<>();
    /** Long operations (rollback, backend restart, scrub passes) the API answers with a job for. */
    private final Jobs jobs = new Jobs();
    /** Volumes a job works on (rollback, backend restart), and what: deleting or exporting them is refused. */
    private final Map<String, String> busy = new java.util.concurrent.ConcurrentHashMap<>();
    private boolean closed;
    /** With node.ownership = lease: who serves each volume (its LU is standby here unless this node holds the lease). */
    private io.stowage.node.ownership.Ownership ownership;

    public Operations(VolumeEngine engine, CatalogueStore store, TargetDirectory directory, SessionRegistry registry,
                      BufferPool buffers, ExecutorService io, int portalGroupTag, FileSettings config) {
        this.engine = engine;
        this.store = store;
        this.directory = directory;
        this.registry = registry;
        this.buffers = buffers;
        this.io = io;
        this.portalGroupTag = portalGroupTag;
        this.config = config;
    }

    /** Serve volumes under leases (before {@link #start}); closed with the operations. */
    public synchronized void useLeases(io.stowage.node.ownership.Ownership leases) {
        this.ownership = leases;
    }

    /** The volumes' ownership under leases, or null (static ownership). */
    public io.stowage.node.ownership.Ownership ownership() {
        return ownership;
    }

    /**
     * First serving: reads the catalogue (seeding it from the config file's volumes and targets at first start,
     * then applying what changed in the file since) and serves it. Any volume that cannot be opened fails the
     * start, as it always did.
     */
    public synchronized List<String> start() throws IOException {
        List<String> report = applyConfig(config);
        List<String> failures = new ArrayList<>();
        report.addAll(reconcile(failures));
        if (!failures.isEmpty()) throw new IOException(failures.get(0));
        return report;
    }

    /**
     * A re-read config file (SIGHUP): what changed in its volumes and targets since it was last applied goes into
     * the catalogue (new volumes, targets and LUNs, grown sizes); removals in the file are reported and left to
     * the CLI, since the catalogue wins. Returns one line per change or refusal.
     */
    public synchronized List<String> reload(FileSettings fresh) throws IOException {
        config = fresh;
        List<String> report = applyConfig(fresh);
        report.addAll(reconcile(new ArrayList<>()));
        return report;
    }

    private List<String> applyConfig(FileSettings cfg) throws IOException {
        List<List<String>> lines = new ArrayList<>(List.of(new ArrayList<>()));
        CatalogueStore.Versioned v = store.update(c -> {
            List<String> report = new ArrayList<>(); // afresh on each attempt
            lines.set(0, report);
            return seeded(c, cfg, report);
        });
        current = v.catalogue();
        version = v.version();
        return new ArrayList<>(lines.get(0));
    }

    /** {@code c} with the config file's volumes and targets applied where they changed since this node's seed. */
    private static Catalogue seeded(Catalogue c, FileSettings cfg, List<String> report) {
        Catalogue.Seed seed = c.seedOf(cfg.nodeName());
        for (Map.Entry<String, Long> e : cfg.volumeSizes().entrySet()) {
            String name = e.getKey();
            long size = e.getValue();
            if (Objects.equals(seed.volumes().get(name), size)) continue; // unchanged in the file: catalogue wins
            Catalogue.VolumeEntry cur = c.volumes().get(name);
            if (cur == null || size > cur.sizeBytes()) {
                c = c.withVolume(name, new Catalogue.VolumeEntry(size));
            } else if (size < cur.sizeBytes()) {
                report.add("volume " + name + " not resized: cannot shrink from " + cur.sizeBytes() + " to " + size
                        + " bytes");
            }
        }
        TreeMap<String, Catalogue.TargetEntry> seededTargets = new TreeMap<>();
        for (Map.Entry<String, Catalogue.TargetEntry> e : cfg.targets().entrySet()) {
            String name = e.getKey();
            Catalogue.TargetEntry t = e.getValue();
            seededTargets.put(name, t);
            Catalogue.TargetEntry before = seed.targets().get(name);
            Catalogue.TargetEntry cur = c.targets().get(name);
            if (cur == null) {
                if (before != null) continue; // deleted through the CLI since: the catalogue wins
                String clash = c.targetName(t.iqn());
                if (clash != null) {
                    report.add("target " + name + " not added: IQN " + t.iqn() + " is target " + clash + "'s");
                    continue;
                }
                cur = new Catalogue.TargetEntry(t.iqn(), null, cfg.targetNode());
            }
            for (Map.Entry<Integer, String> lun : t.luns().entrySet()) {
                if (before != null && lun.getValue().equals(before.luns().get(lun.getKey()))) continue;
                String there = cur.luns().get(lun.getKey());
                if (there != null) {
                    if (!there.equals(lun.getValue())) {
                        report.add("target " + t.iqn() + " LUN " + lun.getKey() + " changed volume in the config: kept"
                                + " as volume " + there + " (stowage export remove, then add)");
                    }
                } else if (!cur.luns().containsValue(lun.getValue())) {
                    cur = cur.withLun(lun.getKey(), lun.getValue());
                }
            }
            if (before != null) {
                for (Map.Entry<Integer, String> lun : before.luns().entrySet()) {
                    if (!t.luns().containsKey(lun.getKey()) && lun.getValue().equals(cur.luns().get(lun.getKey()))) {
                        report.add("target " + t.iqn() + " LUN " + lun.getKey() + " removed from the config: still"
                                + " exported (stowage export remove " + name + " " + lun.getKey() + ")");
                    }
                }
            }
            c = c.withTarget(name, cur);
        }
        for (String gone : seed.targets().keySet()) {
            if (!cfg.targets().containsKey(gone) && c.targets().containsKey(gone)) {
                report.add("target " + c.targets().get(gone).iqn() + " removed from the config: still served"
                        + " (stowage target delete " + gone + ")");
            }
        }
        return c.withSeed(cfg.nodeName(), new Catalogue.Seed(new TreeMap<>(cfg.volumeSizes()), seededTargets));
    }

    /**
     * Makes the node serve {@link #current}: targets and LUNs added and removed, open volumes grown. Returns one
     * line per change; what could not be done goes to the report and to {@code failures}.
     */
    private List<String> reconcile(List<String> failures) {
        List<String> report = new ArrayList<>();
        Catalogue c = current;
        ChapCredentials discovery = ChapSettings.effective(c.discoveryChap(), config.discoveryChap());
        if (!ChapCredentials.same(directory.discoveryChap(), discovery)) {
            directory.discoveryChap(discovery);
            report.add("discovery " + ChapSettings.describe(discovery) + " for new logins");
        }
        for (String name : List.copyOf(live.keySet())) {
            Catalogue.TargetEntry entry = c.targets().get(name);
            if (entry == null || !config.serves(entry)) {
                ExportedTarget t = live.remove(name);
                for (int lun : t.scsi().luns().keySet()) t.scsi().removeLun(lun);
                directory.remove(t.name());
                int closed = registry.closeSessionsOf(t, "target deleted");
                report.add("target " + t.name() + " deleted" + (closed > 0 ? " (" + closed + " sessions closed)" : ""));
            }
        }
        for (Map.Entry<String, Catalogue.TargetEntry> e : c.targets().entrySet()) {
            if (!config.serves(e.getValue())) continue; // another node's, or shared under leases
            ExportedTarget t = live.get(e.getKey());
            if (t == null) {
                t = serve(e.getKey(), e.getValue());
                report.add("target " + t.name() + " created");
            }
            java.util.Set<String> admits = admitted(e.getKey(), e.getValue());
            ChapCredentials chap = ChapSettings.effective(e.getValue().chap(), config.chap().apply(e.getKey()));
            if (!t.allowedInitiators().equals(admits) || !ChapCredentials.same(t.chap(), chap)) {
                ExportedTarget old = t;
                t = new ExportedTarget(old.name(), old.scsi(), old.portalGroupTag(), chap, admits, old.alias());
                ExportedTarget now = t;
                live.put(e.getKey(), t);
                directory.replace(t); // new logins see it; sessions logged in stay
                if (!old.allowedInitiators().equals(admits)) {
                    int closed = registry.closeSessionsOf(t, s -> !now.allows(s.initiatorName()), "taken off the ACL");
                    report.add("target " + t.name() + (admits.isEmpty() ? " admits every initiator" : " admits only "
                            + admits) + (closed > 0 ? " (" + closed + " sessions closed)" : ""));
                }
                if (!ChapCredentials.same(old.chap(), chap)) {
                    report.add("target " + t.name() + " " + ChapSettings.describe(chap) + " for new logins");
                }
            }
            ScsiTarget scsi = t.scsi();
            for (Map.Entry<Integer, LogicalUnit> lun : scsi.luns().entrySet()) {
                String wanted = e.getValue().luns().get(lun.getKey());
                if (!lun.getValue().volume().name().equals(wanted)) {
                    scsi.removeLun(lun.getKey());
                    report.add("target " + t.name() + " LUN " + lun.getKey() + " removed (volume "
                            + lun.getValue().volume().name() + ")");
                }
            }
            for (Map.Entry<Integer, String> lun : e.getValue().luns().entrySet()) {
                if (scsi.luns().containsKey(lun.getKey())) continue;
                try {
                    scsi.addLun(lun.getKey(), unit(lun.getValue(), c));
                    report.add("target " + t.name() + " LUN " + lun.getKey() + " added (volume " + lun.getValue() + ")");
                } catch (IOException | RuntimeException ex) {
                    String line = "target " + t.name() + " LUN " + lun.getKey() + " not added: " + ex.getMessage();
                    report.add(line);
                    failures.add(line);
                }
            }
        }
        if (ownership != null) {
            for (String gone : ownership.volumes()) {
                if (c.volumes().containsKey(gone)) continue;
                units.remove(gone);
                ownership.leave(gone); // deleted on another node: handed over if served here, lease released
                report.add("volume " + gone + " closed: deleted from the catalogue");
            }
        }
        Map<String, BlockDevice> open = new LinkedHashMap<>(devices);
        if (ownership != null) open.putAll(ownership.ownedDevices()); // grown below like the others
        for (Map.Entry<String, BlockDevice> d : List.copyOf(open.entrySet())) {
            Catalogue.VolumeEntry wanted = c.volumes().get(d.getKey());
            BlockDevice dev = d.getValue();
            if (wanted == null) { // deleted on another node (it was exported nowhere, or the delete was refused)
                if (busy.containsKey(d.getKey())) continue; // a job works on it: closed at a later change
                units.remove(d.getKey());
                devices.remove(d.getKey());
                try {
                    dev.close();
                } catch (RuntimeException ex) {
                    log.warn("closing volume {} failed: {}", d.getKey(), ex.toString());
                }
                report.add("volume " + d.getKey() + " closed: deleted from the catalogue");
                continue;
            }
            if (wanted.sizeBytes() <= dev.sizeBytes()) continue;
            try {
                ((VolumeBlockDevice) dev).volume().resize(wanted.sizeBytes());
                LogicalUnit u = units.get(d.getKey());
                for (ExportedTarget t : live.values()) {
                    if (t.scsi().luns().containsValue(u)) t.scsi().capacityChanged(u);
                }
                report.add("volume " + d.getKey() + " resized to " + wanted.sizeBytes() + " bytes");
            } catch (IOException | RuntimeException ex) {
                String line = "volume " + d.getKey() + " not resized: " + ex.getMessage();
                report.add(line);
                failures.add(line);
            }
        }
        for (String line : report) log.info("{}", line);
        return report;
    }

    /** The initiators the target admits: the catalogue's list if set, else the config file's; empty = every one. */
    private java.util.Set<String> admitted(String name, Catalogue.TargetEntry t) {
        if (t.allowedInitiators() != null) return java.util.Set.copyOf(t.allowedInitiators());
        return java.util.Set.copyOf(config.allowedInitiators().apply(name));
    }

    /** A new target in the portal's directory, with no LUN yet; CHAP and the ACL as the catalogue or file say. */
    private ExportedTarget serve(String name, Catalogue.TargetEntry entry) {
        String iqn = entry.iqn();
        // the node id is the portal group tag, and the ALUA port group and relative port (TargetPortIdentity.ofNode):
        // the same for every target and across restarts, whatever order the targets come in
        ScsiTarget scsi = new ScsiTarget(TargetPortIdentity.ofNode(iqn, portalGroupTag), new TreeMap<>(), buffers);
        ExportedTarget t = new ExportedTarget(iqn, scsi, portalGroupTag,
                ChapSettings.effective(entry.chap(), config.chap().apply(name)), admitted(name, entry),
                name); // catalogue name = alias
        // EXTENDED COPY may name any LU of this node as source or destination
        scsi.onFindByNaa(naa -> directory.all().stream().map(x -> x.scsi().ownByNaa(naa))
                .filter(Objects::nonNull).findFirst().orElse(null));
        // PREEMPT AND ABORT: the preempted nexuses may reach a shared unit through any target exporting it
        scsi.onAbortTasks((nexuses, unit) -> directory.all().forEach(x -> x.scsi().luns().forEach((lun, u) -> {
            if (u == unit) registry.abortTasks(x, nexuses, lun);
        })));
        if (t.chap() != null) log.info("target {} requires CHAP{}", iqn, t.chap().mutual() ? " (mutual)" : "");
        if (!t.allowedInitiators().isEmpty()) log.info("target {} admits only {}", iqn, t.allowedInitiators());
        live.put(name, t);
        directory.add(t);
        return t;
    }

    /** The volume's logical unit, its volume opened (created, or grown to its catalogued size) on first use. */
    private LogicalUnit unit(String volume, Catalogue c) throws IOException {
        LogicalUnit u = units.get(volume);
        if (u != null) return u;
        if (ownership != null) { // standby until this node holds the volume's lease
            Catalogue.VolumeEntry entry = c.volumes().get(volume);
            if (entry == null) throw new IOException("volume " + volume + " is not in the catalogue");
            // always write-through under leases: a write-back cache lives on one node, and when that node dies
            // between GOOD for a write and the FLUSH covering it, the initiator retries the FLUSH on the new owner,
            // which answers GOOD for a write it never saw (MultipathGuestIT lost such writes with WCE = 1)
            io.stowage.node.ownership.VolumeOwnership o = ownership.join(volume, entry::sizeBytes, true);
            LogicalUnit unit = new LogicalUnit(o.device());
            o.bind(unit::changeAccessState);
            units.put(volume, unit);
            ownership.start(o);
            return unit;
        }
        u = new LogicalUnit(device(volume, c));
        units.put(volume, u);
        return u;
    }

    /** The volume's device, opened (created, or grown to its catalogued size) on first use; open until deleted. */
    private BlockDevice device(String volume, Catalogue c) throws IOException {
        BlockDevice open = devices.get(volume);
        if (open != null) return open;
        checkIdle(volume, "volume");
        if (ownership != null) {
            BlockDevice owned = ownership.owned(volume);
            if (owned == null) throw new AdminException(Kind.IN_USE, "volume", ownership.notServedHere(volume));
            return owned;
        }
        Catalogue.VolumeEntry entry = c.volumes().get(volume);
        if (entry == null) throw new IOException("volume " + volume + " is not in the catalogue");
        if (engine.find(volume).isEmpty()) {
            engine.create(volume, entry.sizeBytes());
            log.info("volume {} created ({} bytes, thin)", volume, entry.sizeBytes());
        }
        Volume v = engine.open(volume);
        try {
            if (entry.sizeBytes() > v.info().sizeBytes()) v.resize(entry.sizeBytes()); // grown while not open
        } catch (IOException | RuntimeException e) {
            v.close();
            throw e;
        }
        BlockDevice dev = new VolumeBlockDevice(v, io, config.writeThrough().test(volume));
        devices.put(volume, dev);
        log.info("volume {} ({} bytes, uuid {}) opened", volume, dev.sizeBytes(), dev.info().uuid());
        return dev;
    }

    private Catalogue change(UnaryOperator<Catalogue> f) throws IOException {
        CatalogueStore.Versioned v = store.update(f);
        current = v.catalogue();
        version = v.version();
        return current;
    }

    // ---- volumes

    public synchronized VolumeView createVolume(String name, long sizeBytes) throws IOException {
        if (name == null || !VolumeEngine.isValidName(name)) {
            throw AdminException.invalid("name", "a volume name is 1 to 64 letters, digits, '.', '_' or '-', "
                    + "beginning with a letter or digit; got '" + name + "'");
        }
        if (current.volumes().containsKey(name) || store.read().map(v -> v.catalogue().volumes().containsKey(name))
                .orElse(false)) {
            throw new AdminException(Kind.DUPLICATE, "name", "volume " + name + " already exists");
        }
        if (engine.find(name).isPresent()) {
            throw new AdminException(Kind.DUPLICATE, "name", "volume " + name + " exists in the backend but not in the"
                    + " catalogue (left by an earlier release or another installation); choose another name");
        }
        engine.create(name, sizeBytes);
        try {
            change(c -> {
                if (c.volumes().containsKey(name)) {
                    throw new AdminException(Kind.DUPLICATE, "name", "volume " + name + " already exists");
                }
                return c.withVolume(name, new Catalogue.VolumeEntry(sizeBytes));
            });
        } catch (IOException | RuntimeException e) {
            engine.delete(name);
            throw e;
        }
        log.info("volume {} created ({} bytes, thin)", name, sizeBytes);
        reconcile(new ArrayList<>()); // the catalogue stored may hold other nodes' changes too
        return volume(name);
    }

    /**
     * Creates volume {@code name} as a thin clone of {@code parent@snapshot} (the engine's clone: no data copied; the
     * snapshot and the parent cannot be deleted while it exists), catalogued with the parent's size.
     */
    public synchronized VolumeView cloneVolume(String parent, String snapshot, String name) throws IOException {
        refresh();
        if (!current.volumes().containsKey(parent)) throw unknownVolume("name", parent);
        if (name == null || !VolumeEngine.isValidName(name)) {
            throw AdminException.invalid("clone", "a volume name is 1 to 64 letters, digits, '.', '_' or '-', "
                    + "beginning with a letter or digit; got '" + name + "'");
        }
        if (current.volumes().containsKey(name) || engine.find(name).isPresent()) {
            throw new AdminException(Kind.DUPLICATE, "clone", "volume " + name + " already exists");
        }
        String elsewhere = openElsewhere(parent);
        if (elsewhere != null) throw new AdminException(Kind.IN_USE, "name", elsewhere);
        VolumeInfo info;
        try {
            info = engine.clone(parent, snapshot, name);
        } catch (Snapshots.SnapshotRefusedException e) {
            throw new AdminException(e.reason() == Snapshots.Refusal.NOT_FOUND
                    ? Kind.NOT_FOUND : Kind.INVALID, "snapshot", e.getMessage());
        }
        try {
            change(c -> {
                if (c.volumes().containsKey(name)) {
                    throw new AdminException(Kind.DUPLICATE, "clone", "volume " + name + " already exists");
                }
                return c.withVolume(name, new Catalogue.VolumeEntry(info.sizeBytes()));
            });
        } catch (IOException | RuntimeException e) {
            engine.delete(name);
            throw e;
        }
        log.info("volume {} created as a clone of {}@{}", name, parent, snapshot);
        reconcile(new ArrayList<>());
        return volume(name);
    }

    /**
     * Why a clone of {@code volume} cannot be made on this node, or null: another node has the volume open, and its
     * header writer, which never sees a count this node commits to the stored header, would overwrite the
     * snapshot's clone count, after which the snapshot could be deleted (or its SCOs compacted) under the clone.
     */
    private String openElsewhere(String volume) throws IOException {
        if (ownership != null) {
            if (ownership.owned(volume) != null) return null;
            return ownership.holder(volume).isPresent() ? ownership.notServedHere(volume) : null; // no owner: closed
        }
        if (devices.containsKey(volume)) return null;
        for (Catalogue.Export e : current.exportsOf(volume)) {
            Catalogue.TargetEntry t = current.targets().get(e.target());
            if (t != null && !config.serves(t)) {
                return "volume " + volume + " is exported by target " + e.target() + ", which node "
                        + (t.node() == null ? "(shared)" : t.node()) + " serves: make the clone there (that node "
                        + "holds the volume's header)";
            }
        }
        return null;
    }

    public synchronized List<VolumeView> volumes() throws IOException {
        refresh();
        List<VolumeView> out = new ArrayList<>();
        for (String name : current.volumes().keySet()) out.add(view(name));
        return out;
    }

    public synchronized VolumeView volume(String name) throws IOException {
        refresh();
        if (!current.volumes().containsKey(name)) throw unknownVolume("name", name);
        return view(name);
    }

    private VolumeView view(String name) throws IOException {
        long size = current.volumes().get(name).sizeBytes();
        BlockDevice dev = devices.get(name);
        String uuid = dev != null ? dev.info().uuid().toString()
                : engine.find(name).map(VolumeInfo::uuid).map(Object::toString).orElse(null);
        return new VolumeView(name, size, Sizes.format(size), uuid, exportViews(current.exportsOf(name)));
    }

    /** Grows a volume; logged-in initiators get CAPACITY DATA HAS CHANGED. Shrinking is refused. */
    public synchronized VolumeView resizeVolume(String name, long sizeBytes) throws IOException {
        change(c -> {
            Catalogue.VolumeEntry cur = c.volumes().get(name);
            if (cur == null) throw unknownVolume("name", name);
            if (sizeBytes < cur.sizeBytes()) {
                throw AdminException.invalid("size", "cannot shrink volume " + name + " from " + Sizes.format(cur
                        .sizeBytes()) + " to " + Sizes.format(sizeBytes) + " (data past the end would be lost)");
            }
            return c.withVolume(name, new Catalogue.VolumeEntry(sizeBytes));
        });
        List<String> failures = new ArrayList<>();
        reconcile(failures);
        if (!failures.isEmpty()) throw new IOException(failures.get(0));
        return volume(name);
    }

    /** Deletes a volume and its data; refused while a target exports it or a clone reads one of its snapshots. */
    public synchronized void deleteVolume(String name) throws IOException {
        checkIdle(name, "name");
        try {
            engine.checkDeletable(name); // before the catalogue forgets it
        } catch (Snapshots.SnapshotRefusedException e) {
            throw new AdminException(Kind.IN_USE, "name", e.getMessage());
        }
        change(c -> {
            if (!c.volumes().containsKey(name)) throw unknownVolume("name", name);
            List<Catalogue.Export> exports = c.exportsOf(name);
            if (!exports.isEmpty()) {
                Catalogue.Export e = exports.get(0);
                throw new AdminException(Kind.IN_USE, "name", "volume " + name + " is exported as LUN " + e.lun()
                        + " of target " + e.target() + "; remove the export first (stowage export remove "
                        + e.target() + " " + e.lun() + ")");
            }
            return c.withoutVolume(name);
        });
        units.remove(name);
        if (ownership != null) ownership.leave(name);
        BlockDevice dev = devices.remove(name);
        if (dev != null) dev.close();
        engine.delete(name);
        log.info("volume {} deleted", name);
        reconcile(new ArrayList<>());
    }

    // ---- snapshots (the engine's Volume.snapshots(); the volume is opened if it was not)

    private io.stowage.volume.engine.Snapshots snapshotsOf(String volume) throws IOException {
        refresh();
        if (volume == null || !current.volumes().containsKey(volume)) throw unknownVolume("volume", volume);
        return ((VolumeBlockDevice) device(volume, current)).volume().snapshots();
    }

    public synchronized SnapshotView createSnapshot(String volume, String name) throws IOException {
        try {
            return view(volume, snapshotsOf(volume).create(name));
        } catch (io.stowage.volume.engine.Snapshots.SnapshotRefusedException e) {
            throw refused(e);
        }
    }

    public synchronized List<SnapshotView> snapshots(String volume) throws IOException {
        return snapshotsOf(volume).list().stream().map(i -> view(volume, i)).toList();
    }

    /** Deletes a snapshot; refused while a clone depends on it. */
    public synchronized void deleteSnapshot(String volume, String name) throws IOException {
        try {
            snapshotsOf(volume).delete(name);
        } catch (io.stowage.volume.engine.Snapshots.SnapshotRefusedException e) {
            throw refused(e);
        }
    }

    /**
     * Rolls the volume back to a snapshot while it stays exported, as a job: I/O pauses, then every nexus of its LU
     * gets a unit attention (NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED). Later snapshots are dropped. An
     * unknown volume or snapshot is refused here, before any job; what fails later is the job's FAILED state.
     */
    public synchronized Jobs.JobView rollback(String volume, String name) throws IOException {
        io.stowage.volume.engine.Snapshots snaps = snapshotsOf(volume);
        if (snaps.list().stream().noneMatch(i -> i.name().equals(name))) {
            throw AdminException.notFound("snapshot", "volume " + volume + " has no snapshot '" + name
                    + "' (stowage snapshot list " + volume + ")");
        }
        busy(volume, "rollback");
        return jobs.start("rollback", volume, () -> {
            long t0 = System.nanoTime();
            try {
                snaps.rollback(name);
            } finally {
                idle(volume);
            }
            return Map.of("snapshot", volume + "@" + name, "millis", (System.nanoTime() - t0) / 1_000_000);
        });
    }

    /**
     * A backend restart of {@code volume}, as a job: its writes are flushed and uploaded, it is closed, its local
     * cache (SCOs, TLogs, LMDB) is dropped and it is opened again from the backend alone (the map rebuilt from the
     * header, checkpoint and TLogs), as after a lost cache disk. Refused while a target exports it (here the LU would
     * lose its device; on another node, opening it here would take it from that node) and while another job works on
     * it; the cache is kept if the uploads do not finish.
     */
    public synchronized Jobs.JobView rebuild(String volume) throws IOException {
        refresh();
        if (volume == null || !current.volumes().containsKey(volume)) throw unknownVolume("name", volume);
        List<Catalogue.Export> exports = current.exportsOf(volume); // on any node: opening it here would take it over
        if (!exports.isEmpty()) {
            Catalogue.Export e = exports.get(0);
            throw new AdminException(Kind.IN_USE, "name", "volume " + volume + " is exported as LUN " + e.lun()
                    + " of target " + e.target() + "; remove the export first (stowage export remove " + e.target()
                    + " " + e.lun() + ")");
        }
        if (!devices.containsKey(volume) && engine.find(volume).isEmpty()) {
            throw AdminException.invalid("name", "volume " + volume + " was never opened: the backend holds nothing"
                    + " to restart it from yet");
        }
        busy(volume, "backend restart");
        units.remove(volume);
        BlockDevice open = devices.remove(volume);
        boolean writeThrough = config.writeThrough().test(volume);
        return jobs.start("rebuild", volume, () -> {
            long t0 = System.nanoTime();
            try {
                if (open != null) {
                    Volume v = ((VolumeBlockDevice) open).volume();
                    try {
                        v.flush();
                        v.syncToBackend(300_000);
                    } catch (IOException | RuntimeException e) {
                        putBack(volume, open);
                        throw new IOException("volume " + volume + " kept its cache: its writes did not reach the"
                                + " backend (" + e.getMessage() + ")", e);
                    }
                    open.close();
                }
                engine.dropCache(volume);
                long t1 = System.nanoTime();
                Volume v = engine.open(volume);
                long openMillis = (System.nanoTime() - t1) / 1_000_000;
                putBack(volume, new VolumeBlockDevice(v, io, writeThrough));
                log.info("volume {} opened from the backend alone in {} ms", volume, openMillis);
                return Map.of("openMillis", openMillis, "millis", (System.nanoTime() - t0) / 1_000_000);
            } finally {
                idle(volume);
            }
        });
    }

    private synchronized void putBack(String volume, BlockDevice dev) {
        if (closed) {
            dev.close(); // the node stopped while the job ran
        } else {
            devices.put(volume, dev);
        }
    }

    private void busy(String volume, String what) {
        String other = busy.putIfAbsent(volume, what);
        if (other != null) {
            throw new AdminException(Kind.IN_USE, "name", "volume " + volume + " has a " + other + " job running"
                    + " (stowage job list)");
        }
    }

    private void idle(String volume) {
        busy.remove(volume);
    }

    private void checkIdle(String volume, String field) {
        String what = busy.get(volume);
        if (what != null) {
            throw new AdminException(Kind.IN_USE, field, "volume " + volume + " has a " + what + " job running;"
                    + " wait for it (stowage job list)");
        }
    }

    private static SnapshotView view(String volume, io.stowage.volume.engine.Snapshots.SnapshotInfo i) {
        return new SnapshotView(volume, i.name(), i.created().toString(), i.bytesSincePrevious(), i.clones(),
                i.onBackend());
    }

    private static AdminException refused(io.stowage.volume.engine.Snapshots.SnapshotRefusedException e) {
        Kind kind = switch (e.reason()) {
            case INVALID_NAME -> Kind.INVALID;
            case EXISTS -> Kind.DUPLICATE;
            case NOT_FOUND -> Kind.NOT_FOUND;
            case HAS_CLONES -> Kind.IN_USE;
        };
        return new AdminException(kind, "snapshot", e.getMessage());
    }

    // ---- scrub (garbage collection of overwritten data; the engine also runs it every engine.scrub-interval)

    /** The scrub record of a volume: what scrubbing did since it was opened here, and its jobs. */
    public record ScrubView(String volume, boolean open, long scrubbedScos, long examinedBytes, long reclaimedBytes,
                            List<Jobs.JobView> jobs) {
    }

    /** Starts one scrub pass of {@code volume} as a job (the volume is opened if it was not). */
    public synchronized Jobs.JobView startScrub(String volume) throws IOException {
        refresh();
        if (volume == null || !current.volumes().containsKey(volume)) throw unknownVolume("name", volume);
        Volume v = ((VolumeBlockDevice) device(volume, current)).volume();
        return jobs.start("scrub", volume, () -> v.scrub(VolumeConfig.SCRUB_MAX_LIVE_RATIO,
                VolumeConfig.SCRUB_MAX_VICTIMS), () -> {
                    Volume.ScrubProgress p = v.stats().scrub();
                    return p.passClusters() > 0 ? (double) p.passMoved() / p.passClusters() : null;
                });
    }

    public synchronized ScrubView scrubStatus(String volume) throws IOException {
        refresh();
        if (volume == null || !current.volumes().containsKey(volume)) throw unknownVolume("name", volume);
        List<Jobs.JobView> ofVolume = jobs.all().stream().filter(j -> j.volume().equals(volume)).toList();
        BlockDevice dev = devices.get(volume);
        if (dev == null && ownership != null) dev = ownership.owned(volume);
        if (dev == null) return new ScrubView(volume, false, 0, 0, 0, ofVolume);
        Volume.Stats st = ((VolumeBlockDevice) dev).volume().stats();
        return new ScrubView(volume, true, st.scrubbedScos(), st.scrubExaminedBytes(), st.scrubReclaimedBytes(),
                ofVolume);
    }

    public Jobs.JobView job(long id) {
        return jobs.get(id).orElseThrow(() -> AdminException.notFound("id", "no job " + id + " (jobs are not kept"
                + " across a restart)"));
    }

    public List<Jobs.JobView> jobs() {
        return jobs.all();
    }

    // ---- targets

    public synchronized TargetView createTarget(String name, String iqn) throws IOException {
        if (name == null || !TARGET_NAME.matcher(name).matches()) {
            throw AdminException.invalid("name", "a target name is 1 to 64 letters, digits, '.', '_' or '-', "
                    + "beginning with a letter or digit; got '" + name + "'");
        }
        String fullIqn = iqn == null || iqn.isBlank() ? DEFAULT_IQN_PREFIX + name : iqn;
        if (!IQN.matcher(fullIqn).matches()) {
            throw AdminException.invalid("iqn", "expected an iSCSI name such as " + DEFAULT_IQN_PREFIX
                    + "name, got '" + fullIqn + "'");
        }
        change(c -> {
            if (c.targets().containsKey(name)) {
                throw new AdminException(Kind.DUPLICATE, "name", "target " + name + " already exists");
            }
            String clash = c.targetName(fullIqn);
            if (clash != null) {
                throw new AdminException(Kind.DUPLICATE, "iqn", "IQN " + fullIqn + " is already target " + clash + "'s");
            }
            return c.withTarget(name, new Catalogue.TargetEntry(fullIqn, null, config.targetNode()));
        });
        reconcile(new ArrayList<>());
        return target(name);
    }

    public synchronized List<TargetView> targets() throws IOException {
        refresh();
        List<TargetView> out = new ArrayList<>();
        for (String name : current.targets().keySet()) out.add(targetView(name));
        return out;
    }

    public synchronized TargetView target(String nameOrIqn) throws IOException {
        refresh();
        String name = current.targetName(nameOrIqn);
        if (name == null) throw unknownTarget("name", nameOrIqn);
        return targetView(name);
    }

    private TargetView targetView(String name) {
        Catalogue.TargetEntry t = current.targets().get(name);
        List<ExportView> luns = exportViews(current.exports().stream().filter(e -> e.target().equals(name)).toList());
        ExportedTarget served = live.get(name);
        int sessions = served == null ? 0
                : (int) registry.all().stream().filter(s -> s.target() != null
                        && s.target().name().equals(served.name())).count(); // the ACL or CHAP replaced the record
        return new TargetView(name, t.iqn(), t.node(), luns, sessions);
    }

    /** Deletes a target; refused while it has LUNs. Its sessions are closed. */
    public synchronized void deleteTarget(String nameOrIqn) throws IOException {
        change(c -> {
            String name = c.targetName(nameOrIqn);
            if (name == null) throw unknownTarget("name", nameOrIqn);
            Catalogue.TargetEntry t = c.targets().get(name);
            if (!t.luns().isEmpty()) {
                throw new AdminException(Kind.IN_USE, "name", "target " + name + " still exports " + t.luns().size()
                        + " LUN(s); remove its exports first (stowage export list --target " + name + ")");
            }
            return c.withoutTarget(name);
        });
        reconcile(new ArrayList<>());
    }

    // ---- ACLs (which initiators may see and log in to a target)

    public synchronized AclView acl(String target) throws IOException {
        refresh();
        String name = current.targetName(target == null ? "" : target);
        if (name == null) throw unknownTarget("target", target);
        Catalogue.TargetEntry t = current.targets().get(name);
        java.util.Set<String> admits = admitted(name, t);
        String source = admits.isEmpty() ? "everyone" : t.allowedInitiators() != null ? "catalogue" : "config";
        return new AclView(name, t.iqn(), new ArrayList<>(new java.util.TreeSet<>(admits)), source);
    }

    /** Admits {@code initiator} (the list starts from the config file's, if the catalogue has none). */
    public synchronized AclView allowInitiator(String target, String initiator) throws IOException {
        if (initiator == null || !IQN.matcher(initiator).matches()) {
            throw AdminException.invalid("initiator", "expected an iSCSI name (iqn., eui. or naa.), got '" + initiator
                    + "'");
        }
        return changeAcl(target, (name, list) -> {
            if (list.contains(initiator)) {
                throw new AdminException(Kind.DUPLICATE, "initiator", initiator + " is already admitted to " + name);
            }
            list.add(initiator);
        });
    }

    /**
     * Stops admitting {@code initiator}; its sessions are closed. Refused for the last one: an empty list admits
     * every initiator, which must be asked for ({@link #clearAcl}).
     */
    public synchronized AclView disallowInitiator(String target, String initiator) throws IOException {
        return changeAcl(target, (name, list) -> {
            if (!list.contains(initiator)) {
                throw AdminException.notFound("initiator", initiator + " is not on the ACL of " + name);
            }
            if (list.size() == 1) {
                throw AdminException.invalid("initiator", initiator + " is the last initiator admitted to " + name
                        + "; without it every initiator would be: say so with 'stowage acl clear " + name + "'");
            }
            list.remove(initiator);
        });
    }

    /** Admits every initiator (the catalogue's empty list, which also overrides the config file's key). */
    public synchronized AclView clearAcl(String target) throws IOException {
        return changeAcl(target, (name, list) -> list.clear());
    }

    private AclView changeAcl(String target, java.util.function.BiConsumer<String, List<String>> edit)
            throws IOException {
        String[] named = new String[1];
        change(c -> {
            String name = c.targetName(target == null ? "" : target);
            if (name == null) throw unknownTarget("target", target);
            Catalogue.TargetEntry t = c.targets().get(name);
            List<String> list = new ArrayList<>(new java.util.TreeSet<>(admitted(name, t)));
            edit.accept(name, list);
            named[0] = name;
            return c.withTarget(name, t.withAllowedInitiators(list));
        });
        reconcile(new ArrayList<>());
        return acl(named[0]);
    }

    // ---- CHAP (of a target, or with target null of discovery sessions); secrets are never answered back

    public synchronized Views.ChapView chap(String target) throws IOException {
        refresh();
        if (target == null) return ChapSettings.view(null, null, current.discoveryChap(), config.discoveryChap());
        String name = current.targetName(target);
        if (name == null) throw unknownTarget("target", target);
        Catalogue.TargetEntry t = current.targets().get(name);
        return ChapSettings.view(name, t.iqn(), t.chap(), config.chap().apply(name));
    }

    /** Discovery CHAP first, then every target's. */
    public synchronized List<Views.ChapView> chaps() throws IOException {
        refresh();
        List<Views.ChapView> out = new ArrayList<>();
        out.add(ChapSettings.view(null, null, current.discoveryChap(), config.discoveryChap()));
        current.targets().forEach((name, t) -> out.add(ChapSettings.view(name, t.iqn(), t.chap(),
                config.chap().apply(name))));
        return out;
    }

    /**
     * Requires CHAP for new logins to {@code target} (null: discovery sessions), one-way or with {@code mutualUser}
     * and {@code mutualSecret} mutual; kept in the catalogue, where it wins over the config file's keys. Sessions
     * logged in stay. Refused values name the field.
     */
    public synchronized Views.ChapView setChap(String target, String user, String secret, String mutualUser,
                                               String mutualSecret) throws IOException {
        Catalogue.ChapEntry entry = ChapSettings.entry(user, secret, mutualUser, mutualSecret);
        return changeChap(target, entry);
    }

    /** No CHAP for new logins to {@code target} (null: discovery), whatever the config file says. */
    public synchronized Views.ChapView clearChap(String target) throws IOException {
        return changeChap(target, Catalogue.ChapEntry.NONE);
    }

    private Views.ChapView changeChap(String target, Catalogue.ChapEntry entry) throws IOException {
        String[] named = new String[1];
        change(c -> {
            if (target == null) return c.withDiscoveryChap(entry);
            String name = c.targetName(target);
            if (name == null) throw unknownTarget("target", target);
            named[0] = name;
            return c.withTarget(name, c.targets().get(name).withChap(entry));
        });
        reconcile(new ArrayList<>());
        log.info("CHAP of {} set through the admin API: {}", target == null ? "discovery" : "target " + named[0],
                ChapSettings.describe(ChapSettings.effective(entry, null)));
        return chap(named[0]);
    }

    // ---- exports

    /** Exports {@code volume} as LUN {@code lun} (null: the lowest free) of {@code target}. */
    public synchronized ExportView addExport(String target, String volume, Integer lun) throws IOException {
        if (lun != null && (lun < 0 || lun > MAX_LUN)) {
            throw AdminException.invalid("lun", "a LUN is 0 to " + MAX_LUN + ", got " + lun);
        }
        int[] chosen = new int[1];
        String[] targetName = new String[1];
        change(c -> {
            String name = c.targetName(target == null ? "" : target);
            if (name == null) throw unknownTarget("target", target);
            if (volume == null || !c.volumes().containsKey(volume)) throw unknownVolume("volume", volume);
            checkIdle(volume, "volume");
            Catalogue.TargetEntry t = c.targets().get(name);
            for (Map.Entry<Integer, String> e : t.luns().entrySet()) {
                if (e.getValue().equals(volume)) {
                    throw new AdminException(Kind.DUPLICATE, "volume", "volume " + volume + " is already LUN "
                            + e.getKey() + " of target " + name);
                }
            }
            int n = lun != null ? lun : 0;
            if (lun == null) {
                while (t.luns().containsKey(n)) n++;
            } else if (t.luns().containsKey(n)) {
                throw new AdminException(Kind.DUPLICATE, "lun", "LUN " + n + " of target " + name + " is volume "
                        + t.luns().get(n));
            }
            chosen[0] = n;
            targetName[0] = name;
            return c.withTarget(name, t.withLun(n, volume));
        });
        List<String> failures = new ArrayList<>();
        reconcile(failures);
        ExportedTarget served = live.get(targetName[0]); // null: another node serves that target
        if (served != null && !served.scsi().luns().containsKey(chosen[0])) {
            change(c -> c.withTarget(targetName[0], c.targets().get(targetName[0]).withoutLun(chosen[0])));
            throw new IOException("cannot export volume " + volume + ": "
                    + (failures.isEmpty() ? "not served" : failures.get(0)));
        }
        return new ExportView(targetName[0], current.targets().get(targetName[0]).iqn(), chosen[0], volume);
    }

    /** Unexports LUN {@code lun} of {@code target}; its sessions get REPORTED LUNS DATA HAS CHANGED. */
    public synchronized void removeExport(String target, int lun) throws IOException {
        change(c -> {
            String name = c.targetName(target == null ? "" : target);
            if (name == null) throw unknownTarget("target", target);
            Catalogue.TargetEntry t = c.targets().get(name);
            if (!t.luns().containsKey(lun)) {
                throw AdminException.notFound("lun", "target " + name + " has no LUN " + lun);
            }
            return c.withTarget(name, t.withoutLun(lun));
        });
        reconcile(new ArrayList<>());
    }

    public synchronized List<ExportView> exports() throws IOException {
        refresh();
        return exportViews(current.exports());
    }

    // ---- sessions, status

    public List<SessionView> sessions() {
        List<SessionView> out = new ArrayList<>();
        for (Session s : registry.all()) {
            out.add(new SessionView(s.tsih(), s.initiatorName(), String.format("%012x", s.isid()),
                    s.target() == null ? null : s.target().name(), s.discovery()));
        }
        out.sort(java.util.Comparator.comparingInt(SessionView::tsih));
        return out;
    }

    public synchronized StatusView status(String portal, String backend) throws IOException {
        refresh();
        String v = Optional.ofNullable(Operations.class.getPackage().getImplementationVersion()).orElse("dev");
        return new StatusView(v, config.nodeName(), portal, backend, version, current.volumes().size(), current.targets().size(),
                current.exports().size(), registry.size(), (System.currentTimeMillis() - startedAt) / 1000);
    }

    /** The volumes open for I/O now, by name (metrics). */
    public synchronized Map<String, Volume> openVolumes() {
        Map<String, Volume> out = new TreeMap<>();
        devices.forEach((name, dev) -> {
            if (dev instanceof VolumeBlockDevice vbd) out.put(name, vbd.volume());
        });
        if (ownership != null) ownership.ownedDevices().forEach((name, dev) -> out.put(name, dev.volume()));
        return out;
    }

    /** The devices open for I/O now, by name (metrics: their I/O counters and latency histograms). */
    public synchronized Map<String, VolumeBlockDevice> openDevices() {
        Map<String, VolumeBlockDevice> out = new TreeMap<>();
        devices.forEach((name, dev) -> {
            if (dev instanceof VolumeBlockDevice vbd) out.put(name, vbd);
        });
        if (ownership != null) out.putAll(ownership.ownedDevices());
        return out;
    }

    /**
     * Reads the catalogue again and, if another node changed it, serves what it says now, as if the change had been
     * made here ({@link #reconcile}: targets, LUNs with their unit attentions, ACLs, CHAP, grown volumes).
     */
    private void refresh() throws IOException {
        Optional<CatalogueStore.Versioned> v = store.read();
        if (v.isPresent() && v.get().version() != version) {
            log.info("catalogue version {} (this node had {}): applying what changed elsewhere", v.get().version(),
                    version);
            current = v.get().catalogue();
            version = v.get().version();
            reconcile(new ArrayList<>());
        }
    }

    /**
     * Follows the catalogue (the daemon calls this every {@code catalogue.poll-interval}): one read of the stored
     * catalogue's version, and if it moved, the catalogue is read and the changes other nodes made are served here. Returns the catalogue
     * version this node now serves.
     */
    public synchronized long follow() throws IOException {
        if (closed) return version;
        if (store.version() != version) refresh(); // the version alone first: an xattr on RADOS, 8 bytes on disk
        return version;
    }

    private static List<ExportView> exportViews(List<Catalogue.Export> exports) {
        return exports.stream().map(e -> new ExportView(e.target(), e.iqn(), e.lun(), e.volume())).toList();
    }

    private static AdminException unknownVolume(String field, String name) {
        return AdminException.notFound(field, "no volume named '" + name + "' (stowage volume list)");
    }

    private static AdminException unknownTarget(String field, String name) {
        return AdminException.notFound(field, "no target named '" + name + "' (stowage target list)");
    }

    /** Flushes and closes every open volume. The portal must have stopped. */
    @Override
    public synchronized void close() {
        closed = true;
        jobs.close();
        if (ownership != null) ownership.close(); // served volumes handed over: flushed, closed, leases released
        for (Map.Entry<String, BlockDevice> d : devices.entrySet()) {
            try {
                d.getValue().close();
            } catch (RuntimeException e) {
                log.error("closing volume {} failed: {}", d.getKey(), e.toString());
            }
        }
        devices.clear();
        units.clear();
    }
}
