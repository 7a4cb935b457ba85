package io.lightd.server.config;

/** The configuration cannot be used; the message names the key and what is wrong with it. */
public final class ConfigException extends Exception {

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the key, e.g. {@code invalid server.ssl.cert: ...}; shown
     *                to the operator at start-up
     */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the error that revealed the problem.
     *
     * @param message what is wrong, naming the key; shown to the operator at start-up
     * @param cause   the underlying error (an unreadable file, a parse failure)
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
