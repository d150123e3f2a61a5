package io.stowage.volume.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A filesystem that can lose power. Files are real (so plain reads and listings see what was written), but this
 * layer remembers what an fsync covered: at a {@link #cut} every write since the file's last fsync is dropped —
 * or, in {@link Mode#TEAR}, each is kept, dropped or torn at 512-byte sectors at random (seeded) — and every
 * directory entry created, renamed or deleted since its directory's last fsync is undone (in TEAR mode only the
 * newest ones, at random: metadata journals keep their order). {@link #restore} then rewrites the directory to
 * what survived, as a reboot would find it. Between the cut and the restore every operation fails, as on a dead
 * machine. An fsync costs nothing here (durability is modelled, not asked of the disk). Thread-safe: one lock.
 */
final class PowerCutFiles implements LocalFiles {
    enum Mode { DROP, TEAR }

    static final int SECTOR = 512;

    private final Object lock = new Object();
    private final Random random;
    private Mode mode;
    private boolean off;
    private long events;
    private long cutAtEvent = Long.MAX_VALUE;
    private int cuts;
    private int storeCuts;
    private int storeChangesToCut;
    private final Map<Path, FileState> files = new HashMap<>();
    private final List<DirOp> unsyncedEntries = new ArrayList<>();

    /** What fsync made durable, and the writes (or truncations) since, in order. */
    private static final class FileState {
        byte[] durable;
        final List<Op> pending = new ArrayList<>();

        FileState(byte[] durable) {
            this.durable = durable;
        }
    }

    /** A write of {@code data} at {@code pos}, or (data null) a truncation to {@code pos}. */
    private record Op(long pos, byte[] data) {
    }

    private sealed interface DirOp permits Created, Deleted, Renamed {
        Path dir();
    }

    private record Created(Path file) implements DirOp {
        public Path dir() {
            return file.getParent();
        }
    }

    private record Deleted(Path file, FileState state) implements DirOp {
        public Path dir() {
            return file.getParent();
        }
    }

    private record Renamed(Path from, Path to, FileState replaced) implements DirOp {
        public Path dir() {
            return to.getParent();
        }
    }

    PowerCutFiles(long seed, Mode mode) {
        this.random = new Random(seed);
        this.mode = mode;
    }

    void mode(Mode m) {
        synchronized (lock) {
            mode = m;
        }
    }

    /** Cuts the power now. */
    void cut() {
        synchronized (lock) {
            if (!off) cuts++;
            off = true;
        }
    }

    /** Cuts the power just before the {@code n}-th operation from now (file or, via {@link #event}, store). */
    void cutAfter(long n) {
        synchronized (lock) {
            cutAtEvent = events + n;
        }
    }

    /** Cuts the power right after the {@code n}-th store change from now (see {@link #event}). */
    void cutAfterStoreChanges(int n) {
        synchronized (lock) {
            storeChangesToCut = n;
        }
    }

    boolean isOff() {
        synchronized (lock) {
            return off;
        }
    }

    int cuts() {
        synchronized (lock) {
            return cuts;
        }
    }

    /** Fails if the power is off. */
    void checkPower() throws IOException {
        synchronized (lock) {
            if (off) throw new IOException("power cut (test)");
        }
    }

    /** Counts one operation; the power goes off if it is the one {@link #cutAfter} named. Caller holds lock. */
    private void eventLocked() throws IOException {
        if (off) throw new IOException("power cut (test)");
        if (++events >= cutAtEvent) {
            cutAtEvent = Long.MAX_VALUE;
            off = true;
            cuts++;
            throw new IOException("power cut (test)");
        }
    }

    /** One operation outside the files (a store call that completed): the power may go off right after it. */
    void event() throws IOException {
        synchronized (lock) {
            boolean wasOff = off;
            try {
                if (storeChangesToCut > 0 && --storeChangesToCut == 0) cutAtEvent = events + 1;
                eventLocked();
            } catch (IOException e) {
                if (!wasOff) storeCuts++;
                throw e;
            }
        }
    }

    /** Cuts that came right after a store change (an upload step). */
    int storeCuts() {
        synchronized (lock) {
            return storeCuts;
        }
    }

    private FileState state(Path file) throws IOException {
        FileState s = files.get(file);
        if (s == null) { // there before we looked: durable as it is
            s = new FileState(Files.exists(file) ? Files.readAllBytes(file) : new byte[0]);
            files.put(file, s);
        }
        return s;
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
        Path f = file.toAbsolutePath().normalize();
        synchronized (lock) {
            eventLocked();
            Set<OpenOption> opts = new HashSet<>(Arrays.asList(options));
            boolean existed = Files.exists(f);
            FileChannel real = FileChannel.open(f, opts);
            FileState st;
            if (!existed) {
                st = new FileState(new byte[0]);
                files.put(f, st);
                unsyncedEntries.add(new Created(f));
            } else {
                st = state(f);
                if (opts.contains(StandardOpenOption.TRUNCATE_EXISTING) && opts.contains(StandardOpenOption.WRITE)) {
                    st.pending.add(new Op(0, null));
                }
            }
            return new Channel(real, st);
        }
    }

    private final class Channel extends ForwardingChannel {
        private final FileState st;

        Channel(FileChannel real, FileState st) {
            super(real);
            this.st = st;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            synchronized (lock) {
                eventLocked();
                byte[] data = new byte[src.remaining()];
                src.duplicate().get(data);
                int n = real.write(src, position);
                st.pending.add(new Op(position, n == data.length ? data : Arrays.copyOf(data, n)));
                return n;
            }
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            synchronized (lock) {
                eventLocked();
                real.truncate(size);
                st.pending.add(new Op(size, null));
                return this;
            }
        }

        @Override
        public void force(boolean metaData) throws IOException {
            synchronized (lock) {
                eventLocked();
                byte[] d = st.durable;
                for (Op op : st.pending) d = apply(d, op);
                st.durable = d;
                st.pending.clear();
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            checkPower();
            return real.read(dst, position);
        }

        @Override
        public long size() throws IOException {
            checkPower();
            return real.size();
        }
    }

    private static byte[] apply(byte[] content, Op op) {
        if (op.data() == null) return Arrays.copyOf(content, (int) Math.min(content.length, op.pos()));
        int end = (int) op.pos() + op.data().length;
        byte[] out = end > content.length ? Arrays.copyOf(content, end) : content.clone();
        System.arraycopy(op.data(), 0, out, (int) op.pos(), op.data().length);
        return out;
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        Path f = from.toAbsolutePath().normalize();
        Path t = to.toAbsolutePath().normalize();
        synchronized (lock) {
            eventLocked();
            FileState moved = state(f);
            FileState replaced = Files.exists(t) ? state(t) : null;
            LocalFiles.SYSTEM.move(f, t);
            files.remove(f);
            files.put(t, moved);
            unsyncedEntries.add(new Renamed(f, t, replaced));
        }
    }

    @Override
    public void delete(Path file) throws IOException {
        Path f = file.toAbsolutePath().normalize();
        synchronized (lock) {
            eventLocked();
            if (!Files.exists(f)) return;
            FileState st = state(f);
            Files.delete(f);
            files.remove(f);
            unsyncedEntries.add(new Deleted(f, st));
        }
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        synchronized (lock) {
            eventLocked();
            unsyncedEntries.removeIf(op -> op.dir().equals(d));
        }
    }

    /**
     * After a cut: rewrites the files to what survived it, and powers on again (everything on disk is then
     * durable). Files deleted behind this layer's back (a test wiping the cache) stay deleted.
     */
    void restore() throws IOException {
        synchronized (lock) {
            if (!off) throw new IllegalStateException("the power is on");
            int keep = mode == Mode.DROP ? 0 : random.nextInt(unsyncedEntries.size() + 1);
            Set<FileState> revived = new HashSet<>();
            for (int i = unsyncedEntries.size() - 1; i >= keep; i--) { // undone newest first
                DirOp op = unsyncedEntries.get(i);
                if (op instanceof Created c) {
                    Files.deleteIfExists(c.file());
                    files.remove(c.file());
                } else if (op instanceof Deleted d) {
                    files.put(d.file(), d.state());
                    revived.add(d.state());
                } else if (op instanceof Renamed r) {
                    FileState moved = files.remove(r.to());
                    if (moved != null) {
                        files.put(r.from(), moved);
                        revived.add(moved);
                    }
                    if (r.replaced() != null) {
                        files.put(r.to(), r.replaced());
                        revived.add(r.replaced());
                    } else {
                        Files.deleteIfExists(r.to());
                    }
                }
            }
            for (Map.Entry<Path, FileState> e : files.entrySet()) {
                Path p = e.getKey();
                FileState st = e.getValue();
                if (!Files.exists(p) && !revived.contains(st)) continue; // removed outside this layer
                if (!Files.isDirectory(p.getParent())) continue;
                byte[] content = st.durable;
                for (Op op : st.pending) content = survive(content, op);
                Files.write(p, content);
            }
            files.clear();
            unsyncedEntries.clear();
            off = false;
            cutAtEvent = Long.MAX_VALUE;
            storeChangesToCut = 0;
        }
    }

    /** What of one unsynced write (or truncation) a power cut leaves. Caller holds lock. */
    private byte[] survive(byte[] content, Op op) {
        if (mode == Mode.DROP) return content;
        int choice = random.nextInt(3);
        if (choice == 0) return apply(content, op); // reached the disk
        if (choice == 1 || op.data() == null) return content; // never did
        // torn: each 512-byte sector of the write on its own
        byte[] out = content;
        long pos = op.pos();
        long end = pos + op.data().length;
        while (pos < end) {
            long sectorEnd = Math.min(end, (pos / SECTOR + 1) * SECTOR);
            if (random.nextBoolean()) {
                int from = (int) (pos - op.pos());
                out = apply(out, new Op(pos, Arrays.copyOfRange(op.data(), from, from + (int) (sectorEnd - pos))));
            }
            pos = sectorEnd;
        }
        return out;
    }
}
