package io.lightd.server.ws;

import com.google.gson.stream.JsonWriter;
import io.lightd.protocol.ContainerState;
import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.hub.HubObserver;
import io.lightd.server.hub.ServerView;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The admin node stream behind {@code GET /node/stream}: every watcher first gets one
 * {@code snapshot} frame with every server on the node and the node's facts, then at most one
 * {@code changes} frame a second with the servers whose state, install state, stats or console
 * count changed since, the ids that went away, and the node's facts. The README's section "The node
 * stream" describes the frames.
 *
 * <p>Hubs report changes through {@link HubObserver} (an id into a concurrent set, nothing more);
 * the views themselves are read when the batch is built, so a server that changes a hundred
 * times in a second costs one row. Each frame is encoded once and the same bytes go to every
 * watcher. A watcher whose connection is unwritable when a batch is due gets no batch; it is
 * marked stale and gets a fresh snapshot instead of the next batch once it drains, so nothing is
 * queued for it without bound and it never misses a change.
 *
 * <p>A snapshot of thousands of servers is close to a megabyte of JSON: it is built on the
 * {@code snapshots} executor, not on the event loop, and a watcher whose snapshot was built while
 * a batch went out is treated as stale (its next frame is a fresh snapshot), so no change falls
 * between the two.
 *
 * <p>Watchers, the pending set's draining and the timer are confined to one event loop
 * ({@code loop}); {@link #viewChanged} may be called from any hub loop.
 */
public final class NodeStream implements HubObserver {

    /** The least time between two {@code changes} frames. */
    public static final long BATCH_INTERVAL_MILLIS = 1000;
    /** How often the node's drifting facts (host memory) are sent when nothing else changes. */
    static final long DRIFT_INTERVAL_MILLIS = 10_000;
    /** The {@code event} of the first frame: every server and the node. */
    public static final String SNAPSHOT = "snapshot";
    /** The {@code event} of each batch: changed rows, removed ids and the node. */
    public static final String CHANGES = "changes";

    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final EventExecutor loop;
    private final Executor snapshots;
    private final Clock clock;
    private final String version;
    private final Instant startedAt;
    private final Set<String> changed = ConcurrentHashMap.newKeySet();
    /** Watchers and whether each missed a batch (then its next frame is a snapshot). Loop only. */
    private final Map<Channel, Boolean> watchers = new LinkedHashMap<>();
    private volatile boolean watched;
    /** Snapshots being built for joining watchers; loop only. */
    private int joining;
    /** Batches sent so far; loop only. */
    private long batches;
    private ScheduledFuture<?> timer;
    /** The facts of the last batch, without the ones that drift (uptime, host memory); loop only. */
    private String lastFacts = "";
    private long lastBatchMillis;

    /**
     * @param manager where the servers' views are read
     * @param sessions the WebSocket sessions, counted in the node's facts
     * @param loop the event loop that owns the watchers and sends the batches
     * @param snapshots where snapshots are built (the daemon's bounded executor for blocking work;
     *                  when it refuses, the loop builds the snapshot itself)
     * @param clock the wall clock of {@code sent_at} and the uptime
     * @param version the daemon's version, for the node's facts
     */
    public NodeStream(ContainerManager manager, LiveSessions sessions, EventExecutor loop, Executor snapshots,
                      Clock clock, String version) {
        this.manager = manager;
        this.sessions = sessions;
        this.loop = loop;
        this.snapshots = snapshots;
        this.clock = clock;
        this.version = version;
        this.startedAt = clock.instant();
    }

    /** Starts the batch timer; a fixed delay, so two batches are never closer than the interval. */
    public void start() {
        timer = loop.scheduleWithFixedDelay(this::sendChanges, BATCH_INTERVAL_MILLIS, BATCH_INTERVAL_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** Stops the batch timer (at shutdown); watchers are closed with the other sessions. */
    public void stop() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Any hub loop: remembers the id for the next batch, only while someone watches. */
    @Override
    public void viewChanged(String internalId) {
        if (watched) {
            changed.add(internalId);
        }
    }

    /** Adds a watcher (a node stream connection after its upgrade) and sends it the snapshot; any thread. */
    public void join(Channel channel) {
        loop.execute(() -> {
            watched = true;
            joining++;
            long batchesBefore = batches;
            try {
                snapshots.execute(() -> {
                    byte[] snapshot = snapshot();
                    loop.execute(() -> admit(channel, snapshot, batchesBefore));
                });
            } catch (RejectedExecutionException busy) {
                admit(channel, snapshot(), batchesBefore);
            }
        });
    }

    private void admit(Channel channel, byte[] snapshot, long batchesBefore) {
        joining--;
        if (!channel.isActive()) {
            forgetIfUnwatched();
            return;
        }
        // A batch that went out while this snapshot was built may hold changes the snapshot lacks.
        watchers.put(channel, batches != batchesBefore);
        channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(snapshot)));
    }

    /** Removes a watcher; any thread. */
    public void leave(Channel channel) {
        loop.execute(() -> {
            watchers.remove(channel);
            forgetIfUnwatched();
        });
    }

    private void forgetIfUnwatched() {
        if (watchers.isEmpty() && joining == 0) {
            watched = false;
            changed.clear();
        }
    }

    /** Watchers now (a moment's figure); loop only, or a snapshot from elsewhere. */
    int watcherCount() {
        return watchers.size();
    }

    /** Sends the batch that is due (the timer calls this once a second); loop only. */
    void sendChanges() {
        if (watchers.isEmpty()) {
            return;
        }
        List<String> ids = new ArrayList<>(changed);
        changed.removeAll(ids);
        if (!ids.isEmpty()) {
            batches++;
        }
        String facts = facts(false);
        long now = clock.millis();
        byte[] batch = null;
        // Host memory drifts all the time: alone it is worth a batch only now and then.
        if (!ids.isEmpty() || !facts.equals(lastFacts) || now - lastBatchMillis >= DRIFT_INTERVAL_MILLIS) {
            lastFacts = facts;
            lastBatchMillis = now;
            batch = changes(ids);
        }
        List<Channel> drained = new ArrayList<>();
        ByteBuf shared = batch == null ? null : Unpooled.wrappedBuffer(batch);
        try {
            for (Map.Entry<Channel, Boolean> w : watchers.entrySet()) {
                Channel channel = w.getKey();
                if (!channel.isWritable()) {
                    w.setValue(Boolean.TRUE);
                } else if (w.getValue()) {
                    drained.add(channel);
                } else if (shared != null) {
                    channel.writeAndFlush(new TextWebSocketFrame(shared.retainedDuplicate()));
                }
            }
        } finally {
            if (shared != null) {
                shared.release();
            }
        }
        // A watcher that missed batches joins again: a fresh snapshot, built off the loop.
        for (Channel channel : drained) {
            watchers.remove(channel);
            join(channel);
        }
    }

    /** {@code {"event":"snapshot","sent_at":...,"node":{...},"servers":[...]}}. */
    byte[] snapshot() {
        List<ServerView> all = new ArrayList<>();
        manager.forEachView(all::add);
        all.sort((a, b) -> a.internalId().compareTo(b.internalId()));
        return encode(json -> {
            json.name("event").value(SNAPSHOT);
            json.name("sent_at").value(clock.millis());
            json.name("node").jsonValue(facts(true));
            json.name("servers").beginArray();
            for (ServerView v : all) {
                row(json, v);
            }
            json.endArray();
        });
    }

    /** {@code {"event":"changes","sent_at":...,"node":{...},"servers":[...],"removed":[...]}}. */
    private byte[] changes(List<String> ids) {
        return encode(json -> {
            json.name("event").value(CHANGES);
            json.name("sent_at").value(clock.millis());
            json.name("node").jsonValue(facts(true));
            List<String> removed = new ArrayList<>();
            json.name("servers").beginArray();
            for (String id : ids) {
                ServerView v = manager.view(id);
                if (v == null) {
                    removed.add(id);
                } else {
                    row(json, v);
                }
            }
            json.endArray();
            json.name("removed").beginArray();
            for (String id : removed) {
                json.value(id);
            }
            json.endArray();
        });
    }

    private static void row(JsonWriter json, ServerView v) throws IOException {
        json.beginObject();
        json.name("internal_id").value(v.internalId());
        json.name("image").value(v.image());
        json.name("install_state").value(v.installState().wireName());
        json.name("state").value(v.state().wireName());
        Stats s = v.stats();
        if (s == null) {
            json.name("cpu_usage").nullValue();
            json.name("memory_usage").nullValue();
        } else {
            json.name("cpu_usage").value(s.cpuUsage());
            json.name("memory_usage").value(s.memoryUsage());
        }
        long limit = s != null && s.memoryLimit() > 0 ? s.memoryLimit() : v.memoryLimit();
        if (limit > 0) {
            json.name("memory_limit").value(limit);
        } else {
            json.name("memory_limit").nullValue();
        }
        json.name("consoles").value(v.consoles());
        json.endObject();
    }

    /**
     * The node's facts as a JSON object. Without the drifting ones (uptime, host memory) it tells
     * whether anything worth a batch changed; host memory is read from the operating system's
     * figures the JVM keeps (procfs on Linux: no disk, no waiting).
     */
    private String facts(boolean complete) {
        int[] counts = new int[2];
        manager.forEachView(v -> {
            counts[0]++;
            if (v.state() == ContainerState.RUNNING) {
                counts[1]++;
            }
        });
        ContainerRuntime runtime = manager.runtime();
        long hostTotal = -1;
        long hostFree = -1;
        if (complete
                && ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            hostTotal = os.getTotalMemorySize();
            hostFree = os.getFreeMemorySize();
        }
        long total = hostTotal;
        long free = hostFree;
        return new String(encode(json -> {
            json.name("version").value(version);
            json.name("runtime").value(runtime.name());
            json.name("runtime_available").value(runtime.available());
            json.name("started_at").value(startedAt.toString());
            if (complete) {
                json.name("uptime_seconds").value(Math.max(0, (clock.millis() - startedAt.toEpochMilli()) / 1000));
            }
            json.name("servers_total").value(counts[0]);
            json.name("servers_running").value(counts[1]);
            json.name("websocket_sessions").value(sessions.count());
            if (complete) {
                json.name("host_memory_total").value(total < 0 ? -1 : total >> 20 << 20);
                json.name("host_memory_free").value(free < 0 ? -1 : free >> 20 << 20);
            }
        }), StandardCharsets.UTF_8);
    }

    private interface Body {
        void write(JsonWriter json) throws IOException;
    }

    private static byte[] encode(Body body) {
        StringWriter out = new StringWriter(256);
        try (JsonWriter json = new JsonWriter(out)) {
            json.beginObject();
            body.write(json);
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
