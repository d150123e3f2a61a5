package io.stowage.node.cli;

/**
 * Exit codes of the {@code stowage} admin subcommands (docs/operations.md lists them; scripts may rely on them).
 * {@code stowage serve} keeps its own: 0 clean stop, 1 runtime failure, 2 usage or configuration error.
 */
public final class ExitCode {
    public static final int OK = 0;
    /** The daemon failed the operation (an I/O error, a volume that cannot be opened). */
    public static final int FAILURE = 1;
    /** Bad usage or a value refused: unknown option, missing argument, bad size, bad name. */
    public static final int USAGE = 2;
    /** No such volume, target or LUN. */
    public static final int NOT_FOUND = 3;
    /** The name (or IQN, or LUN) is already taken. */
    public static final int DUPLICATE = 4;
    /** Refused while in use: a volume still exported, a target still exporting LUNs. */
    public static final int IN_USE = 5;
    /** No token or a wrong one (the token file cannot be read, or belongs to another daemon). */
    public static final int UNAUTHORIZED = 6;
    /** No daemon answers at the admin URL. */
    public static final int NO_DAEMON = 7;

    private ExitCode() {
    }

    /** The exit code of an API error ({@code error} field of its JSON body). */
    static int of(String error, int status) {
        return switch (error) {
            case "invalid" -> USAGE;
            case "not-found" -> NOT_FOUND;
            case "duplicate" -> DUPLICATE;
            case "in-use" -> IN_USE;
            case "unauthorized" -> UNAUTHORIZED;
            default -> status == 401 ? UNAUTHORIZED : status == 404 ? NOT_FOUND : FAILURE;
        };
    }
}
