package io.stowage.node.admin;

/**
 * An operation refused for a reason the client can fix: it becomes a 4xx JSON answer naming the field, and a CLI
 * exit code. {@code field} is the request field at fault, or null.
 */
public final class AdminException extends RuntimeException {
    /** What went wrong, as scripts see it (the JSON {@code error} and the CLI's exit code). */
    public enum Kind {
        INVALID(400), UNAUTHORIZED(401), NOT_FOUND(404), DUPLICATE(409), IN_USE(409);

        public final int status;

        Kind(int status) {
            this.status = status;
        }

        public String code() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    private final Kind kind;
    private final String field;

    public AdminException(Kind kind, String field, String message) {
        super(message);
        this.kind = kind;
        this.field = field;
    }

    public Kind kind() {
        return kind;
    }

    public String field() {
        return field;
    }

    static AdminException invalid(String field, String message) {
        return new AdminException(Kind.INVALID, field, message);
    }

    static AdminException notFound(String field, String message) {
        return new AdminException(Kind.NOT_FOUND, field, message);
    }
}
