package io.stowage.node.cli;

/** A CLI command failed: the message for stderr and the exit code. Expected, so no stack trace is printed. */
final class CliFailure extends RuntimeException {
    final int exitCode;

    CliFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }
}
