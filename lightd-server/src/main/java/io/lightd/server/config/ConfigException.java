package io.lightd.server.config;

/** The configuration cannot be used; the message names the key and what is wrong with it. */
public final class ConfigException extends Exception {

    /** {@code message}: {@code invalid <key>: <why>}, or {@code <key> is missing}. */
    public ConfigException(String message) {
        super(message);
    }

    /** As {@link #ConfigException(String)}, with the error that revealed the problem. */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
