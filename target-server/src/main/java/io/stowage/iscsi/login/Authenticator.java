package io.stowage.iscsi.login;

import java.util.Map;

/**
 * One authentication method of the security stage (RFC 7143 §6.3, §12): {@code None}, or
 * {@link ChapAuthenticator} (one-way and mutual CHAP) for a target that has secrets in the configuration.
 */
public interface Authenticator {
    enum Step { CONTINUE, DONE, FAILED }

    /** The AuthMethod value this authenticator answers to. */
    String method();

    /** Consumes the keys of one security-stage request and adds its answers; DONE once the peer is authenticated. */
    Step step(Map<String, String> offered, Map<String, String> answers);

    Authenticator NONE = new Authenticator() {
        @Override
        public String method() {
            return "None";
        }

        @Override
        public Step step(Map<String, String> offered, Map<String, String> answers) {
            return Step.DONE;
        }
    };
}
