package io.stowage.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.stowage.node.admin.AdminException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: HTTP + JSON on the JDK's HTTP server (as /metrics), by default on 127.0.0.1 only. Every request but
 * {@code GET /v1/openapi.json} carries {@code Authorization: Bearer <token>} ({@link AdminToken}). A refused
 * request is a 4xx whose JSON body names the error, the field at fault and what to do:
 * {@code {"error":"not-found","field":"name","message":"no volume named 'x' (stowage volume list)"}}.
 * The routes are listed in {@code routes}; {@code openapi.json} describes exactly them (AdminApiTest checks both ways).
 */
public final class AdminApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MAX_BODY = 64 << 10;

    /** What a route does with the request's path parameters and JSON body; answers (status, value). */
    interface Handler {
        Answer handle(Map<String, String> path, JsonNode body) throws IOException;
    }

    record Answer(int status, Object value) {
    }

    /** One route: method, path template ({@code {name}} segments are parameters), and its handler. */
    record Route(String method, String template, Handler handler) {
        Map<String, String> match(String method, String path) {
            if (!this.method.equals(method)) return null;
            return bind(path);
        }

        Map<String, String> bind(String path) {
            String[] want = template.split("/");
            String[] got = path.split("/");
            if (want.length != got.length) return null;
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < want.length; i++) {
                if (want[i].startsWith("{")) {
                    params.put(want[i].substring(1, want[i].length() - 1),
                            java.net.URLDecoder.decode(got[i], java.nio.charset.StandardCharsets.UTF_8));
                } else if (!want[i].equals(got[i])) {
                    return null;
                }
            }
            return params;
        }
    }

    /** The OpenAPI description's resource. */
    static final String OPENAPI = "openapi.json";

    final List<Route> routes;
    private final HttpServer server;
    private final ExecutorService threads;
    private final AdminToken token;

    /** {@code status} gives the node's status (portal and backend are the daemon's to tell). */
    public AdminApi(InetSocketAddress address, AdminToken token, Operations ops, Supplier<Views.StatusView> status)
            throws IOException {
        this.token = token;
        this.routes = routes(ops, status);
        server = HttpServer.create(address, 16);
        threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "stowage-admin");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::exchange);
        server.start();
        if (!address.getAddress().isLoopbackAddress()) {
            log.warn("the admin API listens on {}, off this host: keep the token file secret", address);
        }
    }

    private static List<Route> routes(Operations ops, Supplier<Views.StatusView> status) {
        List<Route> r = new ArrayList<>();
        r.add(new Route("GET", "/v1/status", (p, b) -> ok(status.get())));
        r.add(new Route("GET", "/v1/volumes", (p, b) -> ok(ops.volumes())));
        r.add(new Route("POST", "/v1/volumes", (p, b) -> {
            fields(b, Set.of("name", "size"));
            return new Answer(201, ops.createVolume(text(b, "name", true), size(b, "size")));
        }));
        r.add(new Route("GET", "/v1/volumes/{name}", (p, b) -> ok(ops.volume(p.get("name")))));
        r.add(new Route("POST", "/v1/volumes/{name}/resize", (p, b) -> {
            fields(b, Set.of("size"));
            return ok(ops.resizeVolume(p.get("name"), size(b, "size")));
        }));
        r.add(new Route("POST", "/v1/volumes/{name}/clone", (p, b) -> {
            fields(b, Set.of("snapshot", "clone"));
            return new Answer(201, ops.cloneVolume(p.get("name"), text(b, "snapshot", true), text(b, "clone", true)));
        }));
        r.add(new Route("DELETE", "/v1/volumes/{name}", (p, b) -> {
            ops.deleteVolume(p.get("name"));
            return new Answer(200, Map.of("deleted", p.get("name")));
        }));
        r.add(new Route("GET", "/v1/volumes/{name}/snapshots", (p, b) -> ok(ops.snapshots(p.get("name")))));
        r.add(new Route("POST", "/v1/volumes/{name}/snapshots", (p, b) -> {
            fields(b, Set.of("name"));
            return new Answer(201, ops.createSnapshot(p.get("name"), text(b, "name", true)));
        }));
        r.add(new Route("DELETE", "/v1/volumes/{name}/snapshots/{snapshot}", (p, b) -> {
            ops.deleteSnapshot(p.get("name"), p.get("snapshot"));
            return ok(Map.of("deleted", p.get("name") + "@" + p.get("snapshot")));
        }));
        r.add(new Route("POST", "/v1/volumes/{name}/snapshots/{snapshot}/rollback", (p, b) -> {
            fields(b, Set.of());
            return new Answer(202, ops.rollback(p.get("name"), p.get("snapshot")));
        }));
        r.add(new Route("POST", "/v1/volumes/{name}/rebuild", (p, b) -> {
            fields(b, Set.of());
            return new Answer(202, ops.rebuild(p.get("name")));
        }));
        r.add(new Route("POST", "/v1/volumes/{name}/scrub", (p, b) -> {
            fields(b, Set.of());
            return new Answer(202, ops.startScrub(p.get("name")));
        }));
        r.add(new Route("GET", "/v1/volumes/{name}/scrub", (p, b) -> ok(ops.scrubStatus(p.get("name")))));
        OwnershipApi.add(r, ops);
        r.add(new Route("GET", "/v1/jobs", (p, b) -> ok(ops.jobs())));
        r.add(new Route("GET", "/v1/jobs/{id}", (p, b) -> {
            try {
                return ok(ops.job(Long.parseLong(p.get("id"))));
            } catch (NumberFormatException e) {
                throw AdminException.invalid("id", "expected a job number, got '" + p.get("id") + "'");
            }
        }));
        r.add(new Route("GET", "/v1/targets", (p, b) -> ok(ops.targets())));
        r.add(new Route("POST", "/v1/targets", (p, b) -> {
            fields(b, Set.of("name", "iqn"));
            return new Answer(201, ops.createTarget(text(b, "name", true), text(b, "iqn", false)));
        }));
        r.add(new Route("GET", "/v1/targets/{name}", (p, b) -> ok(ops.target(p.get("name")))));
        r.add(new Route("DELETE", "/v1/targets/{name}", (p, b) -> {
            ops.deleteTarget(p.get("name"));
            return new Answer(200, Map.of("deleted", p.get("name")));
        }));
        r.add(new Route("GET", "/v1/targets/{name}/acl", (p, b) -> ok(ops.acl(p.get("name")))));
        r.add(new Route("POST", "/v1/targets/{name}/acl", (p, b) -> {
            fields(b, Set.of("initiator"));
            return ok(ops.allowInitiator(p.get("name"), text(b, "initiator", true)));
        }));
        r.add(new Route("DELETE", "/v1/targets/{name}/acl/{initiator}",
                (p, b) -> ok(ops.disallowInitiator(p.get("name"), p.get("initiator")))));
        r.add(new Route("DELETE", "/v1/targets/{name}/acl", (p, b) -> ok(ops.clearAcl(p.get("name")))));
        r.add(new Route("GET", "/v1/chap", (p, b) -> ok(ops.chaps())));
        r.add(new Route("GET", "/v1/targets/{name}/chap", (p, b) -> ok(ops.chap(p.get("name")))));
        r.add(new Route("PUT", "/v1/targets/{name}/chap", (p, b) -> ok(setChap(ops, p.get("name"), b))));
        r.add(new Route("DELETE", "/v1/targets/{name}/chap", (p, b) -> ok(ops.clearChap(p.get("name")))));
        r.add(new Route("GET", "/v1/discovery/chap", (p, b) -> ok(ops.chap(null))));
        r.add(new Route("PUT", "/v1/discovery/chap", (p, b) -> ok(setChap(ops, null, b))));
        r.add(new Route("DELETE", "/v1/discovery/chap", (p, b) -> ok(ops.clearChap(null))));
        r.add(new Route("GET", "/v1/exports", (p, b) -> ok(ops.exports())));
        r.add(new Route("POST", "/v1/exports", (p, b) -> {
            fields(b, Set.of("target", "volume", "lun"));
            return new Answer(201, ops.addExport(text(b, "target", true), text(b, "volume", true), lun(b)));
        }));
        r.add(new Route("DELETE", "/v1/exports/{target}/{lun}", (p, b) -> {
            int lun;
            try {
                lun = Integer.parseInt(p.get("lun"));
            } catch (NumberFormatException e) {
                throw AdminException.invalid("lun", "expected a LUN number, got '" + p.get("lun") + "'");
            }
            ops.removeExport(p.get("target"), lun);
            return new Answer(200, Map.of("removed", Map.of("target", p.get("target"), "lun", lun)));
        }));
        r.add(new Route("GET", "/v1/sessions", (p, b) -> ok(ops.sessions())));
        r.add(new Route("GET", "/v1/openapi.json", (p, b) -> {
            try (InputStream in = AdminApi.class.getResourceAsStream(OPENAPI)) {
                return ok(JSON.readTree(in));
            }
        }));
        return r;
    }

    private static Views.ChapView setChap(Operations ops, String target, JsonNode b) throws IOException {
        fields(b, Set.of("user", "secret", "mutualUser", "mutualSecret"));
        return ops.setChap(target, text(b, "user", true), text(b, "secret", true), text(b, "mutualUser", false),
                text(b, "mutualSecret", false));
    }

    private static Answer ok(Object value) {
        return new Answer(200, value);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void exchange(HttpExchange x) throws IOException {
        String method = x.getRequestMethod();
        String path = x.getRequestURI().getRawPath();
        Answer answer;
        try {
            answer = dispatch(x, method, path);
        } catch (AdminException e) {
            answer = error(e.kind().status, e.kind().code(), e.field(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.warn("admin {} {} failed: {}", method, path, e.toString());
            answer = error(500, "internal", null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
        byte[] body = JSON.writeValueAsBytes(answer.value());
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(answer.status(), body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    private Answer dispatch(HttpExchange x, String method, String path) throws IOException {
        boolean pathKnown = false;
        for (Route r : routes) {
            Map<String, String> params = r.match(method, path);
            if (params == null) {
                pathKnown |= r.bind(path) != null;
                continue;
            }
            if (!r.template().equals("/v1/openapi.json")) authenticate(x);
            JsonNode body = body(x);
            Answer a = r.handler().handle(params, body);
            if (!method.equals("GET")) log.info("admin {} {} -> {}", method, path, a.status());
            return a;
        }
        if (pathKnown) return error(405, "method-not-allowed", null, method + " is not served on " + path);
        return error(404, "not-found", null, "no resource " + path + " (see GET /v1/openapi.json)");
    }

    private void authenticate(HttpExchange x) {
        String h = x.getRequestHeaders().getFirst("Authorization");
        String presented = h != null && h.startsWith("Bearer ") ? h.substring(7) : null;
        if (!token.matches(presented)) {
            throw new AdminException(Kind.UNAUTHORIZED, null, presented == null
                    ? "no token: send 'Authorization: Bearer <token>' (the token is in admin.token-file)"
                    : "wrong token (the token is in admin.token-file)");
        }
    }

    private static JsonNode body(HttpExchange x) throws IOException {
        byte[] raw;
        try (InputStream in = x.getRequestBody()) {
            raw = in.readNBytes(MAX_BODY + 1);
        }
        if (raw.length > MAX_BODY) throw AdminException.invalid(null, "request body over " + MAX_BODY + " bytes");
        if (raw.length == 0) return JSON.createObjectNode();
        JsonNode n;
        try {
            n = JSON.readTree(raw);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw AdminException.invalid(null, "the body is not JSON: " + e.getOriginalMessage());
        }
        if (!(n instanceof ObjectNode)) throw AdminException.invalid(null, "the body must be a JSON object");
        return n;
    }

    static void fields(JsonNode body, Set<String> known) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw AdminException.invalid(f, "unknown field '" + f + "' (expected " + new java.util.TreeSet<>(known) + ")");
            }
        }
    }

    static String text(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) throw AdminException.invalid(field, "field '" + field + "' is required");
            return null;
        }
        if (!n.isTextual()) throw AdminException.invalid(field, "field '" + field + "' must be a string");
        return n.asText();
    }

    /** A size: a number of bytes, or a string such as "8G". */
    private static long size(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) throw AdminException.invalid(field, "field '" + field + "' is required");
        if (n.isIntegralNumber()) return Sizes.parse(field, Long.toString(n.asLong()));
        if (n.isTextual()) return Sizes.parse(field, n.asText());
        throw AdminException.invalid(field, "field '" + field + "' must be a size such as \"8G\" or a number of bytes");
    }

    private static Integer lun(JsonNode body) {
        JsonNode n = body.get("lun");
        if (n == null || n.isNull()) return null;
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw AdminException.invalid("lun", "field 'lun' must be a whole number 0.." + Operations.MAX_LUN);
        }
        return n.asInt();
    }

    private static Answer error(int status, String code, String field, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", code);
        if (field != null) m.put("field", field);
        m.put("message", message);
        return new Answer(status, m);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
