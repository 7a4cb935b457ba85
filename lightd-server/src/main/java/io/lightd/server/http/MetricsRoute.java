package io.lightd.server.http;

import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.PowerAction;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.metrics.PrometheusText;
import io.lightd.server.ws.LiveSessions;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: the Prometheus text exposition of the daemon's counters and gauges, read at
 * scrape time from their owners. Needs a bearer token like the REST routes unless
 * {@code metrics.require_token} is false. Stateless and shared; a scrape runs on the connection's
 * loop and only reads (no locks, no I/O).
 */
public final class MetricsRoute {

    public static final String PATH = "/metrics";

    private final boolean requireToken;
    private final BearerAuth auth;
    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final EventLoopGroup group;

    public MetricsRoute(boolean requireToken, BearerAuth auth, ContainerManager manager, LiveSessions sessions,
                        EventLoopGroup group) {
        this.requireToken = requireToken;
        this.auth = auth;
        this.manager = manager;
        this.sessions = sessions;
        this.group = group;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.method().equals(HttpMethod.GET)) {
            HttpResponses.sendError(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed", keepAlive);
            return;
        }
        // The scrape takes the same tokens as REST, so guesses here count against the same limit.
        if (requireToken && !auth.admit(ctx, request, keepAlive)) {
            return;
        }
        byte[] body = render().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, PrometheusText.CONTENT_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        HttpResponses.write(ctx, response, keepAlive);
    }

    /** The whole exposition, as a scrape gets it. */
    public String render() {
        Metrics m = manager.metrics();
        PrometheusText t = new PrometheusText();
        t.family("lightd_websocket_sessions", "gauge", "WebSocket console sessions open now.")
                .sample("lightd_websocket_sessions", sessions.count());
        t.family("lightd_container_subscribers", "gauge",
                "WebSocket sessions watching each container (containers that exist or that someone watches).");
        manager.forEachSubscriberCount((id, n) -> t.sample("lightd_container_subscribers", "container", id, n));
        t.family("lightd_container_disk_usage_bytes", "gauge",
                "Bytes in each container's volume at its last check (every limits.disk_check_seconds and on start).");
        manager.forEachDiskUsage((id, n) -> t.sample("lightd_container_disk_usage_bytes", "container", id, n));
        t.family("lightd_console_events_total", "counter",
                "Console events broadcast to at least one subscriber, each counted once however many watch.")
                .sample("lightd_console_events_total", m.consoleEvents());
        t.family("lightd_console_messages_sent_total", "counter",
                "Console events times the subscribers each was broadcast to (events x subscribers), counted at "
                        + "broadcast; those then skipped for slow clients are in lightd_frames_dropped_total.")
                .sample("lightd_console_messages_sent_total", m.consoleMessages());
        t.family("lightd_console_bytes_sent_total", "counter",
                "Bytes of the console and console duplicate frames of each event times its subscribers "
                        + "(events x subscribers), counted at broadcast.")
                .sample("lightd_console_bytes_sent_total", m.consoleBytes());
        t.family("lightd_frames_dropped_total", "counter",
                "Console and stats frames not written to a subscriber because it was too slow (unwritable).")
                .sample("lightd_frames_dropped_total", m.framesDropped());
        t.family("lightd_console_lines_throttled_total", "counter",
                "Console lines kept out of the live stream by limits.console_lines_per_second or "
                        + "limits.console_bytes_per_second (history still has them).")
                .sample("lightd_console_lines_throttled_total", m.throttledLines());
        t.family("lightd_inbound_errors_total", "counter",
                "Inbound WebSocket messages refused, by kind: the decoder's kinds, rate_limited and too_big.");
        for (DecodeResult.Kind kind : DecodeResult.Kind.values()) {
            t.sample("lightd_inbound_errors_total", "kind", kind.label(), m.inboundErrors(kind));
        }
        for (Metrics.InboundRefusal refusal : Metrics.InboundRefusal.values()) {
            t.sample("lightd_inbound_errors_total", "kind", refusal.label(), m.inboundRefusals(refusal));
        }
        t.family("lightd_power_actions_total", "counter",
                "Power actions from REST and WebSocket, by action and result (accepted, conflict, not_found, "
                        + "unavailable, failed).");
        for (PowerAction action : PowerAction.values()) {
            for (ActionOutcome outcome : ActionOutcome.values()) {
                t.sample("lightd_power_actions_total", "action", action.wireName(), "result", outcome.label(),
                        m.powerActions(action, outcome));
            }
        }
        t.family("lightd_websocket_pings_total", "counter",
                "Pings from WebSocket clients, by result: answered with a pong; superseded by a newer ping while "
                        + "the connection was unwritable (only the newest is answered, RFC 6455 5.5.3); abandoned "
                        + "when the connection ended first.");
        for (Metrics.PingOutcome outcome : Metrics.PingOutcome.values()) {
            t.sample("lightd_websocket_pings_total", "result", outcome.label(), m.pings(outcome));
        }
        t.family("lightd_runtime_available", "gauge", "1 while the container runtime answers, else 0.")
                .sample("lightd_runtime_available", manager.runtime().available() ? 1 : 0);
        t.family("lightd_runtime_stream_reopens_total", "counter",
                "Long-lived runtime streams (Docker events and stats) opened again after they were lost.")
                .sample("lightd_runtime_stream_reopens_total", manager.runtime().streamReopens());
        t.family("lightd_event_loop_pending_tasks", "gauge", "Tasks waiting in each event loop's queue.");
        int index = 0;
        for (EventExecutor loop : group) {
            if (loop instanceof SingleThreadEventExecutor single) {
                t.sample("lightd_event_loop_pending_tasks", "loop", Integer.toString(index), single.pendingTasks());
            }
            index++;
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        t.family("lightd_jvm_heap_used_bytes", "gauge", "JVM heap in use.")
                .sample("lightd_jvm_heap_used_bytes", heap.getUsed());
        t.family("lightd_jvm_heap_committed_bytes", "gauge", "JVM heap committed by the operating system.")
                .sample("lightd_jvm_heap_committed_bytes", heap.getCommitted());
        t.family("lightd_jvm_threads", "gauge", "Live JVM threads.")
                .sample("lightd_jvm_threads", ManagementFactory.getThreadMXBean().getThreadCount());
        return t.toString();
    }
}
