package io.stowage.iscsi.login;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * CHAP secrets of one target (RFC 7143 §12.1.3): the name and secret the initiator must prove, and optionally the
 * name and secret the target proves back (mutual CHAP). Secrets are bytes as configured (UTF-8). Made through
 * {@link #of}, which holds the rules every source (config file, admin API) shares; {@link #toString} never shows
 * a secret.
 */
public record ChapCredentials(String user, byte[] secret, String mutualUser, byte[] mutualSecret) {
    /** Shortest and longest secret accepted (RFC 7143 §12.1.3 wants at least 96 bits; 255 is open-iscsi's bound). */
    public static final int MIN_SECRET = 12;
    public static final int MAX_SECRET = 255;
    /** Longest CHAP_N (a text value, RFC 7143 §6.1, bounded like the secret). */
    public static final int MAX_USER = 255;

    /** Which of the four values is wrong: user, secret, mutual-user, mutual-secret. */
    public enum Field {
        USER("user"), SECRET("secret"), MUTUAL_USER("mutual-user"), MUTUAL_SECRET("mutual-secret");

        /** The name as the config keys write it ({@code target.NAME.chap.<key>}). */
        public final String key;

        Field(String key) {
            this.key = key;
        }
    }

    /** Refused credentials: {@code field} is at fault; the message says why, never the secret itself. */
    public static final class InvalidException extends IllegalArgumentException {
        private final Field field;

        InvalidException(Field field, String message) {
            super(message);
            this.field = field;
        }

        public Field field() {
            return field;
        }
    }

    /**
     * Validated credentials: user and secret both given, mutual-user and mutual-secret both or neither, names of 1
     * to {@value #MAX_USER} characters without control characters, secrets of {@value #MIN_SECRET} to
     * {@value #MAX_SECRET} characters, and a target secret that differs from the initiator's (RFC 7143 §12.1.3: the
     * same secret both ways lets a peer reflect a challenge).
     */
    public static ChapCredentials of(String user, String secret, String mutualUser, String mutualSecret) {
        if (user == null) throw new InvalidException(Field.USER, "CHAP needs both user and secret");
        if (secret == null) throw new InvalidException(Field.SECRET, "CHAP needs both user and secret");
        if ((mutualUser == null) != (mutualSecret == null)) {
            throw new InvalidException(mutualUser == null ? Field.MUTUAL_USER : Field.MUTUAL_SECRET,
                    "mutual CHAP needs both mutual-user and mutual-secret");
        }
        checkName(Field.USER, user);
        checkSecret(Field.SECRET, secret);
        if (mutualUser != null) {
            checkName(Field.MUTUAL_USER, mutualUser);
            checkSecret(Field.MUTUAL_SECRET, mutualSecret);
            if (secret.equals(mutualSecret)) {
                throw new InvalidException(Field.MUTUAL_SECRET, "must differ from the initiator's secret");
            }
        }
        return new ChapCredentials(user, secret.getBytes(StandardCharsets.UTF_8), mutualUser,
                mutualSecret == null ? null : mutualSecret.getBytes(StandardCharsets.UTF_8));
    }

    private static void checkName(Field f, String v) {
        if (v.isEmpty() || v.length() > MAX_USER) {
            throw new InvalidException(f, "must be 1 to " + MAX_USER + " characters (got " + v.length() + ")");
        }
        if (v.chars().anyMatch(Character::isISOControl)) throw new InvalidException(f, "must not hold control characters");
    }

    private static void checkSecret(Field f, String v) {
        if (v.length() < MIN_SECRET || v.length() > MAX_SECRET) {
            throw new InvalidException(f, "must be " + MIN_SECRET + " to " + MAX_SECRET + " characters (got "
                    + v.length() + ")");
        }
        if (v.chars().anyMatch(Character::isISOControl)) throw new InvalidException(f, "must not hold control characters");
    }

    public boolean mutual() {
        return mutualUser != null;
    }

    /** Same names and secrets (the record's equals compares the arrays by identity). */
    public static boolean same(ChapCredentials a, ChapCredentials b) {
        if (a == null || b == null) return a == b;
        return a.user.equals(b.user) && Arrays.equals(a.secret, b.secret)
                && java.util.Objects.equals(a.mutualUser, b.mutualUser) && Arrays.equals(a.mutualSecret, b.mutualSecret);
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + (mutual() ? ", mutualUser=" + mutualUser : "") + ", secrets hidden]";
    }
}
