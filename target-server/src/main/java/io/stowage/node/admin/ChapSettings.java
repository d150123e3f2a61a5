package io.stowage.node.admin;

import io.stowage.iscsi.login.ChapCredentials;
import io.stowage.node.catalogue.Catalogue;

/**
 * CHAP as the catalogue keeps it and as the portal applies it. Which wins: the catalogue's entry once one was set
 * with {@code stowage chap set|clear} (as for ACLs), else the config file's {@code target.NAME.chap.*} or
 * {@code discovery.chap.*} keys. Values are checked by the same rules as the config file's
 * ({@link ChapCredentials#of}); views never carry a secret, only whether one is set.
 */
final class ChapSettings {
    private ChapSettings() {
    }

    /** The credentials new logins must prove: the catalogue's if set ({@code NONE}: none), else the file's. */
    static ChapCredentials effective(Catalogue.ChapEntry catalogued, ChapCredentials fromFile) {
        if (catalogued == null) return fromFile;
        if (catalogued.none()) return null;
        return ChapCredentials.of(catalogued.user(), catalogued.secret(), catalogued.mutualUser(),
                catalogued.mutualSecret());
    }

    /** A catalogue entry from an API request, validated; a refusal names the request's field. */
    static Catalogue.ChapEntry entry(String user, String secret, String mutualUser, String mutualSecret) {
        try {
            ChapCredentials.of(user, secret, mutualUser, mutualSecret);
        } catch (ChapCredentials.InvalidException e) {
            String field = switch (e.field()) {
                case USER -> "user";
                case SECRET -> "secret";
                case MUTUAL_USER -> "mutualUser";
                case MUTUAL_SECRET -> "mutualSecret";
            };
            throw AdminException.invalid(field, "CHAP " + field + ": " + e.getMessage());
        }
        return new Catalogue.ChapEntry(user, secret, mutualUser, mutualSecret);
    }

    /** What is required, in words, for the log and the reports (no secret). */
    static String describe(ChapCredentials c) {
        if (c == null) return "requires no CHAP";
        return "requires CHAP (user " + c.user() + (c.mutual() ? ", mutual as " + c.mutualUser() : ", one-way") + ")";
    }

    /** The view of a target's (or, {@code target} null, discovery's) CHAP: its mode, user names and source. */
    static Views.ChapView view(String target, String iqn, Catalogue.ChapEntry catalogued, ChapCredentials fromFile) {
        ChapCredentials c = effective(catalogued, fromFile);
        String source = catalogued != null ? "catalogue" : fromFile != null ? "config" : "none";
        String mode = c == null ? "none" : c.mutual() ? "mutual" : "one-way";
        return new Views.ChapView(target == null ? "(discovery)" : target, iqn, target == null, mode,
                c == null ? null : c.user(), c != null, c == null ? null : c.mutualUser(), c != null && c.mutual(),
                source);
    }
}
