package io.lightd.runtime.docker;

import com.github.dockerjava.api.exception.DockerException;

/** The engine answered a request with an error status; the message is the engine's own. */
final class EngineErrorException extends RuntimeException {

    private final int status;

    EngineErrorException(DockerException cause, String engineMessage) {
        super(engineMessage == null || engineMessage.isEmpty()
                ? "Docker engine error (HTTP " + cause.getHttpStatus() + ")"
                : engineMessage + " (HTTP " + cause.getHttpStatus() + ")", cause);
        this.status = cause.getHttpStatus();
    }

    int status() {
        return status;
    }
}
