package io.stowage.node;

import static org.junit.jupiter.api.Assertions.*;

import io.stowage.iscsi.session.ResourceLimits;
import io.stowage.volume.engine.VolumeConfig;
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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The registry is the one list of keys: the docs and the packaged conffile document exactly it. */
class StowagePropertiesTest {
    // surefire runs in the module's directory
    private static final Path DOCS = Path.of("../docs/configuration.md");
    private static final Path CONFFILE = Path.of("../packaging/src/deb/files/stowage.conf");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final Pattern CONF_LINE = Pattern.compile("^#? ?([a-z][A-Za-z0-9.-]*)\\s*=.*");

    private static Set<String> registryNames() {
        return StowageProperties.ALL.stream().map(Property::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Key → default cell of each row of the key table (the first table of the page). */
    private static Map<String, String> documentedKeys() throws Exception {
        Map<String, String> keys = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(DOCS)) {
            if (line.startsWith("| key | default |")) {
                inTable = true;
                continue;
            }
            if (!inTable || line.startsWith("|---")) continue;
            if (!line.startsWith("|")) break;
            String[] cells = line.split("\\|");
            String dflt = cells[2].strip().replace("`", "");
            Matcher m = BACKTICKED.matcher(cells[1]);
            while (m.find()) keys.put(m.group(1), dflt);
        }
        return keys;
    }

    private static List<String> conffileKeys() throws Exception {
        List<String> keys = new ArrayList<>();
        for (String line : Files.readAllLines(CONFFILE)) {
            Matcher m = CONF_LINE.matcher(line);
            if (m.matches()) keys.add(m.group(1));
        }
        return keys;
    }

    @Test
    void docsListExactlyTheRegistrysKeysWithTheirDefaults() throws Exception {
        Map<String, String> documented = documentedKeys();
        assertEquals(registryNames(), new TreeSet<>(documented.keySet()), "keys of the table in " + DOCS);
        for (Property<?> p : StowageProperties.ALL) {
            if (p.isPattern() || p.defaultText() == null) continue;
            String text = p.defaultText().isEmpty() ? "(empty)" : p.defaultText();
            assertEquals(text, documented.get(p.name()), "default of " + p.name() + " in " + DOCS);
        }
    }

    @Test
    void conffileDocumentsExactlyTheRegistrysKeys() throws Exception {
        List<String> keys = conffileKeys();
        for (String k : keys) {
            assertTrue(registryNames().contains(k) || StowageProperties.find(k).isPresent(), CONFFILE + " documents " + k + ", which is no key");
        }
        Set<String> missing = new TreeSet<>(registryNames());
        missing.removeAll(keys);
        assertEquals(Set.of(), missing, "keys the registry has and " + CONFFILE + " does not document");
    }

    @Test
    void registryDefaultsAreTheLayersDefaults() {
        StowageConfig c = StowageConfig.defaults();
        assertEquals(ResourceLimits.DEFAULT, c.limits());
        assertEquals(VolumeConfig.DEFAULT, c.volumeConfig());
        assertNull(c.metrics(), "metrics off");
        assertNull(c.rados(), "backend = directory");
    }

    @Test
    void patternKeysMatchTheirInstancesOnly() {
        assertSame(StowageProperties.TARGET_LUN, StowageProperties.find("target.db.lun.12").orElseThrow());
        assertSame(StowageProperties.VOLUME_SIZE, StowageProperties.find("volume.vm-1.size").orElseThrow());
        assertTrue(StowageProperties.find("target.db.lun.x").isEmpty());
        assertTrue(StowageProperties.find("target..iqn").isEmpty());
        assertTrue(StowageProperties.find("portal.x").isEmpty());
    }

    @Test
    void everyPropertyHasADescriptionAndAUniqueName() {
        for (Property<?> p : StowageProperties.ALL) {
            assertFalse(p.description().isBlank(), p.name());
            assertFalse(p.description().contains("\n"), p.name());
        }
        assertEquals(StowageProperties.ALL.size(), registryNames().size());
    }
}
