package io.stowage.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The CLI's side of the admin API: one JSON request per call, the token from the daemon's token file. Every failure
 * becomes a {@link CliFailure} with the exit code scripts rely on ({@link ExitCode}).
 */
final class AdminClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final Path tokenFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AdminClient(URI base, Path tokenFile) {
        this.base = base;
        this.tokenFile = tokenFile;
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    JsonNode put(String path, Object body) {
        return send("PUT", path, body);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    private JsonNode send(String method, String path, Object body) {
        String token = token();
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json");
        try {
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } catch (IOException e) {
            throw new CliFailure(ExitCode.FAILURE, "cannot encode the request: " + e.getMessage());
        }
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new CliFailure(ExitCode.NO_DAEMON, "no Stowage daemon answers at " + base + " (is it running? "
                    + "systemctl status stowage; or give --url)");
        } catch (IOException e) {
            throw new CliFailure(ExitCode.NO_DAEMON, "cannot reach the Stowage daemon at " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(ExitCode.FAILURE, "interrupted");
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new CliFailure(ExitCode.FAILURE, "the daemon at " + base + " answered " + r.statusCode()
                    + " with something that is not JSON (is that a Stowage admin API?)");
        }
        if (r.statusCode() / 100 == 2) return answer;
        String message = answer.path("message").asText("HTTP " + r.statusCode());
        if (r.statusCode() == 401 && token == null) {
            message += "; cannot read the token file " + tokenFile + " (run as root, or give --token-file)";
        }
        throw new CliFailure(ExitCode.of(answer.path("error").asText(""), r.statusCode()), message);
    }

    /** The token, or null when the file cannot be read (the daemon then answers 401, which says so). */
    private String token() {
        try {
            return Files.readString(tokenFile).strip();
        } catch (NoSuchFileException | AccessDeniedException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
