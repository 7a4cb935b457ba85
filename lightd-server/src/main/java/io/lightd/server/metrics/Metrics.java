package io.lightd.server.metrics;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.PowerAction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The daemon's meters, on a Micrometer {@link MeterRegistry}: counters bumped where things happen,
 * gauges read from their owners when the registry is scraped, Micrometer's JVM and Netty binders
 * beside them. Every series keeps the name, type and labels the README lists (the {@code NAME_*}
 * constants below, spelled as Prometheus shows them; Micrometer's Prometheus naming keeps them as they
 * are: a counter's {@code _total} is taken off and put back, and no meter has a base unit to append).
 *
 * <p>The console path adds to a counter once per event, never once per subscriber: each counter is
 * made once, here, and kept in a field or an array indexed by the enum of its label, so an increment
 * looks nothing up and allocates nothing (a Prometheus counter is a {@code DoubleAdder}, so loops do
 * not contend).
 *
 * <p>The registry is the embedder's when one is given; lightd's {@code GET /metrics} scrapes a
 * {@link PrometheusMeterRegistry}: the given one if it is one (or a composite holding one), else one
 * of lightd's own that sits beside the given registry in a composite. {@link #close} removes what
 * lightd registered and closes only a registry lightd made. Thread-safe.
 */
public final class Metrics implements AutoCloseable {

    /** {@code GET /metrics}' answer type: Prometheus's text exposition format, version 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Gauge: WebSocket sessions open now (console and node streams). */
    public static final String NAME_WEBSOCKET_SESSIONS = "lightd_websocket_sessions";
    /** Gauge, label {@code container}: sessions watching each container. */
    public static final String NAME_CONTAINER_SUBSCRIBERS = "lightd_container_subscribers";
    /** Gauge, label {@code container}: bytes in each existing container's volume at its last check. */
    public static final String NAME_CONTAINER_DISK_USAGE = "lightd_container_disk_usage_bytes";
    /** Counter: console events broadcast, each once. */
    public static final String NAME_CONSOLE_EVENTS = "lightd_console_events_total";
    /** Counter: console events times their subscribers, at broadcast. */
    public static final String NAME_CONSOLE_MESSAGES = "lightd_console_messages_sent_total";
    /** Counter: bytes of both console frames times subscribers, at broadcast. */
    public static final String NAME_CONSOLE_BYTES = "lightd_console_bytes_sent_total";
    /** Counter: console and stats frames skipped for slow clients. */
    public static final String NAME_FRAMES_DROPPED = "lightd_frames_dropped_total";
    /** Counter: console lines kept out of the live stream by the throttle. */
    public static final String NAME_LINES_THROTTLED = "lightd_console_lines_throttled_total";
    /** Counter, label {@code kind}: refused inbound messages. */
    public static final String NAME_INBOUND_ERRORS = "lightd_inbound_errors_total";
    /** Counter, labels {@code action} and {@code result}: power actions by outcome. */
    public static final String NAME_POWER_ACTIONS = "lightd_power_actions_total";
    /** Counter, label {@code result}: client pings by what became of them. */
    public static final String NAME_PINGS = "lightd_websocket_pings_total";
    /** Gauge: 1 while the container runtime answers, else 0. */
    public static final String NAME_RUNTIME_AVAILABLE = "lightd_runtime_available";
    /** Counter: Docker events and stats streams re-opened after a loss. */
    public static final String NAME_STREAM_REOPENS = "lightd_runtime_stream_reopens_total";
    /** Counter: stats samples the runtime's batched sampler took (its cgroup or process-group reads). */
    public static final String NAME_STATS_SAMPLES = "lightd_runtime_stats_samples_total";
    /** Gauge, label {@code loop} (its index in the group): tasks queued on each event loop. */
    public static final String NAME_PENDING_TASKS = "lightd_event_loop_pending_tasks";
    /** Gauge: JVM heap in use, in bytes. */
    public static final String NAME_HEAP_USED = "lightd_jvm_heap_used_bytes";
    /** Gauge: JVM heap committed, in bytes. */
    public static final String NAME_HEAP_COMMITTED = "lightd_jvm_heap_committed_bytes";
    /** Gauge: live JVM threads. */
    public static final String NAME_THREADS = "lightd_jvm_threads";

    /** Inbound mistakes the WebSocket layer sees besides the decoder's kinds. */
    public enum InboundRefusal {
        /** A message beyond the connection's rate limit. */
        RATE_LIMITED,
        /** A message larger than {@code limits.max_frame_bytes}. */
        TOO_BIG;

        /** The {@code kind} label value: the name in lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What became of a ping a client sent (RFC 6455 5.5.2 and 5.5.3): answered with a pong, at once
     * or once its connection drained; superseded by a newer ping while its connection was unwritable,
     * so that only the newest is answered; or abandoned when the connection ended while it waited.
     */
    public enum PingOutcome {
        ANSWERED, SUPERSEDED, ABANDONED;

        /** The {@code result} label value: the name in lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final PrometheusMeterRegistry scrape;
    /** Whether {@link #scrape} is lightd's own registry (none given, or a given one that is not Prometheus's). */
    private final boolean ownsScrape;
    /** Meters lightd registered, removed again on close (an embedder's registry outlives lightd). */
    private final List<Meter> registered = new ArrayList<>();
    private final List<AutoCloseable> binders = new ArrayList<>();
    private final Map<String, Meter> subscriberGauges = new ConcurrentHashMap<>();
    private final Map<String, Meter> diskGauges = new ConcurrentHashMap<>();

    /** The runtime's count of re-opened streams, once {@link #bindNode} has it. */
    private volatile LongSupplier streamReopens = () -> 0;

    /** The runtime's count of stats samples, once {@link #bindNode} has it. */
    private volatile LongSupplier statsSamples = () -> 0;

    private final Counter consoleEvents;
    private final Counter consoleMessages;
    private final Counter consoleBytes;
    private final Counter framesDropped;
    private final Counter throttledLines;
    private final Counter[] decodeErrors;
    private final Counter[] refusals;
    private final Counter[] power;
    private final Counter[] pings;

    /** Meters on a new {@link PrometheusMeterRegistry} of lightd's own (the daemon's default). */
    public Metrics() {
        this(null);
    }

    /**
     * Meters on {@code registry}, or on a new {@link PrometheusMeterRegistry} when it is null. The
     * counters are registered at once; gauges come with {@link #bindNode} and the per-container calls.
     */
    public Metrics(MeterRegistry registry) {
        if (registry == null) {
            this.scrape = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            this.registry = scrape;
            this.ownsScrape = true;
        } else if (prometheusIn(registry) != null) {
            this.scrape = prometheusIn(registry);
            this.registry = registry;
            this.ownsScrape = false;
        } else {
            this.scrape = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            CompositeMeterRegistry both = new CompositeMeterRegistry();
            both.add(registry);
            both.add(scrape);
            this.registry = both;
            this.ownsScrape = true;
        }
        consoleEvents = counter(NAME_CONSOLE_EVENTS,
                "Console events broadcast to at least one subscriber, each counted once however many watch.");
        consoleMessages = counter(NAME_CONSOLE_MESSAGES,
                "Console events times the subscribers each was broadcast to (events x subscribers), counted at "
                        + "broadcast; those then skipped for slow clients are in lightd_frames_dropped_total.");
        consoleBytes = counter(NAME_CONSOLE_BYTES,
                "Bytes of the console and console duplicate frames of each event times its subscribers "
                        + "(events x subscribers), counted at broadcast.");
        framesDropped = counter(NAME_FRAMES_DROPPED,
                "Console and stats frames not written to a subscriber because it was too slow (unwritable).");
        throttledLines = counter(NAME_LINES_THROTTLED,
                "Console lines kept out of the live stream by limits.console_lines_per_second or "
                        + "limits.console_bytes_per_second (history still has them).");
        String inboundHelp = "Inbound WebSocket messages refused, by kind: the decoder's kinds, rate_limited and "
                + "too_big.";
        DecodeResult.Kind[] kinds = DecodeResult.Kind.values();
        decodeErrors = new Counter[kinds.length];
        for (DecodeResult.Kind kind : kinds) {
            decodeErrors[kind.ordinal()] = counter(NAME_INBOUND_ERRORS, inboundHelp, "kind", kind.label());
        }
        refusals = new Counter[InboundRefusal.values().length];
        for (InboundRefusal refusal : InboundRefusal.values()) {
            refusals[refusal.ordinal()] = counter(NAME_INBOUND_ERRORS, inboundHelp, "kind", refusal.label());
        }
        power = new Counter[PowerAction.values().length * ActionOutcome.values().length];
        for (PowerAction action : PowerAction.values()) {
            for (ActionOutcome result : ActionOutcome.values()) {
                power[powerIndex(action, result)] = counter(NAME_POWER_ACTIONS,
                        "Power actions from REST and WebSocket, by action and result (accepted, conflict, "
                                + "not_found, unavailable, failed).",
                        "action", action.wireName(), "result", result.label());
            }
        }
        pings = new Counter[PingOutcome.values().length];
        for (PingOutcome outcome : PingOutcome.values()) {
            pings[outcome.ordinal()] = counter(NAME_PINGS,
                    "Pings from WebSocket clients, by result: answered with a pong; superseded by a newer ping "
                            + "while the connection was unwritable (only the newest is answered, RFC 6455 "
                            + "5.5.3); abandoned when the connection ended first.",
                    "result", outcome.label());
        }
    }

    /** The registry lightd's meters are on (the given one, or lightd's composite or Prometheus registry). */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * The whole Prometheus text exposition (version 0.0.4, {@link #CONTENT_TYPE}) of the scraped
     * registry, gauges read now from their owners. Reads only memory and JMX; any thread.
     */
    public String scrape() {
        return scrape.scrape();
    }

    /**
     * Registers the node-wide gauges, read at each scrape from their owners, and Micrometer's Netty
     * binders (pending tasks of each of {@code loops}, memory of {@code allocator}). Micrometer's JVM
     * binders (memory, GC, threads, class loading, processor, uptime) go on lightd's own Prometheus
     * registry only: the JVM is its host's, and a host that brings a registry binds them there itself
     * (the GC binder adds meters later, at each kind of collection, which lightd could not take back
     * out of a registry it does not own). Called once, at start, not on an event loop: the Netty
     * executor binder waits for each loop's thread to name it.
     *
     * @param sessions             WebSocket sessions open now ({@code lightd_websocket_sessions})
     * @param runtimeAvailable     whether the container runtime answers ({@code lightd_runtime_available})
     * @param runtimeStreamReopens the runtime's count of re-opened streams, monotonic
     *                             ({@code lightd_runtime_stream_reopens_total})
     * @param runtimeStatsSamples  the runtime's count of stats samples taken by its batched sampler,
     *                             monotonic ({@code lightd_runtime_stats_samples_total}): its rate is
     *                             the number of containers read a second
     * @param loops                the server's event loops, labelled {@code loop} by their index
     * @param allocator            the allocator the channels use, or null to leave its binder out
     */
    public synchronized void bindNode(IntSupplier sessions, BooleanSupplier runtimeAvailable,
                                      LongSupplier runtimeStreamReopens, LongSupplier runtimeStatsSamples,
                                      Iterable<EventExecutor> loops,
                                      ByteBufAllocatorMetricProvider allocator) {
        gauge(NAME_WEBSOCKET_SESSIONS, "WebSocket console sessions open now.", sessions::getAsInt);
        gauge(NAME_RUNTIME_AVAILABLE, "1 while the container runtime answers, else 0.",
                () -> runtimeAvailable.getAsBoolean() ? 1 : 0);
        this.streamReopens = runtimeStreamReopens;
        // A function counter holds its object weakly: this, which lives as long as lightd does.
        registered.add(FunctionCounter.builder(NAME_STREAM_REOPENS, this, m -> m.streamReopens.getAsLong())
                .description("Long-lived runtime streams (Docker events and stats) opened again after they were lost.")
                .register(registry));
        this.statsSamples = runtimeStatsSamples;
        registered.add(FunctionCounter.builder(NAME_STATS_SAMPLES, this, m -> m.statsSamples.getAsLong())
                .description("Stats samples the runtime's batched sampler took, one per container read: watched "
                        + "containers every second, the others every stats.idle_interval_ms.")
                .register(registry));
        int index = 0;
        for (EventExecutor loop : loops) {
            if (loop instanceof SingleThreadEventExecutor single) {
                registered.add(Gauge.builder(NAME_PENDING_TASKS, single, SingleThreadEventExecutor::pendingTasks)
                        .description("Tasks waiting in each event loop's queue.")
                        .tag("loop", Integer.toString(index))
                        .strongReference(true)
                        .register(registry));
            }
            index++;
        }
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        gauge(NAME_HEAP_USED, "JVM heap in use.", () -> memory.getHeapMemoryUsage().getUsed());
        gauge(NAME_HEAP_COMMITTED, "JVM heap committed by the operating system.",
                () -> memory.getHeapMemoryUsage().getCommitted());
        gauge(NAME_THREADS, "Live JVM threads.", threads::getThreadCount);

        if (ownsScrape) {
            new JvmMemoryMetrics().bindTo(scrape);
            JvmGcMetrics gc = new JvmGcMetrics();
            gc.bindTo(scrape);
            binders.add(gc);
            new JvmThreadMetrics().bindTo(scrape);
            new ClassLoaderMetrics().bindTo(scrape);
            new ProcessorMetrics().bindTo(scrape);
            new UptimeMetrics().bindTo(scrape);
        }
        bind(new NettyEventExecutorMetrics(loops));
        if (allocator != null) {
            bind(new NettyAllocatorMetrics(allocator));
        }
    }

    /**
     * Adds {@code lightd_container_subscribers{container=id}}, read from {@code subscribers} at each
     * scrape, for a container that exists or that someone watches; again for the same id is a no-op.
     */
    public void containerWatched(String id, IntSupplier subscribers) {
        subscriberGauges.computeIfAbsent(id, key -> Gauge.builder(NAME_CONTAINER_SUBSCRIBERS, subscribers::getAsInt)
                .description("WebSocket sessions watching each container (containers that exist or that someone "
                        + "watches).")
                .tag("container", key)
                .strongReference(true)
                .register(registry));
    }

    /** Removes the subscriber gauge of {@code id}: the container is gone and nobody watches it. */
    public void containerForgotten(String id) {
        Meter gauge = subscriberGauges.remove(id);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }

    /**
     * Adds {@code lightd_container_disk_usage_bytes{container=id}}, read from {@code bytes} at each
     * scrape, for a container that exists; again for the same id is a no-op.
     */
    public void diskUsageTracked(String id, LongSupplier bytes) {
        diskGauges.computeIfAbsent(id, key -> Gauge.builder(NAME_CONTAINER_DISK_USAGE, bytes::getAsLong)
                .description("Bytes in each container's volume at its last check (every limits.disk_check_seconds "
                        + "and on start).")
                .tag("container", key)
                .strongReference(true)
                .register(registry));
    }

    /** Removes the disk usage gauge of {@code id}: the container was deleted. */
    public void diskUsageUntracked(String id) {
        Meter gauge = diskGauges.remove(id);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }

    /**
     * One console event broadcast to {@code subscribers} channels, its frames ({@code console} and
     * {@code console duplicate}) {@code frameBytes} long together. On the hub's loop; allocates nothing.
     */
    public void consoleBroadcast(int subscribers, int frameBytes) {
        consoleEvents.increment();
        consoleMessages.increment(subscribers);
        consoleBytes.increment((double) subscribers * frameBytes);
    }

    /** Frames a loop did not write to slow (unwritable) subscribers during one delivery. */
    public void framesDropped(int frames) {
        framesDropped.increment(frames);
    }

    /** Console lines kept out of the live stream by the throttle. */
    public void linesThrottled(int lines) {
        throttledLines.increment(lines);
    }

    /** One inbound message the decoder refused, by its kind. */
    public void inboundError(DecodeResult.Kind kind) {
        decodeErrors[kind.ordinal()].increment();
    }

    /** One inbound message the session refused (rate limit, size). */
    public void inboundRefused(InboundRefusal refusal) {
        refusals[refusal.ordinal()].increment();
    }

    /** One power action, from REST or WebSocket, and how it ended. */
    public void powerAction(PowerAction action, ActionOutcome result) {
        power[powerIndex(action, result)].increment();
    }

    /** One client ping met {@code outcome}; called on the connection's event loop. */
    public void ping(PingOutcome outcome) {
        pings[outcome.ordinal()].increment();
    }

    /** Pings counted with {@code outcome} so far. */
    public long pings(PingOutcome outcome) {
        return (long) pings[outcome.ordinal()].count();
    }

    /** Console events broadcast so far. */
    public long consoleEvents() {
        return (long) consoleEvents.count();
    }

    /** Console events times their subscribers so far. */
    public long consoleMessages() {
        return (long) consoleMessages.count();
    }

    /** Bytes of console frames times their subscribers so far. */
    public long consoleBytes() {
        return (long) consoleBytes.count();
    }

    /** Frames skipped for slow subscribers so far. */
    public long framesDropped() {
        return (long) framesDropped.count();
    }

    /** Console lines the throttle kept out of the live stream so far. */
    public long throttledLines() {
        return (long) throttledLines.count();
    }

    /** Inbound messages refused by the decoder with {@code kind} so far. */
    public long inboundErrors(DecodeResult.Kind kind) {
        return (long) decodeErrors[kind.ordinal()].count();
    }

    /** Inbound messages refused by the session for {@code refusal} so far. */
    public long inboundRefusals(InboundRefusal refusal) {
        return (long) refusals[refusal.ordinal()].count();
    }

    /** Power actions of {@code action} that ended with {@code result} so far. */
    public long powerActions(PowerAction action, ActionOutcome result) {
        return (long) power[powerIndex(action, result)].count();
    }

    /**
     * Removes every meter lightd registered (its own and the Netty binders') from the registry, stops
     * the GC listener, and closes lightd's own Prometheus registry; a registry an embedder gave stays
     * open. Idempotent.
     */
    @Override
    public synchronized void close() {
        for (AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (Exception e) {
                // A binder that cannot unregister its listener leaves nothing lightd could act on.
            }
        }
        binders.clear();
        subscriberGauges.keySet().forEach(this::containerForgotten);
        diskGauges.keySet().forEach(this::diskUsageUntracked);
        registered.forEach(registry::remove);
        registered.clear();
        if (ownsScrape) {
            scrape.close();
        }
    }

    private static int powerIndex(PowerAction action, ActionOutcome result) {
        return action.ordinal() * ActionOutcome.values().length + result.ordinal();
    }

    private Counter counter(String name, String help, String... tags) {
        Counter counter = Counter.builder(name).description(help).tags(tags).register(registry);
        registered.add(counter);
        return counter;
    }

    private void gauge(String name, String help, java.util.function.Supplier<Number> value) {
        registered.add(Gauge.builder(name, value).description(help).strongReference(true).register(registry));
    }

    /** Binds a Micrometer binder, remembering its meters so that {@link #close} removes them. */
    private void bind(MeterBinder binder) {
        List<Meter> before = registry.getMeters();
        binder.bindTo(registry);
        for (Meter meter : registry.getMeters()) {
            if (!before.contains(meter)) {
                registered.add(meter);
            }
        }
    }

    private static PrometheusMeterRegistry prometheusIn(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            return prometheus;
        }
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry inner : composite.getRegistries()) {
                PrometheusMeterRegistry found = prometheusIn(inner);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
