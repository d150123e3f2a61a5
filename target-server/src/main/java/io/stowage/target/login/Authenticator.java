package io.stowage.target.login;

import java.util.Map;

/**
 * One authentication method of the security stage (RFC 7143 §6.3, §12). {@code None} is the only one today;
 * CHAP (one-way and mutual, RFC 7143 §12.1) implements this same interface and is chosen per target and for
 * discovery through configuration.
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
