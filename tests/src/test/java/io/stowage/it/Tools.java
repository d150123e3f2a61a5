package io.stowage.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external tool (libiscsi, qemu-img) with a timeout and returns its exit code and output. */
final class Tools {
    record Result(int exit, String output) {
        Result ok() {
            if (exit != 0) {
                throw new AssertionError("exit " + exit + ":\n" + output);
            }
            return this;
        }
    }

    private Tools() {
    }

    static Result run(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = e.toString().getBytes();
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            return new Result(124, "TIMEOUT after " + timeoutSeconds + " s: " + String.join(" ", command) + "\n"
                    + (out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8)));
        }
        reader.join();
        return new Result(p.exitValue(), new String(out[0], StandardCharsets.UTF_8));
    }
}
