package io.lightd.runtime.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ExitReport;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Docker runtime's calls to the engine: the negotiated client, docker-java's blocking calls on the
 * bounded blocking executor with a timeout, finite streams read to their end ({@link #readToEnd}), a
 * run's attach stream, and the inspections and listings the other parts share.
 *
 * <p>Threads: every method returns at once and may be called from any thread, event loops included;
 * futures complete on the blocking executor or on an event loop of the connector's group. Failures
 * are the engine's ({@link EngineErrorException}, {@link EngineUnreachableException}, a
 * {@link TimeoutException}); {@link EngineFailures#translate} maps them to the contract's.
 */
final class EngineCalls {

    private static final Logger log = LoggerFactory.getLogger(EngineCalls.class);

    /** How long connecting to the engine may take. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long the engine may take to upgrade an attach request to a raw stream. */
    static final Duration UPGRADE_TIMEOUT = Duration.ofSeconds(10);
    /** How long a blocking call (and a finite stream) may take unless told otherwise. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final EngineConnector connector;
    private final ExecutorService blocking;
    private final AtomicReference<CompletableFuture<EngineClient>> engine = new AtomicReference<>();
    private volatile boolean closed;

    /**
     * @param connector the connections to the engine, on the server's event loop group
     * @param blocking  the bounded executor docker-java's blocking calls run on (never an event loop)
     */
    EngineCalls(EngineConnector connector, ExecutorService blocking) {
        this.connector = connector;
        this.blocking = blocking;
    }

    /** The connections to the engine. */
    EngineConnector connector() {
        return connector;
    }

    /** The bounded executor of blocking calls. */
    ExecutorService blocking() {
        return blocking;
    }

    /** The negotiated client, negotiating on first use and again after a failed negotiation. */
    CompletableFuture<EngineClient> engine() {
        while (true) {
            CompletableFuture<EngineClient> current = engine.get();
            if (current != null && !current.isCompletedExceptionally()) {
                return current;
            }
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the Docker runtime is closed"));
            }
            CompletableFuture<EngineClient> fresh = new CompletableFuture<>();
            if (engine.compareAndSet(current, fresh)) {
                CompletableFuture.supplyAsync(() -> EngineClient.negotiate(connector, CONNECT_TIMEOUT), blocking)
                        .whenComplete((client, error) -> {
                            if (error != null) {
                                fresh.completeExceptionally(error);
                            } else {
                                log.info("Docker engine {} at {}, API {}", client.engineVersion(),
                                        connector.dockerHost(), client.apiVersion());
                                fresh.complete(client);
                            }
                        });
                return fresh;
            }
        }
    }

    /** The negotiated client when negotiation has succeeded already, else null; never waits. */
    EngineClient negotiated() {
        CompletableFuture<EngineClient> current = engine.get();
        return current != null && current.isDone() && !current.isCompletedExceptionally() ? current.join() : null;
    }

    /**
     * Runs a blocking docker-java call on the blocking executor within {@link #CALL_TIMEOUT};
     * {@code internalId} (or null) names the container in the timeout's text.
     */
    <T> CompletableFuture<T> call(String internalId, Function<DockerClient, T> call) {
        return call(internalId, call, CALL_TIMEOUT);
    }

    /** As {@link #call(String, Function)}, within {@code timeout}. */
    <T> CompletableFuture<T> call(String internalId, Function<DockerClient, T> call, Duration timeout) {
        CompletableFuture<T> result = engine().thenApplyAsync(client -> {
            client.factory().clearLastChannel();
            try {
                return call.apply(client.docker());
            } catch (DockerException e) {
                throw new EngineErrorException(e, client.factory().lastErrorMessage());
            }
        }, blocking);
        return withTimeout(result, timeout, internalId == null ? "Docker call" : "Docker call for " + internalId);
    }

    /** Fails {@code future} with a {@link TimeoutException} naming {@code what} unless it completes within {@code timeout}. */
    <T> CompletableFuture<T> withTimeout(CompletableFuture<T> future, Duration timeout, String what) {
        io.netty.util.concurrent.ScheduledFuture<?> timer = connector.group().next().schedule(
                () -> future.completeExceptionally(new TimeoutException(what + " timed out after " + timeout.toSeconds() + " s")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        future.whenComplete((v, e) -> timer.cancel(false));
        return future;
    }

    /**
     * Reads a finite engine stream (an image pull, a log read) to its end on a connection of its own
     * and closes that connection then (docker-java leaves a finished stream's connection open).
     * {@code exec} starts the docker-java command with {@code stream} as its callback, on the blocking
     * executor. Completes with the stream's value; fails with the stream's error, carrying the
     * engine's own message when the engine answered with an error. No timeout of its own.
     */
    <I, T> CompletableFuture<T> readToEnd(OneShotStream<I, T> stream, BiConsumer<DockerClient, OneShotStream<I, T>> exec) {
        return engine().thenApplyAsync(client -> client.factory().openStream(null,
                        () -> exec.accept(client.docker(), stream)), blocking)
                .thenCompose(channel -> {
                    channel.closeFuture().addListener(f -> stream.connectionClosed());
                    return stream.result().handle((value, error) -> {
                        channel.close();
                        if (error != null) {
                            throw new CompletionException(EngineFailures.streamFailure(error, channel));
                        }
                        return value;
                    });
                });
    }

    /**
     * Opens the attach stream of a container ({@code containerName}, lightd's {@code internalId} for
     * the log): raw when {@code tty}, multiplexed without; with stdin; its channel registered on
     * {@code channelLoop} (a loop of the connector's group, or null for any). Output goes to {@code sink}.
     */
    CompletableFuture<AttachStream> attach(String containerName, String internalId, boolean tty,
                                           EventLoop channelLoop, AttachStream.Sink sink) {
        return engine().thenCompose(client -> AttachStream.open(connector, client, containerName, internalId,
                true, !tty, channelLoop, UPGRADE_TIMEOUT, sink));
    }

    /** What the engine says of a container: running, its last exit code, whether that was an OOM kill, and whether it has a TTY. */
    record EngineState(boolean running, int exitCode, boolean oomKilled, boolean tty) {
    }

    /** Running or not, the last exit code, the OOM kill and the TTY; fails with {@link ContainerNotFoundException}. */
    CompletableFuture<EngineState> inspectState(String internalId) {
        return EngineFailures.translate(call(internalId, docker -> {
            InspectContainerResponse inspected =
                    docker.inspectContainerCmd(EngineContainers.containerName(internalId)).exec();
            InspectContainerResponse.ContainerState state = inspected.getState();
            boolean running = Boolean.TRUE.equals(state.getRunning());
            Long exit = state.getExitCodeLong();
            boolean tty = inspected.getConfig() != null && Boolean.TRUE.equals(inspected.getConfig().getTty());
            return new EngineState(running, exit == null ? -1 : exit.intValue(),
                    Boolean.TRUE.equals(state.getOOMKilled()), tty);
        }), internalId);
    }

    /**
     * The engine's record of the container's last exit: {@code State.ExitCode}, {@code OOMKilled}
     * (counted as the server's OOM kill only with exit code 137) and {@code FinishedAt}. Empty for a
     * running container, one never started (no {@code FinishedAt}) or one the engine does not have.
     */
    CompletableFuture<Optional<ExitReport>> lastExit(String internalId) {
        return EngineFailures.translate(call(internalId, docker -> {
            InspectContainerResponse.ContainerState state;
            try {
                state = docker.inspectContainerCmd(EngineContainers.containerName(internalId)).exec().getState();
            } catch (NotFoundException e) {
                return Optional.<ExitReport>empty();
            }
            Instant finished = parseEngineTime(state.getFinishedAt());
            Long code = state.getExitCodeLong();
            if (Boolean.TRUE.equals(state.getRunning()) || finished == null || code == null) {
                return Optional.<ExitReport>empty();
            }
            int exitCode = code.intValue();
            return Optional.of(new ExitReport(exitCode,
                    ExitReport.isOutOfMemoryKill(exitCode, Boolean.TRUE.equals(state.getOOMKilled())), finished));
        }), internalId);
    }

    /** An engine timestamp (RFC 3339 with nanoseconds); null for none or the zero time {@code 0001-01-01...}. */
    static Instant parseEngineTime(String text) {
        if (text == null || text.isEmpty() || text.startsWith("0001-")) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Force-removes the engine container called {@code name} (exactly) when there is one. */
    CompletableFuture<Void> removeIfPresent(String name) {
        return call(null, docker -> {
            List<Container> found = docker.listContainersCmd().withShowAll(true)
                    .withNameFilter(List.of("^/" + name + "$")).exec();
            for (Container container : found) {
                if (container.getNames() != null && Arrays.asList(container.getNames()).contains("/" + name)) {
                    log.info("removing engine container {} ({})", name, container.getState());
                    docker.removeContainerCmd(container.getId()).withForce(true).exec();
                }
            }
            return null;
        });
    }

    /** The internal ids of lightd's containers that the engine runs now. */
    CompletableFuture<Set<String>> listRunning() {
        return EngineFailures.translate(call(null, docker -> {
            Set<String> ids = new HashSet<>();
            for (Container container : docker.listContainersCmd()
                    .withLabelFilter(Map.of(EngineContainers.LABEL_MANAGED, "true"))
                    .withStatusFilter(List.of("running")).exec()) {
                String id = container.getLabels() == null ? null : container.getLabels().get(EngineContainers.LABEL_INTERNAL_ID);
                if (id != null) {
                    ids.add(id);
                }
            }
            return Set.copyOf(ids);
        }), null);
    }

    /** No new negotiation from now on: {@link #engine()} fails (the runtime is closing). */
    void refuseNegotiation() {
        closed = true;
    }

    /**
     * Refuses negotiation and closes the negotiated client (once negotiated, if it is under way).
     * Connections are the connector's to close.
     */
    void close() {
        closed = true;
        CompletableFuture<EngineClient> current = engine.get();
        if (current != null) {
            current.thenAccept(EngineClient::close);
        }
    }
}
