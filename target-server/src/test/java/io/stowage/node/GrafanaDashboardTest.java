package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.volume.engine.DirectoryBackend;
import io.stowage.volume.engine.Volume;
import io.stowage.volume.engine.VolumeBlockDevice;
import io.stowage.volume.engine.VolumeConfig;
import io.stowage.volume.engine.VolumeEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged Grafana dashboard asks only for series that /metrics serves, and covers every panel's subject. */
class GrafanaDashboardTest {
    private static final Path DASHBOARD = Path.of("../packaging/src/deb/files/grafana-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\bstowage_[a-z_]+");

    @TempDir Path dir;

    /** Every metric family name /metrics serves for a node with one volume and one target. */
    private Set<String> served() throws Exception {
        VolumeEngine engine = new VolumeEngine(dir.resolve("cache"), new DirectoryBackend(dir.resolve("objects")),
                VolumeConfig.DEFAULT);
        engine.create("v", 1 << 20);
        try (Volume v = engine.open("v")) {
            String body = MetricsEndpoint.render(Map.of("v", new VolumeBlockDevice(v, Runnable::run)), 1,
                    Map.of("iqn.2026-11.io.stowage:t", 1));
            Set<String> names = new TreeSet<>();
            for (String line : body.split("\n")) {
                if (line.startsWith("# TYPE ")) names.add(line.split(" ")[2]);
                else if (!line.startsWith("#")) names.add(line.split("[{ ]")[0]);
            }
            return names;
        }
    }

    @Test
    void referencesOnlyServedMetricsAndParses() throws Exception {
        Object dashboard = new Json(Files.readString(DASHBOARD)).value();
        List<String> queries = new ArrayList<>();
        collect(dashboard, queries);
        assertTrue(queries.size() >= 12, "queries found: " + queries);
        Set<String> served = served();
        Set<String> used = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) used.add(m.group());
        }
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(served);
        assertEquals(Set.of(), unknown, "series the dashboard asks for and /metrics does not serve");
        for (String subject : List.of("read_ops_total", "write_ops_total", "read_bytes_total", "written_bytes_total",
                "read_latency_seconds_bucket", "write_latency_seconds_bucket", "queue_depth", "cache_hit_clusters_total",
                "cached_bytes", "dirty_bytes", "upload_lag_seconds", "scrub_pass_moved_clusters", "target_sessions")) {
            assertTrue(used.stream().anyMatch(u -> u.endsWith(subject)), "no panel shows " + subject);
        }
    }

    /** docs/metrics.md lists exactly the families /metrics serves (a histogram by its family name). */
    @Test
    void docsListEveryServedSeries() throws Exception {
        Set<String> documented = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("../docs/metrics.md"))) {
            Matcher m = Pattern.compile("^\\| `(stowage_[a-z_]+)` \\|").matcher(line);
            if (m.find()) documented.add(m.group(1));
        }
        Set<String> families = new TreeSet<>();
        for (String name : served()) families.add(name.replaceAll("_(bucket|sum|count)$", ""));
        assertEquals(families, documented);
    }

    /** The PromQL of every panel target ("expr") and of the template variables ("query"/"definition"). */
    private static void collect(Object node, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (v instanceof String s && (k.equals("expr") || k.equals("definition"))) out.add(s);
                else collect(v, out);
            });
        } else if (node instanceof List<?> l) {
            l.forEach(x -> collect(x, out));
        }
    }

    /** Just enough of a JSON parser to prove the file is JSON and to walk it (the tests carry no JSON library). */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            Object v = any();
            ws();
            if (i != s.length()) throw error("trailing text");
            return v;
        }

        private Object any() {
            ws();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) return m;
                    do {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, any());
                        ws();
                    } while (accept(','));
                    expect('}');
                    return m;
                }
                case '[' -> {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) return l;
                    do {
                        l.add(any());
                        ws();
                    } while (accept(','));
                    expect(']');
                    return l;
                }
                case '"' -> {
                    return string();
                }
                default -> {
                    for (String lit : new String[] {"true", "false", "null"}) {
                        if (s.startsWith(lit, i)) {
                            i += lit.length();
                            return lit.equals("null") ? null : Boolean.valueOf(lit);
                        }
                    }
                    Matcher n = Pattern.compile("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?").matcher(s).region(i, s.length());
                    if (!n.lookingAt()) throw error("unexpected '" + c + "'");
                    i = n.end();
                    return Double.valueOf(n.group());
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (i < s.length() && s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
            expect('"');
            return b.toString();
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private boolean accept(char c) {
            return peek(c);
        }

        private void expect(char c) {
            if (!peek(c)) throw error("expected '" + c + "'");
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(DASHBOARD + " is not JSON: " + what + " at offset " + i);
        }
    }
}
