package io.lightd.runtime.docker;

/**
 * No connection to the engine could be made. Thrown inside the Docker runtime and turned into
 * {@link io.lightd.runtime.RuntimeUnavailableException} at its edge.
 */
final class EngineUnreachableException extends RuntimeException {

    EngineUnreachableException(String dockerHost, Throwable cause) {
        super("cannot connect to the Docker engine at " + dockerHost
                + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }
}
