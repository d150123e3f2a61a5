package io.stowage.node.admin;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stowage.node.Daemon;
import io.stowage.node.StowageConfig;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API over HTTP: authentication, field-named 4xx errors, and an OpenAPI description true to the routes. */
class AdminApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;
    Daemon daemon;
    String base;
    String token;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        StowageConfig c = StowageConfig.from(Map.of("target.demo.lun.0", "demo", "volume.demo.size", "64M"));
        c.overrideDataDir(dir);
        c.overridePort(0);
        c.overrideAdmin("127.0.0.1:0");
        daemon = new Daemon(c);
        base = "http://127.0.0.1:" + daemon.adminAddress().getPort();
        token = Files.readString(dir.resolve("admin.token")).strip();
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    record Reply(int status, JsonNode body) {
    }

    Reply call(String method, String path, String body, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    Reply call(String method, String path, String body) throws Exception {
        return call(method, path, body, token);
    }

    static void assertError(Reply r, int status, String error, String field) {
        assertEquals(status, r.status(), r.body().toString());
        assertEquals(error, r.body().path("error").asText(), r.body().toString());
        if (field != null) assertEquals(field, r.body().path("field").asText(), r.body().toString());
        assertFalse(r.body().path("message").asText().isBlank());
    }

    @Test
    void theTokenFileIsMadeOwnerOnlyAndAWrongTokenIsRefused() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("admin.token"))));
        assertTrue(token.length() >= 32);
        assertError(call("GET", "/v1/volumes", null, null), 401, "unauthorized", null);
        assertError(call("GET", "/v1/volumes", null, "0123456789abcdef0123"), 401, "unauthorized", null);
        assertEquals(200, call("GET", "/v1/volumes", null).status());
        assertEquals(200, call("GET", "/v1/openapi.json", null, null).status(), "the description needs no token");
    }

    @Test
    void aTokenFileOthersCanReadIsRefused() throws Exception {
        Path f = dir.resolve("loose.token");
        Files.writeString(f, "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> AdminToken.loadOrCreate(f));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void aSnapshotIsClonedAndItsVolumeCannotBeDeletedWhileTheCloneExists() throws Exception {
        assertEquals(201, call("POST", "/v1/volumes", "{\"name\":\"base\",\"size\":\"64M\"}").status());
        assertEquals(201, call("POST", "/v1/volumes/base/snapshots", "{\"name\":\"s\"}").status());
        Reply r = call("POST", "/v1/volumes/base/clone", "{\"snapshot\":\"s\",\"clone\":\"copy\"}");
        assertEquals(201, r.status(), r.body().toString());
        assertEquals("copy", r.body().path("name").asText());
        assertEquals(64L << 20, r.body().path("sizeBytes").asLong());
        assertEquals(200, call("GET", "/v1/volumes/copy", null).status());
        assertError(call("POST", "/v1/volumes/base/clone", "{\"snapshot\":\"s\",\"clone\":\"copy\"}"), 409,
                "duplicate", "clone");
        assertError(call("POST", "/v1/volumes/base/clone", "{\"snapshot\":\"nope\",\"clone\":\"c2\"}"), 404,
                "not-found", "snapshot");
        assertError(call("POST", "/v1/volumes/none/clone", "{\"snapshot\":\"s\",\"clone\":\"c2\"}"), 404,
                "not-found", "name");
        assertError(call("DELETE", "/v1/volumes/base", null), 409, "in-use", "name");
        assertEquals(200, call("GET", "/v1/volumes/base", null).status(), "still catalogued");
        assertError(call("DELETE", "/v1/volumes/base/snapshots/s", null), 409, "in-use", "snapshot");
        assertEquals(1, call("GET", "/v1/volumes/base/snapshots", null).body().get(0).path("clones").asInt());
        assertEquals(200, call("DELETE", "/v1/volumes/copy", null).status());
        assertEquals(0, call("GET", "/v1/volumes/base/snapshots", null).body().get(0).path("clones").asInt());
        assertEquals(200, call("DELETE", "/v1/volumes/base", null).status());
    }

    @Test
    void volumesTargetsAndExportsWithErrorsNamingTheField() throws Exception {
        Reply created = call("POST", "/v1/volumes", "{\"name\":\"data\",\"size\":\"1G\"}");
        assertEquals(201, created.status(), created.body().toString());
        assertEquals(1L << 30, created.body().path("sizeBytes").asLong());
        assertEquals("1G", created.body().path("size").asText());
        assertError(call("POST", "/v1/volumes", "{\"name\":\"data\",\"size\":\"1G\"}"), 409, "duplicate", "name");
        assertError(call("POST", "/v1/volumes", "{\"name\":\"x\",\"size\":\"12Q\"}"), 400, "invalid", "size");
        assertError(call("POST", "/v1/volumes", "{\"name\":\"x\",\"size\":1000}"), 400, "invalid", "size");
        assertError(call("POST", "/v1/volumes", "{\"name\":\"x\",\"sise\":\"1G\"}"), 400, "invalid", "sise");
        assertError(call("POST", "/v1/volumes", "{\"size\":\"1G\"}"), 400, "invalid", "name");
        assertError(call("POST", "/v1/volumes", "not json"), 400, "invalid", null);
        assertError(call("GET", "/v1/volumes/nope", null), 404, "not-found", "name");
        assertError(call("POST", "/v1/volumes/data/resize", "{\"size\":\"512M\"}"), 400, "invalid", "size");
        assertEquals(2L << 30, call("POST", "/v1/volumes/data/resize", "{\"size\":\"2G\"}").body().path("sizeBytes").asLong());

        Reply t = call("POST", "/v1/targets", "{\"name\":\"web\"}");
        assertEquals(201, t.status(), t.body().toString());
        assertEquals("iqn.2026-11.io.stowage:web", t.body().path("iqn").asText());
        assertNotNull(daemon.targets().find("iqn.2026-11.io.stowage:web"), "served at once");
        assertError(call("POST", "/v1/targets", "{\"name\":\"web\"}"), 409, "duplicate", "name");
        Reply e = call("POST", "/v1/exports", "{\"target\":\"web\",\"volume\":\"data\"}");
        assertEquals(201, e.status(), e.body().toString());
        assertEquals(0, e.body().path("lun").asInt());
        assertError(call("POST", "/v1/exports", "{\"target\":\"web\",\"volume\":\"nope\"}"), 404, "not-found", "volume");
        assertError(call("POST", "/v1/exports", "{\"target\":\"web\",\"volume\":\"demo\",\"lun\":\"x\"}"), 400, "invalid", "lun");
        assertError(call("DELETE", "/v1/volumes/data", null), 409, "in-use", "name");
        assertError(call("DELETE", "/v1/targets/web", null), 409, "in-use", "name");
        assertEquals(2, call("GET", "/v1/exports", null).body().size());
        assertEquals(1, call("GET", "/v1/volumes/data", null).body().path("exports").size());
        assertError(call("DELETE", "/v1/exports/web/7", null), 404, "not-found", "lun");
        assertEquals(200, call("DELETE", "/v1/exports/iqn.2026-11.io.stowage:web/0", null).status());
        assertEquals(200, call("DELETE", "/v1/volumes/data", null).status());
        assertEquals(200, call("DELETE", "/v1/targets/web", null).status());
        assertNull(daemon.targets().find("iqn.2026-11.io.stowage:web"));

        Reply status = call("GET", "/v1/status", null);
        assertEquals(1, status.body().path("volumes").asInt(), status.body().toString());
        assertEquals("directory", status.body().path("backend").asText());
        assertTrue(status.body().path("catalogueVersion").asLong() > 1);
        assertTrue(call("GET", "/v1/sessions", null).body().isArray());
        assertError(call("GET", "/v1/nothing", null), 404, "not-found", null);
        assertError(call("PUT", "/v1/volumes", "{}"), 405, "method-not-allowed", null);
    }

    /** Polls a job until it ends. */
    JsonNode waitForJob(JsonNode job) throws Exception {
        for (int i = 0; i < 300; i++) {
            JsonNode now = call("GET", "/v1/jobs/" + job.path("id").asLong(), null).body();
            String state = now.path("state").asText();
            if (state.equals("DONE") || state.equals("FAILED")) return now;
            Thread.sleep(50);
        }
        throw new AssertionError("job did not end: " + job);
    }

    @Test
    void rollbackAndBackendRestartAnswerAJobThatIsPolledToItsEnd() throws Exception {
        assertEquals(201, call("POST", "/v1/volumes", "{\"name\":\"cold\",\"size\":\"16M\"}").status());
        assertEquals(201, call("POST", "/v1/volumes/demo/snapshots", "{\"name\":\"s\"}").status());
        assertError(call("POST", "/v1/volumes/demo/snapshots/never/rollback", null), 404, "not-found", "snapshot");
        assertError(call("POST", "/v1/volumes/nope/snapshots/s/rollback", null), 404, "not-found", "volume");
        Reply r = call("POST", "/v1/volumes/demo/snapshots/s/rollback", null);
        assertEquals(202, r.status(), r.body().toString());
        assertEquals("rollback", r.body().path("kind").asText());
        JsonNode done = waitForJob(r.body());
        assertEquals("DONE", done.path("state").asText(), done.toString());
        assertEquals("demo@s", done.path("result").path("snapshot").asText());

        assertError(call("POST", "/v1/volumes/demo/rebuild", null), 409, "in-use", "name");
        assertError(call("POST", "/v1/volumes/nope/rebuild", null), 404, "not-found", "name");
        assertEquals(201, call("POST", "/v1/volumes/cold/snapshots", "{\"name\":\"s1\"}").status(), "opens it");
        r = call("POST", "/v1/volumes/cold/rebuild", null);
        assertEquals(202, r.status(), r.body().toString());
        done = waitForJob(r.body());
        assertEquals("DONE", done.path("state").asText(), done.toString());
        assertTrue(done.path("result").has("openMillis"), done.toString());
        assertEquals("s1", call("GET", "/v1/volumes/cold/snapshots", null).body().get(0).path("name").asText(),
                "opened again from the backend with its snapshot");
        assertEquals(200, call("DELETE", "/v1/volumes/cold", null).status(), "no job holds it any more");
    }

    @Test
    void chapIsSetShownAndClearedWithErrorsNamingTheFieldAndNoSecretAnswered() throws Exception {
        String secret = "a-secret-of-13";
        Reply r = call("PUT", "/v1/targets/demo/chap", "{\"user\":\"alice\",\"secret\":\"" + secret + "\"}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("one-way", r.body().path("mode").asText());
        assertTrue(r.body().path("secretSet").asBoolean());
        assertNotNull(daemon.targets().find("iqn.2026-11.io.stowage:demo").chap(), "applied to the portal");
        assertError(call("PUT", "/v1/targets/demo/chap", "{\"user\":\"alice\",\"secret\":\"short\"}"), 400,
                "invalid", "secret");
        assertError(call("PUT", "/v1/targets/demo/chap", "{\"secret\":\"" + secret + "\"}"), 400, "invalid", "user");
        assertError(call("PUT", "/v1/targets/demo/chap", "{\"user\":\"a\",\"secret\":\"" + secret
                + "\",\"mutualUser\":\"t\"}"), 400, "invalid", "mutualSecret");
        assertError(call("PUT", "/v1/targets/demo/chap", "{\"user\":\"a\",\"secret\":\"" + secret
                + "\",\"mutualUser\":\"t\",\"mutualSecret\":\"" + secret + "\"}"), 400, "invalid", "mutualSecret");
        assertError(call("PUT", "/v1/targets/demo/chap", "{\"user\":\"a\",\"secret\":7}"), 400, "invalid", "secret");
        assertError(call("PUT", "/v1/targets/demo/chap", "{\"user\":\"a\",\"pass\":\"x\"}"), 400, "invalid", "pass");
        assertError(call("PUT", "/v1/targets/nope/chap", "{\"user\":\"a\",\"secret\":\"" + secret + "\"}"), 404,
                "not-found", "target");
        assertEquals(200, call("PUT", "/v1/discovery/chap", "{\"user\":\"scan\",\"secret\":\"discovery-secret\",\""
                + "mutualUser\":\"node\",\"mutualSecret\":\"node-secret-xyz\"}").status());
        assertEquals("mutual", call("GET", "/v1/discovery/chap", null).body().path("mode").asText());
        String all = call("GET", "/v1/chap", null).body().toString() + call("GET", "/v1/targets/demo/chap", null).body()
                + call("GET", "/v1/targets", null).body() + call("GET", "/v1/status", null).body();
        for (String s : new String[] {secret, "discovery-secret", "node-secret-xyz"}) {
            assertFalse(all.contains(s), "a secret answered back: " + all);
        }
        assertEquals(2, call("GET", "/v1/chap", null).body().size(), "discovery and demo");
        assertEquals("none", call("DELETE", "/v1/targets/demo/chap", null).body().path("mode").asText());
        assertNull(daemon.targets().find("iqn.2026-11.io.stowage:demo").chap());
        assertEquals("none", call("DELETE", "/v1/discovery/chap", null).body().path("mode").asText());
        assertNull(daemon.targets().discoveryChap());
    }

    @Test
    void theOpenApiDescriptionHasExactlyTheRoutesAndItsReferencesResolve() throws Exception {
        JsonNode doc;
        try (InputStream in = AdminApi.class.getResourceAsStream(AdminApi.OPENAPI)) {
            doc = JSON.readTree(in);
        }
        assertEquals(doc, call("GET", "/v1/openapi.json", null, null).body(), "served as shipped");
        Set<String> described = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            for (String m : new String[] {"get", "post", "put", "patch", "delete"}) {
                JsonNode op = p.getValue().get(m);
                if (op == null) continue;
                described.add(m.toUpperCase() + " " + p.getKey());
                assertTrue(op.path("responses").fieldNames().next().startsWith("2"), m + " " + p.getKey());
            }
        }
        Set<String> served = new HashSet<>();
        try (AdminApi api = new AdminApi(new InetSocketAddress("127.0.0.1", 0), AdminToken.loadOrCreate(
                dir.resolve("t")), daemon.operations(), () -> null)) {
            api.routes.forEach(r -> served.add(r.method() + " " + r.template()));
        }
        assertEquals(served, described, "the description and the routes agree");
        checkRefs(doc, doc);
    }

    private static void checkRefs(JsonNode doc, JsonNode n) {
        if (n.has("$ref")) {
            String ref = n.get("$ref").asText();
            assertTrue(ref.startsWith("#/"), ref);
            assertFalse(doc.at(ref.substring(1)).isMissingNode(), "dangling " + ref);
        }
        n.elements().forEachRemaining(c -> checkRefs(doc, c));
    }
}
