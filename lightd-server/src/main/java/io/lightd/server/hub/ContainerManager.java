package io.lightd.server.hub;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.PowerAction;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.fanout.Subscriber;
import io.lightd.server.logging.ContainerLog;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.record.InternalIds;
import io.lightd.server.store.ContainerRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.ObjIntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the hubs, one per container id that exists or that someone watches, each pinned to one
 * event loop of the server's group. REST and WebSocket sessions both come here, so power actions
 * and commands take one code path. Thread-safe.
 *
 * <p>A hub lives while it has a record or a subscriber; {@link ContainerHub#references} counts both
 * and is changed only inside the map's per-key compute, so creating, watching and forgetting a
 * container never race.
 */
public final class ContainerManager {

    private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);

    private final Map<String, ContainerHub> hubs = new ConcurrentHashMap<>();
    /** Ids whose delete is under way, so two deletes of one container cannot both release its hub. */
    private final Set<String> deleting = ConcurrentHashMap.newKeySet();
    private final EventLoopGroup group;
    private final ContainerRuntime runtime;
    private final ContainerRegistry registry;
    private final LightdConfig.Limits limits;
    private final Clock clock;
    private final Path volumes;
    private final Executor blocking;
    private final Metrics metrics;
    private volatile HubObserver observer = HubObserver.NONE;
    private final int coalesceMillis;

    /** A manager whose hubs have the default console frame budget. */
    public ContainerManager(EventLoopGroup group, ContainerRuntime runtime, ContainerRegistry registry,
                            LightdConfig.Limits limits, Clock clock, Path volumes, Executor blocking,
                            Metrics metrics) {
        this(group, runtime, registry, limits, clock, volumes, blocking, metrics,
                LightdConfig.Defaults.DEFAULT_CONSOLE_COALESCE_MS);
    }

    /**
     * @param coalesceMillis each hub's console frame budget in milliseconds ({@code console.coalesce_ms},
     *                       0 = off)
     */
    public ContainerManager(EventLoopGroup group, ContainerRuntime runtime, ContainerRegistry registry,
                            LightdConfig.Limits limits, Clock clock, Path volumes, Executor blocking,
                            Metrics metrics, int coalesceMillis) {
        this.coalesceMillis = coalesceMillis;
        this.group = group;
        this.metrics = metrics;
        this.volumes = volumes;
        this.blocking = blocking;
        this.runtime = runtime;
        this.registry = registry;
        this.limits = limits;
        this.clock = clock;
    }

    /** The runtime every hub drives, as given at construction. */
    public ContainerRuntime runtime() {
        return runtime;
    }

    /** The stored container records, as given at construction. */
    public ContainerRegistry registry() {
        return registry;
    }

    /** The counters the hubs and sessions bump, as given at construction. */
    public Metrics metrics() {
        return metrics;
    }

    /**
     * Restores every stored container after a start: histories seeded, running ones re-attached.
     * Completes when all are restored.
     */
    public CompletableFuture<Void> restoreAll() {
        return runtime.listRunning().exceptionally(err -> {
            log.warn("cannot list running containers from the {} runtime: {}", runtime.name(),
                    ContainerHub.describe(err));
            return Set.of();
        }).thenCompose(running -> {
            List<CompletableFuture<Void>> restored = new ArrayList<>();
            for (ContainerRecord stored : registry.all()) {
                ContainerHub hub = acquire(stored.internalId());
                metrics.diskUsageTracked(stored.internalId(), hub::diskUsage);
                restored.add(hub.restore(stored, running.contains(stored.internalId()), limits.historyBytes()));
            }
            return CompletableFuture.allOf(restored.toArray(CompletableFuture[]::new)).thenRun(() ->
                    log.info("restored {} containers ({} running)", restored.size(), running.size()));
        });
    }

    /** Adds a subscriber to a container's hub, creating a silent hub for an unknown id. */
    public ContainerHub subscribe(String id, Channel channel) {
        return subscribe(id, Subscriber.of(channel));
    }

    /** Adds a subscriber to a container's hub, creating a silent hub for an unknown id. Any thread. */
    public ContainerHub subscribe(String id, Subscriber subscriber) {
        ContainerHub hub = acquire(id);
        hub.subscribe(subscriber);
        return hub;
    }

    /**
     * Removes a subscriber that {@link #subscribe} added; a hub with no record and no subscriber
     * left is forgotten. Any thread.
     */
    public void unsubscribe(ContainerHub hub, Channel channel) {
        unsubscribe(hub, Subscriber.of(channel));
    }

    /** {@link #unsubscribe(ContainerHub, Channel)} for a subscriber added as one. Any thread. */
    public void unsubscribe(ContainerHub hub, Subscriber subscriber) {
        hub.unsubscribe(subscriber);
        release(hub.id());
    }

    /**
     * Creates a container: the record is on disk before the future completes; the install then runs
     * in the background. Completes with false when the id exists. When the record cannot be stored it
     * is taken back, so a create answered with an error leaves nothing behind.
     */
    public CompletableFuture<Boolean> create(ContainerRecord record) {
        if (registry.putIfAbsent(record) != null) {
            return CompletableFuture.completedFuture(false);
        }
        return registry.save().handle((ignored, err) -> {
            if (err != null) {
                registry.forget(record);
                throw err instanceof CompletionException c ? c : new CompletionException(err);
            }
            ContainerHub hub = acquire(record.internalId());
            metrics.diskUsageTracked(record.internalId(), hub::diskUsage);
            hub.create(record);
            new ContainerLog(log, record.internalId()).info("created (image {})", record.image());
            return true;
        });
    }

    /** Deletes a container: process killed, runtime container removed, record gone; false when unknown. */
    public CompletableFuture<Boolean> delete(String id) {
        ContainerHub hub = hubs.get(id);
        if (registry.get(id) == null || hub == null || !deleting.add(id)) {
            return CompletableFuture.completedFuture(false);
        }
        return hub.delete()
                .thenCompose(ignored -> {
                    metrics.diskUsageUntracked(id);
                    return registry.remove(id);
                })
                .thenApply(ignored -> {
                    release(id);
                    new ContainerLog(log, id).info("deleted");
                    return true;
                })
                .whenComplete((done, err) -> deleting.remove(id));
    }

    /** Deletes a deleted container's volume folder, on the blocking executor. */
    public CompletableFuture<Void> purgeVolume(String id) {
        Path folder = volumes.resolve(id).normalize();
        if (!InternalIds.isValid(id) || !folder.getParent().equals(volumes.normalize())) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("bad internal id " + id));
        }
        return CompletableFuture.runAsync(() -> {
            try {
                deleteTree(folder);
                new ContainerLog(log, id).info("volume purged");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot purge the volume of " + id + ": " + e.getMessage(), e);
            }
        }, blocking);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Reinstalls a container, with a new image or install script where given (null keeps the
     * stored one); a running server is killed first. Completes on the hub's loop with
     * {@link io.lightd.protocol.ActionOutcome#NOT_FOUND NOT_FOUND} for an unknown id, CONFLICT while it
     * installs or is being deleted, else ACCEPTED (the install runs on, told through state events).
     */
    public CompletableFuture<ActionResult> reinstall(String id, String image, String installScript) {
        ContainerHub hub = hubs.get(id);
        return hub == null ? notFound() : hub.reinstall(image, installScript);
    }

    /**
     * A power action from REST or a WebSocket session; its outcome is counted by action and result
     * ({@code lightd_power_actions_total}). Completes on the hub's loop (at once for an unknown id).
     */
    public CompletableFuture<ActionResult> power(String id, PowerAction action) {
        ContainerHub hub = hubs.get(id);
        CompletableFuture<ActionResult> result = hub == null ? notFound() : hub.power(action);
        result.whenComplete((r, err) -> metrics.powerAction(action, err != null ? ActionOutcome.FAILED : r.outcome()));
        return result;
    }

    /**
     * Writes {@code command} (UTF-8, as given, newline included) to the server's stdin. Completes on
     * the hub's loop: ACCEPTED once written; NOT_FOUND for an unknown id; CONFLICT when the server
     * does not run; UNAVAILABLE or FAILED when the runtime could not write it.
     */
    public CompletableFuture<ActionResult> command(String id, String command) {
        ContainerHub hub = hubs.get(id);
        return hub == null ? notFound() : hub.command(command);
    }

    /** Calls {@code sink} with each hub's id and subscriber count: a snapshot. */
    public void forEachSubscriberCount(ObjIntConsumer<String> sink) {
        hubs.forEach((id, hub) -> sink.accept(id, hub.subscriberCount()));
    }

    /**
     * Has {@code observer} told of every change of a container's {@link ServerView}, from then on:
     * hubs made later get it, hubs alive now get it set on their own loops.
     */
    public void observe(HubObserver observer) {
        this.observer = observer;
        hubs.values().forEach(hub -> hub.loop().execute(() -> hub.observer = observer));
    }

    /** The view of one container, or null when it does not exist; any thread. */
    public ServerView view(String id) {
        ContainerHub hub = hubs.get(id);
        return hub == null ? null : hub.view();
    }

    /** Calls {@code sink} with the view of every container that exists now; any thread. */
    public void forEachView(java.util.function.Consumer<ServerView> sink) {
        hubs.forEach((id, hub) -> {
            ServerView v = hub.view();
            if (v != null) {
                sink.accept(v);
            }
        });
    }

    /** The bytes {@code id}'s volume held at the last check, or -1 for an unknown container. */
    public long diskUsage(String id) {
        ContainerHub hub = hubs.get(id);
        return hub == null || registry.get(id) == null ? -1 : hub.diskUsage();
    }

    /**
     * The daemon is shutting down: no hub restarts a server or checks a disk any more, and the exits
     * the runtime reports from now on (the process runtime kills its children) are not crashes.
     * Completes when every hub has taken note.
     */
    public CompletableFuture<Void> close() {
        List<CompletableFuture<Void>> noted = new ArrayList<>();
        hubs.values().forEach(hub -> noted.add(hub.shutdown()));
        return CompletableFuture.allOf(noted.toArray(CompletableFuture[]::new));
    }

    /** Hubs alive now: containers that exist plus ids someone watches. */
    /**
     * The id string the container's hub already holds when there is a hub for {@code id}, else
     * {@code id} itself: sessions keep this one, so a thousand consoles of one container share one
     * string. Any thread.
     */
    public String canonicalId(String id) {
        ContainerHub hub = hubs.get(id);
        return hub == null ? id : hub.id();
    }

    /** How many hubs exist now (containers plus watched unknown ids); a moment's snapshot. */
    public int hubCount() {
        return hubs.size();
    }

    private static CompletableFuture<ActionResult> notFound() {
        return CompletableFuture.completedFuture(ActionResult.notFound("unknown container"));
    }

    private ContainerHub acquire(String id) {
        return hubs.compute(id, (key, hub) -> {
            ContainerHub h = hub;
            if (h == null) {
                h = new ContainerHub(key, group.next(), runtime, registry, clock, limits, metrics,
                        volumes.resolve(key).normalize(), blocking, coalesceMillis);
                h.observer = observer;
                metrics.containerWatched(key, h::subscriberCount);
            }
            h.references++;
            return h;
        });
    }

    private void release(String id) {
        hubs.computeIfPresent(id, (key, hub) -> {
            if (--hub.references > 0) {
                return hub;
            }
            metrics.containerForgotten(key);
            return null;
        });
    }
}
