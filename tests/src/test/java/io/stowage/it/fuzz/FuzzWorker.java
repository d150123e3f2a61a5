package io.stowage.it.fuzz;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One fuzzing initiator: connection after connection ("episodes") to the fuzz target. Each logs in (a correct login
 * with random negotiation, or a mutated one), then sends a few hundred PDUs — SCSI commands with randomised CDBs,
 * Data-Out answering the target's R2Ts or not, NOP-Out, task management, Text, Logout, SNACK, unknown opcodes —
 * a share of them mutated by {@link PduMutator}. Answers are read as they arrive, without blocking, and every
 * answer path is recorded in {@link FuzzOutcomes}. Everything derives from one seed.
 */
final class FuzzWorker implements Runnable {
    static final int CAPACITY_BLOCKS = 32 << 11; // the fuzz LUN: 32 MiB of 512-byte blocks

    private final InetSocketAddress portal;
    private final String target;
    private final String initiatorName;
    private final Random rnd;
    private final FuzzOutcomes out;
    private final long stopAt;
    private final PduMutator mutator;
    /** The connection of the running episode, for the watchdog to close if it stalls. */
    volatile Socket current;
    volatile long episodeStarted;

    FuzzWorker(InetSocketAddress portal, String target, int index, long seed, FuzzOutcomes out, long stopAt) {
        this.portal = portal;
        this.target = target;
        this.initiatorName = "iqn.2026-11.io.stowage:fuzz-" + index;
        this.rnd = new Random(seed);
        this.out = out;
        this.stopAt = stopAt;
        this.mutator = new PduMutator(rnd);
    }

    @Override
    public void run() {
        while (System.nanoTime() < stopAt) {
            episode();
        }
    }

    /** Per-connection state, as far as the fuzzer tracks it. */
    private final class Conn {
        final Socket socket;
        final OutputStream os;
        final TargetPduReader reader;
        boolean headerDigest;
        boolean dataDigest;
        int cmdSn;
        int expStatSn;
        int nextItt = 1;
        int sendLimit = 8192;
        int firstBurst = 65536;
        boolean immediateData = true;
        boolean initialR2t;
        boolean discovery;
        String last = "nothing";
        String lastMutation = "none";
        int lastReject = -1;
        boolean closeExpected;
        boolean resetSent;
        int targetExpCmdSn;
        int sinceAnswer;
        int syncItt;
        /** Some connections are mutated lightly, to get deep into a session, some heavily. */
        final int mutationPerMille = new int[] {20, 50, 100, 200, 400}[rnd.nextInt(5)];
        final ArrayDeque<int[]> r2ts = new ArrayDeque<>(); // {itt, ttt, offset, length, lun}
        final List<int[]> writes = new ArrayList<>();      // {itt, edtl, sent, lun}
        final ArrayDeque<Integer> recentItts = new ArrayDeque<>();
        int textTtt = RawPdu.RESERVED_TAG;
        int pingTtt = RawPdu.RESERVED_TAG;

        Conn(Socket s) throws IOException {
            socket = s;
            os = s.getOutputStream();
            reader = new TargetPduReader(s);
        }
    }

    private void episode() {
        out.episodes.increment();
        Conn c = null;
        try (Socket s = new Socket()) {
            s.connect(portal, 5000);
            s.setTcpNoDelay(rnd.nextInt(4) != 0);
            s.setSoLinger(rnd.nextInt(8) == 0, 0); // sometimes reset instead of closing
            current = s;
            episodeStarted = System.nanoTime();
            c = new Conn(s);
            if (!login(c)) {
                return;
            }
            out.fullFeatureEpisodes.increment();
            int n = 10 + rnd.nextInt(rnd.nextBoolean() ? 60 : 600);
            for (int i = 0; i < n && System.nanoTime() < stopAt; i++) {
                send(c, generate(c));
                drain(c);
            }
            // collect what is still coming, briefly
            long until = System.nanoTime() + 100_000_000L;
            long latest = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < Math.min(until, latest)) {
                TargetPduReader.Rx r = c.reader.poll();
                if (r == null) {
                    Thread.sleep(2);
                } else {
                    record(c, r);
                    until = System.nanoTime() + 100_000_000L;
                }
            }
        } catch (EOFException | SocketException e) {
            if (c == null) {
                out.hit("drop: on connect");
            } else if (c.closeExpected) {
                out.hit("ok closed after logout or target reset");
            } else if (c.lastReject >= 0) {
                out.hit(String.format("drop: after Reject 0x%02x", c.lastReject));
            } else {
                out.hit("drop: without Reject, last mutation " + c.lastMutation);
            }
        } catch (SocketTimeoutException e) {
            out.hit("silent: no answer to " + (c == null ? "connect" : c.last));
        } catch (IOException e) {
            out.hit("io: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            current = null;
        }
    }

    // ------------------------------------------------------------------ login

    /** True if the connection reached the full feature phase. */
    private boolean login(Conn c) throws IOException {
        long isid = (0x80L << 40) | (rnd.nextLong() & 0xFFFFFFFFFFL);
        c.cmdSn = rnd.nextInt(8) == 0 ? (rnd.nextBoolean() ? -1 - rnd.nextInt(4) : 0x7FFFFFF0) : rnd.nextInt();
        boolean fuzzLogin = rnd.nextInt(4) == 0;
        Map<String, String> kv = new LinkedHashMap<>();
        c.discovery = rnd.nextInt(10) == 0;
        kv.put("InitiatorName", initiatorName);
        if (!c.discovery) {
            kv.put("TargetName", target);
        }
        kv.put("SessionType", c.discovery ? "Discovery" : "Normal");
        kv.put("HeaderDigest", rnd.nextBoolean() ? "CRC32C" : "None");
        kv.put("DataDigest", rnd.nextBoolean() ? "CRC32C" : "None");
        kv.put("MaxRecvDataSegmentLength", pick(512, 4096, 8192, 65536, 262144, 16777215));
        kv.put("ImmediateData", rnd.nextBoolean() ? "Yes" : "No");
        kv.put("InitialR2T", rnd.nextBoolean() ? "Yes" : "No");
        kv.put("FirstBurstLength", pick(512, 8192, 65536, 262144));
        kv.put("MaxBurstLength", pick(512, 65536, 262144, 1048576, 16776192));
        int flags = 0x80 | (1 << 2) | 3; // T, CSG operational, NSG full feature
        int stages = 1;
        if (fuzzLogin) {
            stages = 1 + rnd.nextInt(3);
            LoginFuzz.scramble(rnd, kv);
        }
        for (int stage = 0; stage < stages; stage++) {
            int f = flags;
            if (fuzzLogin) {
                f = LoginFuzz.flags(rnd, stage, stages);
            }
            byte[] text = WireInitiator.keys(kv);
            if (fuzzLogin && rnd.nextInt(3) == 0) {
                text = LoginFuzz.mangleText(rnd, text);
            }
            int tsih = fuzzLogin && rnd.nextInt(8) == 0 ? rnd.nextInt(0x10000) : 0;
            RawPdu p = RawPdu.login(f, isid, tsih, rnd.nextInt(8) == 0 ? rnd.nextInt() : 0,
                    fuzzLogin && rnd.nextInt(8) == 0 ? rnd.nextInt(0x10000) : 0, c.cmdSn,
                    fuzzLogin && rnd.nextInt(4) == 0 ? rnd.nextInt() : 0, text);
            boolean mutated = fuzzLogin && rnd.nextInt(3) == 0;
            c.last = "LOGIN";
            byte[] wire = p.encode(false, false);
            if (mutated) {
                wire = mutator.mutate(p, false, false); // digests never apply during login
                c.last = "LOGIN " + mutator.lastName();
            }
            count(mutated || fuzzLogin, false, wire.length);
            c.os.write(wire);
            c.os.flush();
            boolean continues = (f & 0x40) != 0;
            TargetPduReader.Rx r = c.reader.next(continues ? 300 : 3000);
            if (r.opcode() != 0x23) {
                out.hit("login: answered with opcode 0x" + Integer.toHexString(r.opcode()));
                return false;
            }
            if (r.u8(36) != 0) {
                out.hit(String.format("login: status %02x%02x", r.u8(36), r.u8(37)));
                return false;
            }
            Map<String, String> a = WireInitiator.parseKeys(r.data());
            if ((r.flags() & 0x80) != 0 && (r.flags() & 0x03) == 3) {
                c.expStatSn = r.statSn() + 1;
                c.targetExpCmdSn = r.expCmdSn();
                c.headerDigest = "CRC32C".equals(a.get("HeaderDigest"));
                c.dataDigest = "CRC32C".equals(a.get("DataDigest"));
                c.sendLimit = parse(a.get("MaxRecvDataSegmentLength"), 8192);
                c.firstBurst = parse(a.get("FirstBurstLength"), 65536);
                c.immediateData = !"No".equals(a.get("ImmediateData"));
                c.initialR2t = "Yes".equals(a.get("InitialR2T"));
                c.reader.headerDigest = c.headerDigest;
                c.reader.dataDigest = c.dataDigest;
                out.hit("ok login " + (c.discovery ? "discovery" : "normal") + (fuzzLogin ? " (fuzzed)" : ""));
                return true;
            }
            out.hit("ok login stage " + ((r.flags() >> 2) & 3) + " -> " + (r.flags() & 0x03));
        }
        return false; // the stages we sent did not reach the full feature phase
    }

    // ------------------------------------------------------------------ full feature phase

    private RawPdu generate(Conn c) {
        if (c.sinceAnswer > 24 && c.syncItt == 0) {
            // nothing came back for a while: an immediate NOP-Out shows the target's ExpCmdSN (see record)
            c.sinceAnswer = 0;
            c.syncItt = c.nextItt++;
            return RawPdu.nopOut(true, c.syncItt, RawPdu.RESERVED_TAG, c.cmdSn, c.expStatSn, null);
        }
        int w = rnd.nextInt(100);
        if (!c.r2ts.isEmpty() && w < 60) {
            return answerR2t(c, c.r2ts.poll());
        }
        if (c.pingTtt != RawPdu.RESERVED_TAG && w < 70) {
            int ttt = c.pingTtt;
            c.pingTtt = RawPdu.RESERVED_TAG;
            return RawPdu.nopOut(true, RawPdu.RESERVED_TAG, ttt, c.cmdSn, c.expStatSn, null);
        }
        if (w < 55) {
            return scsiCommand(c);
        }
        if (w < 63) {
            return unsolicitedDataOut(c);
        }
        if (w < 75) {
            boolean imm = rnd.nextBoolean();
            byte[] ping = rnd.nextInt(3) == 0 ? randomBytes(rnd.nextInt(rnd.nextBoolean() ? 64 : 9000)) : null;
            return RawPdu.nopOut(imm, c.nextItt++, RawPdu.RESERVED_TAG, imm ? c.cmdSn : c.cmdSn++, c.expStatSn, ping);
        }
        if (w < 82) {
            return taskManagement(c);
        }
        if (w < 90) {
            return text(c);
        }
        if (w < 92) {
            boolean imm = rnd.nextBoolean();
            int reason = rnd.nextInt(10) == 0 ? rnd.nextInt(128) : rnd.nextInt(3);
            return RawPdu.logout(imm, reason, c.nextItt++, rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : 0,
                    imm ? c.cmdSn : c.cmdSn++, c.expStatSn);
        }
        if (w < 95) {
            return RawPdu.snack(rnd.nextInt(4), recentItt(c), rnd.nextInt(), c.expStatSn, rnd.nextInt(4),
                    rnd.nextInt(4));
        }
        if (w < 99) { // opcodes nobody should send: reserved, target-only, vendor specific
            int[] odd = {0x07, 0x08, 0x0F, 0x1C, 0x1D, 0x1E, 0x11, 0x21, 0x25, 0x31, 0x3F, 0x3C};
            RawPdu p = new RawPdu("OPCODE", odd[rnd.nextInt(odd.length)], rnd.nextBoolean(), 0x80);
            p.i32(16, c.nextItt++).i32(24, c.cmdSn).i32(28, c.expStatSn);
            return p.data(rnd.nextBoolean() ? randomBytes(rnd.nextInt(100)) : null);
        }
        return RawPdu.login(0x80 | (1 << 2) | 3, 1, 1, c.nextItt++, 0, c.cmdSn, c.expStatSn,
                WireInitiator.keys(Map.of("InitiatorName", initiatorName)));
    }

    private RawPdu scsiCommand(Conn c) {
        CdbFuzz.Command cmd = CdbFuzz.next(rnd, CAPACITY_BLOCKS);
        boolean imm = rnd.nextInt(16) == 0;
        int itt = rnd.nextInt(20) == 0 ? recentItt(c) : c.nextItt++;
        long lun = rnd.nextInt(10) != 0 ? RawPdu.lun(0) : CdbFuzz.lunField(rnd);
        int edtl = cmd.edtl();
        byte[] immediateData = null;
        boolean fin = true;
        if (cmd.write() && edtl > 0) {
            int want = c.immediateData ? Math.min(Math.min(edtl, c.firstBurst), c.sendLimit) : 0;
            if (rnd.nextInt(32) == 0) {
                want = rnd.nextInt(Math.min(edtl, 70000) + 1); // maybe more than allowed
            }
            immediateData = cmd.payload(want);
            fin = c.initialR2t || want >= Math.min(edtl, c.firstBurst) || rnd.nextInt(8) == 0;
            c.writes.add(new int[] {itt, edtl, want, (int) (lun >>> 48)});
            if (c.writes.size() > 16) {
                c.writes.remove(0);
            }
        }
        int flags = (fin ? 0x80 : 0) | (cmd.read() ? 0x40 : 0) | (cmd.write() ? 0x20 : 0) | (rnd.nextInt(10) == 0
                ? rnd.nextInt(8) : 1);
        RawPdu p = RawPdu.scsiCommand(imm, flags, lun, itt, edtl, imm ? c.cmdSn : c.cmdSn++, c.expStatSn, cmd.cdb());
        p.data(immediateData);
        c.recentItts.add(itt);
        if (c.recentItts.size() > 32) {
            c.recentItts.poll();
        }
        out.fuzzedCdbs.increment();
        p.cdbFuzzed = true;
        return p;
    }

    /** Data-Out for an R2T {itt, ttt, offset, length, lun, dataSn}: one PDU of it, the rest stays due. */
    private RawPdu answerR2t(Conn c, int[] r2t) {
        int length = r2t[3];
        int n = Math.min(length, c.sendLimit);
        if (n < length) {
            c.r2ts.addFirst(new int[] {r2t[0], r2t[1], r2t[2] + n, length - n, r2t[4], r2t[5] + 1});
        }
        int offset = r2t[2];
        int dataSn = r2t[5];
        int ttt = r2t[1];
        if (rnd.nextInt(6) == 0) { // wrong on purpose: offset, DataSN or TTT
            switch (rnd.nextInt(3)) {
                case 0 -> offset += 512 * (rnd.nextInt(5) - 2);
                case 1 -> dataSn += rnd.nextInt(3) + 1;
                default -> ttt ^= 1 << rnd.nextInt(32);
            }
        }
        return RawPdu.dataOut(n == length, RawPdu.lun(r2t[4]), r2t[0], ttt, c.expStatSn, dataSn, offset,
                randomBytes(n));
    }

    private RawPdu unsolicitedDataOut(Conn c) {
        int itt;
        int offset;
        int lun = 0;
        if (!c.writes.isEmpty() && rnd.nextInt(4) != 0) {
            int[] w = c.writes.get(rnd.nextInt(c.writes.size()));
            itt = w[0];
            offset = w[2];
            lun = w[3];
            int n = Math.min(Math.min(w[1] - w[2], c.sendLimit), 1 + rnd.nextInt(16384));
            w[2] += Math.max(n, 0);
            return RawPdu.dataOut(rnd.nextBoolean(), RawPdu.lun(lun), itt, RawPdu.RESERVED_TAG, c.expStatSn,
                    rnd.nextInt(3), offset, randomBytes(Math.max(0, n)));
        }
        itt = rnd.nextBoolean() ? recentItt(c) : rnd.nextInt();
        return RawPdu.dataOut(rnd.nextBoolean(), RawPdu.lun(lun), itt, rnd.nextBoolean() ? RawPdu.RESERVED_TAG
                : rnd.nextInt(), c.expStatSn, rnd.nextInt(4), 512 * rnd.nextInt(64), randomBytes(rnd.nextInt(8192)));
    }

    private RawPdu taskManagement(Conn c) {
        // 1 ABORT TASK, 2 ABORT TASK SET, 3 CLEAR ACA, 4 CLEAR TASK SET, 5 LU RESET, 6 TARGET WARM RESET,
        // 7 TARGET COLD RESET, 8 TASK REASSIGN; the resets of the whole target are rarer (they end every session)
        int[] functions = {1, 1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 0, 9, 17, 127};
        int function = rnd.nextInt(40) == 0 ? 6 + rnd.nextInt(2) : functions[rnd.nextInt(functions.length)];
        boolean imm = rnd.nextInt(4) != 0;
        int rtt = rnd.nextInt(5) == 0 ? rnd.nextInt() : recentItt(c);
        int refCmdSn = c.cmdSn - 1 - rnd.nextInt(4);
        long lun = rnd.nextInt(6) != 0 ? RawPdu.lun(0) : CdbFuzz.lunField(rnd);
        c.resetSent |= function == 6 || function == 7;
        return RawPdu.taskManagement(imm, function, lun, c.nextItt++, rtt, imm ? c.cmdSn : c.cmdSn++, c.expStatSn,
                refCmdSn);
    }

    private RawPdu text(Conn c) {
        boolean imm = rnd.nextBoolean();
        String[] offers = {"SendTargets=All", "SendTargets=", "SendTargets=" + target, "SendTargets=iqn.nope",
            "MaxRecvDataSegmentLength=8192", "HeaderDigest=CRC32C", "X-com.example.vendor=1", "TargetAlias=x",
            "InitiatorName=iqn.x", "=", "novalue", "SendTargets=All\0SendTargets=All"};
        StringBuilder sb = new StringBuilder();
        int keys = 1 + rnd.nextInt(3);
        for (int i = 0; i < keys; i++) {
            sb.append(offers[rnd.nextInt(offers.length)]).append('\0');
        }
        byte[] t = sb.toString().getBytes(StandardCharsets.UTF_8);
        int flags = rnd.nextInt(6) == 0 ? 0x40 : 0x80; // sometimes C (continue)
        int ttt = c.textTtt != RawPdu.RESERVED_TAG && rnd.nextBoolean() ? c.textTtt
                : rnd.nextInt(6) == 0 ? rnd.nextInt() : RawPdu.RESERVED_TAG;
        return RawPdu.text(imm, flags, c.nextItt++, ttt, imm ? c.cmdSn : c.cmdSn++, c.expStatSn, t);
    }

    // ------------------------------------------------------------------ send and receive

    private void send(Conn c, RawPdu generated) throws IOException {
        RawPdu p = generated;
        boolean cdb = p.cdbFuzzed;
        c.last = p.kind;
        boolean mutate = rnd.nextInt(1000) < c.mutationPerMille;
        byte[] wire;
        if (mutate) {
            wire = mutator.mutate(p, c.headerDigest, c.dataDigest);
            c.last = p.kind + " " + mutator.lastName();
            c.lastMutation = mutator.lastName();
        } else {
            wire = p.encode(c.headerDigest, c.dataDigest);
        }
        count(mutate, cdb, wire.length);
        c.sinceAnswer++;
        if (mutate && mutator.fragment()) {
            for (int at = 0; at < wire.length; ) {
                int n = Math.min(wire.length - at, 1 + rnd.nextInt(64));
                c.os.write(wire, at, n);
                c.os.flush();
                at += n;
            }
        } else {
            c.os.write(wire);
            c.os.flush();
        }
        if (mutate && mutator.duplicate()) {
            c.os.write(wire);
            c.os.flush();
        }
    }

    private void count(boolean mutated, boolean cdb, int bytes) {
        out.pdus.increment();
        out.bytesSent.add(bytes);
        if (mutated) {
            out.mutatedPdus.increment();
        }
        if (mutated || cdb) {
            out.fuzzedPdus.increment();
        }
    }

    /** Reads whatever has arrived and records each answer. */
    private void drain(Conn c) throws IOException {
        TargetPduReader.Rx r;
        while ((r = c.reader.poll()) != null) {
            record(c, r);
        }
    }

    private void record(Conn c, TargetPduReader.Rx r) {
        int op = r.opcode();
        c.sinceAnswer = 0;
        if (op == 0x20 && c.syncItt != 0 && r.itt() == c.syncItt) {
            // every PDU before the NOP-Out was admitted, queued or ignored by now: a smaller ExpCmdSN than ours is
            // a hole (a mutated or rejected CmdSN) or commands it ignored; carry on from the target's ExpCmdSN
            c.syncItt = 0;
            if (c.cmdSn != r.expCmdSn()) {
                out.hit("ok CmdSN resynchronised");
                c.cmdSn = r.expCmdSn();
            }
        }
        if (op == 0x21 || op == 0x22 || op == 0x24 || op == 0x26 || op == 0x3F || op == 0x20 && r.itt() != -1
                || op == 0x25 && (r.flags() & 0x01) != 0) {
            c.expStatSn = r.statSn() + 1;
        }
        if (op != 0x23 && op != 0x25 || op == 0x25 && (r.flags() & 0x01) != 0) {
            c.targetExpCmdSn = r.expCmdSn();
        }
        switch (op) {
            case 0x3F -> {
                int rejected = r.data().length > 0 ? r.data()[0] & 0x3F : -1;
                String[] names = {"NOP-Out", "SCSI Command", "TMF", "Login", "Text", "Data-Out", "Logout"};
                out.hit(String.format("reject: reason 0x%02x for %s", r.u8(2), rejected >= 0 && rejected < 7
                        ? names[rejected] : rejected == 0x10 ? "SNACK" : "other opcodes"));
                c.lastReject = r.u8(2);
            }
            case 0x21 -> scsiResponse(r.u8(2), r.u8(3), r.data());
            case 0x25 -> {
                if ((r.flags() & 0x01) != 0) {
                    scsiResponse(0, r.u8(3), new byte[0]);
                }
            }
            case 0x31 -> {
                out.hit("ok R2T");
                if (c.r2ts.size() < 32) {
                    c.r2ts.add(new int[] {r.itt(), r.i32(20), r.i32(40), r.i32(44), r.u8(9), 0});
                }
            }
            case 0x22 -> {
                out.hit(r.u8(2) == 0 ? "ok TMF function complete" : "tmf: response " + r.u8(2));
                c.closeExpected |= r.u8(2) == 0 && c.resetSent; // a target reset ends the sessions
            }
            case 0x26 -> {
                out.hit(r.u8(2) == 0 ? "ok logout" : "logout: response " + r.u8(2));
                c.closeExpected |= r.u8(2) == 0;
            }
            case 0x24 -> {
                String answer = new String(r.data(), StandardCharsets.UTF_8);
                if (answer.contains("=Reject")) {
                    out.hit("text: Reject");
                } else if (answer.contains("=NotUnderstood")) {
                    out.hit("text: NotUnderstood");
                } else {
                    out.hit("ok text" + ((r.flags() & 0x40) != 0 ? " (continues)" : ""));
                }
                c.textTtt = r.i32(20);
            }
            case 0x20 -> {
                if (r.itt() == -1) {
                    c.pingTtt = r.i32(20);
                    out.hit("ok NOP-In ping");
                } else {
                    out.hit("ok NOP-In echo");
                }
            }
            case 0x32 -> out.hit("async: event " + r.u8(36));
            default -> out.hit(String.format("unexpected: opcode 0x%02x", op));
        }
    }

    private void scsiResponse(int response, int status, byte[] data) {
        if (response != 0) {
            out.hit("scsi: response 0x" + Integer.toHexString(response));
            return;
        }
        if (status == 0) {
            out.goodStatus.increment();
            out.hit("ok GOOD");
            return;
        }
        if (status == 2 && data.length >= 2 + 14) {
            int f = data[2] & 0x7F;
            if (f == 0x72 || f == 0x73) {
                out.hit(String.format("sense: %x/%02x/%02x", data[3] & 0x0F, data[4] & 0xFF, data[5] & 0xFF));
            } else {
                out.hit(String.format("sense: %x/%02x/%02x", data[4] & 0x0F, data[14] & 0xFF, data[15] & 0xFF));
            }
            return;
        }
        out.hit(String.format("status: 0x%02x", status));
    }

    private int recentItt(Conn c) {
        if (c.recentItts.isEmpty()) {
            return rnd.nextInt();
        }
        int k = rnd.nextInt(c.recentItts.size());
        return c.recentItts.stream().skip(k).findFirst().orElse(0);
    }

    private String pick(int... values) {
        return Integer.toString(values[rnd.nextInt(values.length)]);
    }

    private static int parse(String v, int dflt) {
        try {
            return v == null ? dflt : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }
}
