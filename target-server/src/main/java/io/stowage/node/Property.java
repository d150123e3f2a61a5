package io.stowage.node;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One configuration key, after mina-sshd's {@code Property<T>}: its name, the type of its value, its default (as
 * written in the config file, and parsed), the range it accepts and a one-line description. Per-target and
 * per-volume keys are patterns: their name holds the placeholders {@code NAME} (a target's config name),
 * {@code VOLUME} (a volume name) or {@code N} (a LUN number), as in {@code target.NAME.lun.N}.
 * Immutable and thread-safe; all of them live in {@link StowageProperties}.
 */
public final class Property<T> {
    /** Turns the text of a value into its typed form, or a {@link ConfigException} naming the key. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String key, String value) throws ConfigException;
    }

    private static final String NAME_PART = "([A-Za-z0-9._-]+)";

    private final String name;
    private final Class<T> type;
    private final String defaultText;
    private final T defaultValue;
    private final String range;
    private final String description;
    private final Parser<T> parser;
    private final Pattern pattern;

    Property(String name, Class<T> type, String defaultText, String range, String description, Parser<T> parser) {
        this.name = name;
        this.type = type;
        this.defaultText = defaultText;
        this.range = range;
        this.description = description;
        this.parser = parser;
        this.pattern = patternOf(name);
        try {
            // the default is written as a user would write it, and parsed like any value: it cannot drift from the range
            this.defaultValue = defaultText == null ? null : parser.parse(name, defaultText);
        } catch (ConfigException e) {
            throw new IllegalStateException("default of " + name + ": " + e.getMessage());
        }
    }

    /** The regex of a name with placeholders (each a whole dotted segment), or null for a fixed name. */
    private static Pattern patternOf(String name) {
        StringBuilder regex = new StringBuilder();
        boolean placeholders = false;
        for (String segment : name.split("\\.")) {
            if (regex.length() > 0) regex.append("\\.");
            switch (segment) {
                case "NAME", "VOLUME" -> regex.append(NAME_PART);
                case "N" -> regex.append("(\\d+)");
                default -> {
                    regex.append(Pattern.quote(segment));
                    continue;
                }
            }
            placeholders = true;
        }
        return placeholders ? Pattern.compile(regex.toString()) : null;
    }

    /** The key, with placeholders for a pattern key. */
    public String name() {
        return name;
    }

    public Class<T> type() {
        return type;
    }

    /** The default as the docs and the config file write it; null if the key has none (it must be given). */
    public String defaultText() {
        return defaultText;
    }

    /** The default, parsed; null if there is none (or the default means "off"). */
    public T defaultValue() {
        return defaultValue;
    }

    /** What values are accepted, e.g. {@code 1..3600}; null when the type says it all. */
    public String range() {
        return range;
    }

    public String description() {
        return description;
    }

    /** True for a per-target or per-volume key such as {@code target.NAME.lun.N}. */
    public boolean isPattern() {
        return pattern != null;
    }

    /** Whether {@code key} is this property (for a pattern key: one instance of it). */
    public boolean matches(String key) {
        return pattern == null ? name.equals(key) : pattern.matcher(key).matches();
    }

    /** The placeholders' values in {@code key} (group 1 = NAME or VOLUME, group 2 = N); only for a pattern key. */
    Matcher match(String key) {
        Matcher m = Objects.requireNonNull(pattern, name).matcher(key);
        if (!m.matches()) throw new IllegalArgumentException(key + " is not " + name);
        return m;
    }

    /** The typed value of {@code value} given for {@code key} (which this property {@link #matches}). */
    public T parse(String key, String value) throws ConfigException {
        return parser.parse(key, value.strip());
    }

    @Override
    public String toString() {
        return name;
    }
}
