package io.stowage.iscsi.login;

/**
 * CHAP secrets of one target (RFC 7143 §12.1.3): the name and secret the initiator must prove, and optionally the
 * name and secret the target proves back (mutual CHAP). Secrets are bytes as configured (UTF-8).
 */
public record ChapCredentials(String user, byte[] secret, String mutualUser, byte[] mutualSecret) {
    public boolean mutual() {
        return mutualUser != null;
    }
}
