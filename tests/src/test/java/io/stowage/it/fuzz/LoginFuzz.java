package io.stowage.it.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Mutations of a login (RFC 7143 §6, §11.12): stage and transit flags, continuation, key sets with keys missing,
 * repeated, unknown, out of range or of the wrong type, security negotiation, and text without its terminator.
 */
final class LoginFuzz {
    private static final String[][] KEYS = {
        {"AuthMethod", "None", "CHAP", "CHAP,None", "KRB5", "x"},
        {"CHAP_A", "5", "7", "5,7", ""},
        {"CHAP_N", "alice", ""},
        {"CHAP_R", "0x00", "0x" + "ab".repeat(16), "garbage"},
        {"HeaderDigest", "CRC32C,None", "None,CRC32C", "MD5", ""},
        {"DataDigest", "CRC32C,None", "Nonsense"},
        {"MaxConnections", "1", "0", "65536", "x"},
        {"ErrorRecoveryLevel", "0", "2", "3", "-1"},
        {"MaxRecvDataSegmentLength", "511", "512", "0", "16777216", "99999999999", "0x1000"},
        {"MaxBurstLength", "511", "16777216", "0"},
        {"FirstBurstLength", "16777215", "0", "abc"},
        {"DefaultTime2Wait", "0", "3601", "2"},
        {"DefaultTime2Retain", "0", "3601"},
        {"MaxOutstandingR2T", "0", "1", "65536"},
        {"DataPDUInOrder", "No", "Yes", "Maybe"},
        {"DataSequenceInOrder", "No", "Yes"},
        {"OFMarker", "Yes", "No"},
        {"IFMarkInt", "1~65535", "Reject"},
        {"TargetName", "iqn.2026-11.io.stowage:nope", "", "iqn.2026-11.io.stowage:fuzz\u00e9"},
        {"SessionType", "Discovery", "Normal", "Other", ""},
        {"InitiatorName", "", "not-an-iqn", "iqn.2026-11.io.stowage:fuzz-x"},
        {"TargetAddress", "127.0.0.1:1"},
        {"X-com.example.vendor", "1"},
        {"X#private", "y"},
        {"NoSuchKey", "1"},
    };

    private LoginFuzz() {
    }

    /** Changes 1..4 keys of the login: remove, set to an odd value, or add. */
    static void scramble(Random rnd, Map<String, String> kv) {
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            String[] k = KEYS[rnd.nextInt(KEYS.length)];
            switch (rnd.nextInt(4)) {
                case 0 -> kv.remove(k[0]);
                case 1 -> kv.put(k[0], "v".repeat(rnd.nextInt(300)));
                default -> kv.put(k[0], k[1 + rnd.nextInt(k.length - 1)]);
            }
        }
        if (rnd.nextInt(8) == 0) {
            kv.remove("InitiatorName");
        }
    }

    /** Flags: T, C, CSG and NSG in every combination, legal ones more often. */
    static int flags(Random rnd, int stage, int stages) {
        return switch (rnd.nextInt(6)) {
            case 0 -> rnd.nextInt(256);
            case 1 -> 0x40 | (1 << 2) | 3;                          // C with T=0: more text follows
            case 2 -> stage == 0 ? 0x80 | (0 << 2) | 1 : 0x80 | (1 << 2) | 3; // security, then operational
            case 3 -> 0x80 | (1 << 2) | 2;                            // NSG reserved
            case 4 -> 0xC0 | (1 << 2) | 3;                            // T and C at once (illegal)
            default -> stage + 1 < stages ? (1 << 2) : 0x80 | (1 << 2) | 3;
        };
    }

    /** Text made odd: no final NUL, repeated keys, binary bytes, a key with no '=', an oversized value. */
    static byte[] mangleText(Random rnd, byte[] text) {
        switch (rnd.nextInt(6)) {
            case 0:
                return text.length > 0 ? java.util.Arrays.copyOf(text, text.length - 1) : text;
            case 1: {
                byte[] twice = new byte[text.length * 2];
                System.arraycopy(text, 0, twice, 0, text.length);
                System.arraycopy(text, 0, twice, text.length, text.length);
                return twice;
            }
            case 2: {
                byte[] t = text.clone();
                for (int i = 0; i < 1 + rnd.nextInt(4) && t.length > 0; i++) {
                    t[rnd.nextInt(t.length)] = (byte) rnd.nextInt(256);
                }
                return t;
            }
            case 3:
                return concat(text, "NoEqualsSign\0".getBytes(StandardCharsets.UTF_8));
            case 4:
                return concat(text, ("X-long=" + "z".repeat(4000 + rnd.nextInt(5000)) + "\0")
                        .getBytes(StandardCharsets.UTF_8));
            default: {
                List<Byte> l = new ArrayList<>();
                for (byte b : text) {
                    l.add(b);
                }
                java.util.Collections.shuffle(l, rnd);
                byte[] t = new byte[l.size()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = l.get(i);
                }
                return t;
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
