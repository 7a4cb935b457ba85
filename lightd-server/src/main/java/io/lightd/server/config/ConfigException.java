package io.lightd.server.config;

/** The configuration cannot be used; the message names the key and what is wrong with it. */
public final class ConfigException extends Exception {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
