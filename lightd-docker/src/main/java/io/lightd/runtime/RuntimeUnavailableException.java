package io.lightd.runtime;

/** The runtime itself cannot be reached (for Docker: the engine does not answer). */
public final class RuntimeUnavailableException extends RuntimeException {

    public RuntimeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
