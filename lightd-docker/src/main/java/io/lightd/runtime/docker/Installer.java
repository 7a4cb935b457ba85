package io.lightd.runtime.docker;

import com.github.dockerjava.api.model.PullResponseItem;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.InstallListener;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs a server on the engine: makes its image present (pulling it, progress to the listener),
 * removes what an earlier install left, creates its volume folder, runs its install script in a
 * throw-away container (output to the listener) and creates the server's container.
 *
 * <p>A delete during an install leaves nothing behind: each install holds a token per internal id;
 * {@link #forget} takes it away, and an install whose token is gone does not create the server's
 * container. The check with the create, and the removal, lock the token map (both on the blocking
 * executor), so they cannot interleave.
 *
 * <p>Threads: {@link #install} returns at once from any thread; the listener is called on the
 * install's loop.
 */
final class Installer {

    private static final Logger log = LoggerFactory.getLogger(Installer.class);

    private final EngineCalls engine;
    private final Path volumesRoot;
    private final String networkMode;
    private final Map<String, Object> installs = new ConcurrentHashMap<>();

    /**
     * @param engine      the engine calls
     * @param volumesRoot the folder of the servers' volumes ({@code <storage.base_path>/volumes}); a
     *                    server's volume is {@code <volumesRoot>/<internal_id>}
     * @param networkMode the engine network mode of the containers
     */
    Installer(EngineCalls engine, Path volumesRoot, String networkMode) {
        this.engine = engine;
        this.volumesRoot = volumesRoot;
        this.networkMode = networkMode;
    }

    /**
     * Installs {@code spec}'s server; completes with the install script's exit code (0 without a
     * script) once the server's container exists. Fails with the engine's error (not translated).
     */
    CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        String id = spec.internalId();
        Path volume = volumesRoot.resolve(id);
        Object token = new Object();
        installs.put(id, token);
        log.info("{}: installing from {}", id, spec.image());
        CompletableFuture<Integer> result = ensureImage(spec.image(), loop, listener)
                .thenCompose(v -> engine.removeIfPresent(EngineContainers.containerName(id)))
                .thenCompose(v -> engine.removeIfPresent(EngineContainers.installContainerName(id)))
                .thenCompose(v -> engine.call(null, docker -> {
                    createDirectories(volume);
                    return null;
                }))
                .thenCompose(v -> spec.installScript() == null
                        ? CompletableFuture.completedFuture(0)
                        : runInstallScript(spec, volume, loop, listener))
                .thenCompose(code -> engine.call(null, docker -> {
                    synchronized (installs) {
                        if (installs.get(id) != token) {
                            throw new IllegalStateException("the install of " + id + " ended: the container was removed");
                        }
                        EngineContainers.serverContainer(docker, spec, volume, networkMode).exec();
                    }
                    return code;
                }));
        return result.whenComplete((code, error) -> installs.remove(id, token));
    }

    /**
     * Ends the install of {@code internalId} under way, if any: it will not create the server's
     * container. Blocks on the token map's lock: call it on the blocking executor.
     */
    void forget(String internalId) {
        synchronized (installs) {
            installs.remove(internalId);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create volume folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Completes when the image is present, pulling it when it is not. */
    private CompletableFuture<Void> ensureImage(String image, EventExecutor loop, InstallListener listener) {
        ImageRef ref = ImageRef.parse(image);
        return imagePresent(ref).thenCompose(present -> {
            if (present) {
                return CompletableFuture.completedFuture(null);
            }
            onLoop(loop, () -> listener.onProgress("Pulling image " + ref.reference()));
            return pull(ref, loop, listener)
                    .handle((v, pullError) -> pullError)
                    .thenCompose(pullError -> imagePresent(ref).thenApply(presentNow -> {
                        if (!presentNow) {
                            String why = pullError == null ? "the pull ended without it" : EngineFailures.messageOf(pullError);
                            throw new IllegalStateException("image " + image + " not found and could not be pulled: " + why);
                        }
                        onLoop(loop, () -> listener.onProgress("Pulled image " + ref.reference()));
                        return null;
                    }));
        });
    }

    private CompletableFuture<Boolean> imagePresent(ImageRef ref) {
        return engine.call(null, docker -> !docker.listImagesCmd().withReferenceFilter(ref.reference()).exec().isEmpty());
    }

    /** Pulls through the engine; progress lines go to the listener when their status changes. */
    private CompletableFuture<Void> pull(ImageRef ref, EventExecutor loop, InstallListener listener) {
        OneShotStream<PullResponseItem, Void> progress = new OneShotStream<>() {
            private final Map<String, String> lastStatus = new HashMap<>();

            @Override
            public void onNext(PullResponseItem item) {
                if (item.getErrorDetail() != null) {
                    fail(new IllegalStateException(item.getErrorDetail().getMessage()));
                    return;
                }
                String status = item.getStatus();
                if (status == null) {
                    return;
                }
                String key = item.getId() == null ? "" : item.getId();
                if (!status.equals(lastStatus.put(key, status))) {
                    String line = item.getId() == null ? status : item.getId() + ": " + status;
                    onLoop(loop, () -> listener.onProgress(line));
                }
            }

            @Override
            protected Void completed() {
                return null;
            }

            @Override
            protected String what() {
                return "pull";
            }
        };
        return engine.readToEnd(progress,
                (docker, callback) -> docker.pullImageCmd(ref.repository()).withTag(ref.tag()).exec(callback));
    }

    /** Runs the install script in a throw-away container and completes with its exit code. */
    private CompletableFuture<Integer> runInstallScript(ContainerSpec spec, Path volume, EventExecutor loop,
                                                        InstallListener listener) {
        String id = spec.internalId();
        String name = EngineContainers.installContainerName(id);
        CompletableFuture<Void> outputEnded = new CompletableFuture<>();
        AttachStream.Sink sink = new AttachStream.Sink() {
            @Override
            public void onOutput(ByteBuf chunk) {
                if (loop.inEventLoop()) {
                    listener.onOutput(chunk);
                } else {
                    loop.execute(() -> listener.onOutput(chunk));
                }
            }

            @Override
            public void onEnd() {
                // after the last output, on the same loop
                onLoop(loop, () -> outputEnded.complete(null));
            }
        };
        log.info("{}: running the install script", id);
        EngineConnector connector = engine.connector();
        CompletableFuture<Integer> exitCode = engine.call(null, docker -> {
                    EngineContainers.installContainer(docker, spec, volume, networkMode).exec();
                    return null;
                })
                .thenCompose(v -> engine.engine())
                .thenCompose(client -> AttachStream.open(connector, client, name, id, false, true,
                        connector.loopOf(loop), EngineCalls.UPGRADE_TIMEOUT, sink))
                .thenCompose(stream -> engine.call(null, docker -> {
                    docker.startContainerCmd(name).exec();
                    return null;
                }).whenComplete((v, error) -> {
                    if (error != null) {
                        stream.close();
                    }
                }))
                .thenCompose(v -> outputEnded)
                // the container has exited or is about to: the wait answers at once
                .thenCompose(v -> engine.call(null, docker -> docker.waitContainerCmd(name).start().awaitStatusCode()));
        return exitCode.handle((code, error) -> engine.removeIfPresent(name).handle((v, removeError) -> {
            if (error != null) {
                throw EngineFailures.completion(error);
            }
            return code;
        })).thenCompose(Function.identity());
    }

    /** Runs {@code task} on {@code loop}: at once when already there. */
    private static void onLoop(EventExecutor loop, Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }
}
