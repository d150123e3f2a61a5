package io.stowage.node;

/** A bad configuration value: the message is one line that names the key. */
public final class ConfigException extends Exception {
    public ConfigException(String key, String problem) {
        super("config key '" + key + "': " + problem, null, false, false);
    }
}
