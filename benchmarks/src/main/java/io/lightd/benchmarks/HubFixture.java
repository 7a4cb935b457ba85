package io.lightd.benchmarks;

import com.google.gson.JsonObject;
import io.lightd.protocol.ContainerState;
import io.lightd.protocol.InstallState;
import io.lightd.protocol.PowerAction;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.fanout.Subscriber;
import io.lightd.server.hub.ActionResult;
import io.lightd.server.hub.ContainerHub;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.testing.Await;
import io.lightd.testing.ScriptedRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The real hub, driven without Docker: a {@link ContainerManager} with a registry in a temporary
 * folder and a {@link ScriptedRuntime}, one container created and started through the manager's
 * public API. {@link #emit} hands output bytes to the hub exactly as a runtime does. The event loop
 * group belongs to the caller; the fixture owns its folder and storage executor.
 */
final class HubFixture implements AutoCloseable {

    static final String CONTAINER_ID = "bench-0";

    private final Path folder;
    private final ExecutorService storage;
    private final ScriptedRuntime runtime = new ScriptedRuntime().exitWhenStopped();
    private final ContainerManager manager;
    private final ScriptedRuntime.Run run;

    HubFixture(EventLoopGroup group) throws Exception {
        folder = Files.createTempDirectory("lightd-bench");
        storage = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-storage");
            t.setDaemon(true);
            return t;
        });
        ContainerRegistry registry = new ContainerRegistry(new JsonFileStore.Factory(folder, storage));
        // The benchmark measures the fan-out of each event, not the live-console throttle or the frame
        // budget: both are out of the way (every event is its own frame, as in runs A to D).
        LightdConfig.Limits limits = LightdConfig.Defaults.limits()
                .withConsoleThrottle(Integer.MAX_VALUE, Integer.MAX_VALUE);
        manager = new ContainerManager(group, runtime, registry, limits, Clock.systemUTC(),
                folder.resolve("volumes"), storage, new Metrics(), 0);
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", CONTAINER_ID);
        body.addProperty("image", "none");
        body.addProperty("startup_command", "none");
        if (!manager.create(ContainerRecord.fromCreateBody(body, Clock.systemUTC().instant())).get(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("container " + CONTAINER_ID + " exists already");
        }
        await(r -> r.installState() == InstallState.INSTALLED && r.state() == ContainerState.INSTALLED);
        ActionResult started = manager.power(CONTAINER_ID, PowerAction.START).get(10, TimeUnit.SECONDS);
        if (!started.accepted()) {
            throw new IllegalStateException("start refused: " + started.error());
        }
        await(r -> r.state() == ContainerState.RUNNING);
        run = runtime.run(CONTAINER_ID);
    }

    /** The loop the container's hub and its runtime callbacks run on. */
    EventExecutor loop() {
        return run.loop();
    }

    /**
     * Subscribes a channel through the manager, as a WebSocket session does after its upgrade: shared
     * frames enter at its frame encoder when it has one, already encoded.
     */
    ContainerHub subscribe(Channel channel) {
        ChannelHandlerContext encoder = channel.pipeline().context(WebSocketFrameEncoder.class);
        return manager.subscribe(CONTAINER_ID, encoder == null ? Subscriber.of(channel) : Subscriber.at(encoder));
    }

    /** Hands one chunk of output to the hub; the hub releases it. Call on {@link #loop()}. */
    void emit(ByteBuf chunk) {
        run.listener().onOutput(chunk);
    }

    /** Runs a task on the hub's loop and waits for it, so what it started there has happened. */
    void sync() {
        loop().submit(() -> { }).syncUninterruptibly();
    }

    private void await(Predicate<ContainerRecord> condition) throws Exception {
        Await.until("container " + CONTAINER_ID + " in the awaited state", Duration.ofSeconds(10),
                () -> manager.registry().get(CONTAINER_ID), r -> r != null && condition.test(r));
    }

    @Override
    public void close() throws IOException {
        runtime.close();
        storage.shutdown();
        try {
            storage.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
