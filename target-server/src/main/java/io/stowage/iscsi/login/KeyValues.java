package io.stowage.iscsi.login;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The text format of login and text PDUs (RFC 7143 §6.1): UTF-8 {@code key=value} pairs, each terminated by a
 * NUL. Order is kept because responses answer keys in the order they were offered.
 */
public final class KeyValues {
    private KeyValues() {
    }

    /** Parses pairs; a pair without '=' maps to null (answered with Reject by the negotiator). */
    public static LinkedHashMap<String, String> parse(byte[] text) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i == text.length || text[i] == 0) {
                if (i > start) {
                    String pair = new String(text, start, i - start, StandardCharsets.UTF_8);
                    int eq = pair.indexOf('=');
                    if (eq < 0) {
                        out.put(pair, null);
                    } else {
                        out.put(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                }
                start = i + 1;
            }
        }
        return out;
    }

    /** The first key that occurs more than once in {@code text}, or null (RFC 7143 §6.2 forbids that). */
    public static String repeatedKey(byte[] text) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        int start = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i == text.length || text[i] == 0) {
                if (i > start) {
                    String pair = new String(text, start, i - start, StandardCharsets.UTF_8);
                    int eq = pair.indexOf('=');
                    String key = eq < 0 ? pair : pair.substring(0, eq);
                    if (!seen.add(key)) {
                        return key;
                    }
                }
                start = i + 1;
            }
        }
        return null;
    }

    public static byte[] format(Map<String, String> pairs) {
        StringBuilder sb = new StringBuilder();
        pairs.forEach((k, v) -> sb.append(k).append('=').append(v).append('\0'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] bytes(ByteBuffer data) {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }
}
