package io.lightd.runtime.docker;

import com.github.dockerjava.api.exception.DockerException;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.RuntimeUnavailableException;
import io.netty.channel.Channel;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How a failed engine call reaches the {@code ContainerRuntime} contract: an engine that cannot be
 * reached becomes {@link RuntimeUnavailableException}, an engine 404 for a named container becomes
 * {@link ContainerNotFoundException}, everything else keeps its cause. Also the one-line message of a
 * failure for the log (no stack trace). Stateless; any thread.
 */
final class EngineFailures {

    private EngineFailures() {
    }

    /**
     * {@code future}'s outcome with its failure mapped to the contract's exceptions (see the class
     * comment); {@code internalId} names the container a 404 is about, or is null when none is.
     */
    static <T> CompletableFuture<T> translate(CompletableFuture<T> future, String internalId) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(translate(unwrap(error), internalId));
            }
        });
        return result;
    }

    private static Throwable translate(Throwable error, String internalId) {
        if (error instanceof EngineUnreachableException) {
            return new RuntimeUnavailableException("container runtime unavailable", error);
        }
        if (error instanceof EngineErrorException engineError && engineError.status() == 404 && internalId != null) {
            ContainerNotFoundException notFound = new ContainerNotFoundException(internalId);
            notFound.initCause(error);
            return notFound;
        }
        return error;
    }

    /**
     * The failure inside a future's wrappers ({@link CompletionException}, {@link ExecutionException});
     * an {@link EngineUnreachableException} anywhere in the causes wins.
     */
    static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (!(cause instanceof EngineUnreachableException)) {
            Throwable unreachable = findCause(cause, EngineUnreachableException.class);
            if (unreachable != null) {
                return unreachable;
            }
        }
        return cause;
    }

    private static Throwable findCause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** {@code error} rethrown as it is when it already is a {@link CompletionException}, else wrapped in one. */
    static CompletionException completion(Throwable error) {
        return error instanceof CompletionException ce ? ce : new CompletionException(error);
    }

    /** A stream's failure with the engine's own message when the engine answered with an error. */
    static Throwable streamFailure(Throwable error, Channel channel) {
        Throwable cause = unwrap(error);
        if (cause instanceof DockerException dockerError) {
            return new EngineErrorException(dockerError, EngineErrorBodyHandler.errorMessage(channel));
        }
        return cause;
    }

    /** The message of an error's cause, for one log line (no stack trace). */
    static String messageOf(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof UncheckedIOException unchecked) {
            cause = unchecked.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage().trim() : cause.toString();
    }
}
