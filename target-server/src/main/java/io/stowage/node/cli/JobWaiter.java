package io.stowage.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/**
 * Follows a job of the admin API (a rollback, a backend restart, a scrub pass) to its end, polling
 * {@code GET /v1/jobs/{id}}. Progress goes to stderr: on a terminal one line redrawn in place (state, a bar when the job
 * tells how far it is, elapsed time and a spinner), otherwise (a script, a log) one plain line per state change; nothing with {@code --json}. A job that
 * FAILED is exit 1 with its message; an interrupted wait is exit 1 too, saying the job goes on.
 */
final class JobWaiter {
    private static final long POLL_MILLIS = 200;
    private static final char[] SPIN = {'|', '/', '-', '\\'};

    private JobWaiter() {
    }

    /** Whether progress is drawn in place: stderr and stdout are a terminal ({@code System.console()}). */
    static boolean terminal() {
        return System.console() != null;
    }

    /** Waits for {@code job} (as the API answered it) to end; returns it DONE, or throws for FAILED. */
    static JsonNode follow(AdminClient api, JsonNode job, String what, PrintWriter err, boolean quiet, boolean tty) {
        long id = job.path("id").asLong();
        long t0 = System.nanoTime();
        String lastState = null;
        JsonNode now = job;
        int tick = 0;
        while (true) {
            String state = now.path("state").asText();
            boolean over = state.equals("DONE") || state.equals("FAILED");
            if (!quiet) {
                long s = (System.nanoTime() - t0) / 1_000_000_000;
                if (tty) {
                    err.print("\r" + what + ": " + state.toLowerCase() + " " + bar(now) + s + " s "
                            + (over ? " " : SPIN[tick++ % SPIN.length]) + (over ? "\n" : ""));
                    err.flush();
                } else if (!state.equals(lastState)) {
                    err.println(what + ": job " + id + " " + state.toLowerCase() + (over ? " after " + s + " s" : ""));
                }
            }
            lastState = state;
            if (over) break;
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliFailure(ExitCode.FAILURE, "interrupted; job " + id + " goes on (stowage job show " + id
                        + ")");
            }
            now = api.get("v1/jobs/" + id);
        }
        if (now.path("state").asText().equals("FAILED")) {
            throw new CliFailure(ExitCode.FAILURE, what + " failed: " + now.path("message").asText());
        }
        return now;
    }

    /** {@code [#####.....]  50% } while a job tells its progress, else nothing. */
    static String bar(JsonNode job) {
        JsonNode p = job.path("progress");
        if (!p.isNumber()) return "";
        double f = Math.max(0, Math.min(1, p.asDouble()));
        int filled = (int) Math.round(f * 20);
        return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "] " + String.format("%3d%% ", Math.round(f * 100));
    }

    /** The line {@code --no-wait} prints: the job and how to follow it. */
    static String started(String what, JsonNode job) {
        long id = job.path("id").asLong();
        return what + " started: job " + id + " (stowage job show " + id + " --wait)";
    }
}
