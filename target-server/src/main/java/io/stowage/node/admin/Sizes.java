package io.stowage.node.admin;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as operators write them: bytes, or a number with K, M, G or T (binary units, as the config file). */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    /** Bytes of {@code text}; a multiple of 4 KiB, at most 1 PiB. Refused with an error naming {@code field}. */
    public static long parse(String field, String text) {
        try {
            return bytes(text);
        } catch (IllegalArgumentException e) {
            throw AdminException.invalid(field, e.getMessage());
        }
    }

    /**
     * Bytes of {@code text} (the config file's sizes too); a multiple of 4 KiB, at most 1 PiB.
     *
     * @throws IllegalArgumentException saying what is wrong with it, for the caller to name its key or field
     */
    public static long bytes(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 8G (K, M, G, T), got '" + text + "'");
        }
        int shift = switch (m.group(2).toUpperCase()) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        if (n <= 0 || n > (1L << 50 >> shift)) {
            throw new IllegalArgumentException("size out of range (1 byte to 1P): '" + text + "'");
        }
        long bytes = n << shift;
        if (bytes % 4096 != 0) {
            throw new IllegalArgumentException("size must be a multiple of 4K, got '" + text + "'");
        }
        return bytes;
    }

    /** The largest unit that divides {@code bytes} exactly: 8G, 1536M, 4K. */
    public static String format(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes != 0 && bytes % (1L << shifts[i]) == 0) return (bytes >> shifts[i]) + units[i];
        }
        return Long.toString(bytes);
    }
}
