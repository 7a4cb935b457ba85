package io.lightd.runtime;

/** The runtime itself cannot be reached (for Docker: the engine does not answer). */
public final class RuntimeUnavailableException extends RuntimeException {

    /**
     * Creates the exception.
     *
     * @param message what could not be done and why, for logs and the REST error text
     * @param cause   the transport or engine error that showed the runtime unreachable
     */
    public RuntimeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
