package io.stowage.it.fuzz;

import java.util.Arrays;
import java.util.Random;

/**
 * Mutations of one PDU, applied to its fields before encoding or to its wire bytes after: bit flips and odd
 * bytes in the BHS, flags and opcode, sequence numbers (CmdSN, ExpStatSN, DataSN) off by one, by the window or by
 * 2^31, reserved and reused tags, an AHS, a DataSegmentLength that lies (the stream then desynchronises), one over
 * the limit, corrupted header and data digests (or digests where none were negotiated), truncation, trailing
 * garbage, delivery in tiny TCP segments, and duplicates. {@link #lastName} names what was done, for the report.
 */
final class PduMutator {
    private final Random rnd;
    private String name = "";
    private boolean fragment;
    private boolean duplicate;

    PduMutator(Random rnd) {
        this.rnd = rnd;
    }

    String lastName() {
        return name;
    }

    boolean fragment() {
        return fragment;
    }

    boolean duplicate() {
        return duplicate;
    }

    byte[] mutate(RawPdu p, boolean headerDigest, boolean dataDigest) {
        fragment = false;
        duplicate = false;
        int op = rnd.nextInt(10) == 0 ? 80 + rnd.nextInt(20) : rnd.nextInt(80);
        // field mutations (before encoding): most keep the stream in step, so the session goes on
        if (op < 12) {
            name = "cmdsn";
            int[] deltas = {1, -1, 2, 127, 128, 129, -128, 1 << 31, (1 << 31) - 1};
            p.i32(24, p.bhs.getInt(24) + deltas[rnd.nextInt(deltas.length)]);
        } else if (op < 18) {
            name = "expstatsn";
            p.i32(28, rnd.nextBoolean() ? p.bhs.getInt(28) + rnd.nextInt(5) - 2 : rnd.nextInt());
        } else if (op < 24) {
            name = "datasn/offset";
            p.i32(36 + 4 * rnd.nextInt(3), rnd.nextInt(8) == 0 ? rnd.nextInt() : p.bhs.getInt(36) + 1);
        } else if (op < 30) {
            name = "itt";
            p.i32(16, rnd.nextBoolean() ? RawPdu.RESERVED_TAG : rnd.nextInt(4));
        } else if (op < 38) {
            name = "flags";
            p.bhs.put(1, (byte) (rnd.nextBoolean() ? p.bhs.get(1) ^ (1 << rnd.nextInt(8)) : rnd.nextInt(256)));
        } else if (op < 42) {
            name = "opcode";
            p.bhs.put(0, (byte) ((p.bhs.get(0) & 0x40) | rnd.nextInt(64)));
        } else if (op < 46) {
            name = "immediate";
            p.bhs.put(0, (byte) (p.bhs.get(0) ^ 0x40));
        } else if (op < 58) {
            name = "bhs-bits";
            for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
                int at = 8 + rnd.nextInt(40); // past the length fields: the stream stays in step
                p.bhs.put(at, (byte) (p.bhs.get(at) ^ (1 << rnd.nextInt(8))));
            }
        } else if (op < 62) {
            name = "bhs-byte";
            int at = 8 + rnd.nextInt(40);
            int[] v = {0x00, 0xFF, 0x80, 0x7F};
            p.bhs.put(at, (byte) (rnd.nextBoolean() ? v[rnd.nextInt(v.length)] : rnd.nextInt(256)));
        } else if (op < 66) {
            name = "ahs";
            byte[] a = new byte[4 * (1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 64))];
            rnd.nextBytes(a);
            if (rnd.nextBoolean()) { // an extended-CDB AHS (type 1) with a plausible length
                a[0] = 0;
                a[1] = (byte) (a.length - 3);
                a[2] = 1;
            }
            p.ahs(a);
        } else if (op < 70) {
            name = "data-resized";
            int n = rnd.nextInt(4) == 0 ? rnd.nextInt(70000) : Math.max(0, p.data.length + rnd.nextInt(1025) - 512);
            byte[] d = Arrays.copyOf(p.data, n);
            for (int i = p.data.length; i < n; i += 97) {
                d[i] = (byte) rnd.nextInt(256);
            }
            p.data(d);
        } else if (op < 72) {
            name = "data-byte";
            if (p.data.length > 0) {
                p.data[rnd.nextInt(p.data.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
        } else if (op < 76) {
            name = "fragmented";
            fragment = true;
        } else if (op < 79) {
            name = "duplicate";
            duplicate = true;
        }
        if (op < 80) {
            return p.encode(headerDigest, dataDigest);
        }
        // wire mutations (after encoding): these usually cost the connection
        byte[] w = p.encode(headerDigest, dataDigest);
        int pad = (4 - p.data.length % 4) % 4;
        int headerEnd = RawPdu.BHS + p.ahs.length;
        if (op < 85 && headerDigest) {
            name = "header-digest";
            w[headerEnd + rnd.nextInt(4)] ^= (byte) (1 << rnd.nextInt(8));
            return w;
        }
        if (op < 90 && dataDigest && p.data.length > 0) {
            name = "data-digest";
            w[w.length - 1 - rnd.nextInt(4)] ^= (byte) (1 << rnd.nextInt(8));
            return w;
        }
        if (op < 90 && p.data.length > 0) {
            name = "data-padding";
            if (pad > 0) {
                w[headerEnd + (headerDigest ? 4 : 0) + p.data.length] = (byte) 0xAA; // non-zero padding
                return w;
            }
        }
        switch (rnd.nextInt(6)) {
            case 0 -> {
                name = "dsl-lies";
                int dsl = p.dataSegmentLength() + (rnd.nextBoolean() ? 4 : -4) * (1 + rnd.nextInt(16));
                w[5] = (byte) (Math.max(0, dsl) >>> 16);
                w[6] = (byte) (Math.max(0, dsl) >>> 8);
                w[7] = (byte) Math.max(0, dsl);
                return w;
            }
            case 1 -> {
                name = "dsl-oversized";
                int dsl = 262145 + rnd.nextInt(1 << 23);
                w[5] = (byte) (dsl >>> 16);
                w[6] = (byte) (dsl >>> 8);
                w[7] = (byte) dsl;
                return w;
            }
            case 2 -> {
                name = "truncated";
                return Arrays.copyOf(w, rnd.nextInt(w.length));
            }
            case 3 -> {
                name = "garbage-after";
                byte[] g = Arrays.copyOf(w, w.length + 1 + rnd.nextInt(100));
                for (int i = w.length; i < g.length; i++) {
                    g[i] = (byte) rnd.nextInt(256);
                }
                return g;
            }
            case 4 -> {
                name = "digests-unasked";
                return p.encode(!headerDigest, !dataDigest);
            }
            default -> {
                name = "length-bytes";
                w[4 + rnd.nextInt(4)] = (byte) rnd.nextInt(256);
                return w;
            }
        }
    }
}
