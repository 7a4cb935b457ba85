package io.lightd.server.metrics;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.PowerAction;
import java.util.concurrent.atomic.LongAdder;

/**
 * The daemon's counters, bumped where things happen and read by the {@code /metrics} scrape. Each is
 * a {@link LongAdder}: the console path adds to it once per event (never once per subscriber, and
 * without allocating), from whichever event loop the hub lives on, without contention between loops.
 * Gauges (sessions, subscribers, pending tasks, memory) are not kept here: the scrape reads them
 * from their owners. Thread-safe.
 */
public final class Metrics {

    /** Inbound mistakes the WebSocket layer sees besides the decoder's kinds. */
    public enum InboundRefusal {
        /** A message beyond the connection's rate limit. */
        RATE_LIMITED,
        /** A message larger than {@code limits.max_frame_bytes}. */
        TOO_BIG;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * What became of a ping a client sent (RFC 6455 5.5.2 and 5.5.3): answered with a pong, at once
     * or once its connection drained; superseded by a newer ping while its connection was unwritable,
     * so that only the newest is answered; or abandoned when the connection ended while it waited.
     */
    public enum PingOutcome {
        ANSWERED, SUPERSEDED, ABANDONED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final LongAdder consoleEvents = new LongAdder();
    private final LongAdder consoleMessages = new LongAdder();
    private final LongAdder consoleBytes = new LongAdder();
    private final LongAdder framesDropped = new LongAdder();
    private final LongAdder throttledLines = new LongAdder();
    private final LongAdder[] decodeErrors = adders(DecodeResult.Kind.values().length);
    private final LongAdder[] refusals = adders(InboundRefusal.values().length);
    private final LongAdder[] power = adders(PowerAction.values().length * ActionOutcome.values().length);
    private final LongAdder[] pings = adders(PingOutcome.values().length);

    /**
     * One console event broadcast to {@code subscribers} channels, its frames ({@code console} and
     * {@code console duplicate}) {@code frameBytes} long together.
     */
    public void consoleBroadcast(int subscribers, int frameBytes) {
        consoleEvents.increment();
        consoleMessages.add(subscribers);
        consoleBytes.add((long) subscribers * frameBytes);
    }

    /** Frames a loop did not write to slow (unwritable) subscribers during one delivery. */
    public void framesDropped(int frames) {
        framesDropped.add(frames);
    }

    /** Console lines kept out of the live stream by the throttle. */
    public void linesThrottled(int lines) {
        throttledLines.add(lines);
    }

    public void inboundError(DecodeResult.Kind kind) {
        decodeErrors[kind.ordinal()].increment();
    }

    public void inboundRefused(InboundRefusal refusal) {
        refusals[refusal.ordinal()].increment();
    }

    /** One power action from REST or a WebSocket session ended with {@code outcome}; any thread. */
    public void powerAction(PowerAction action, ActionOutcome outcome) {
        power[action.ordinal() * ActionOutcome.values().length + outcome.ordinal()].increment();
    }

    /** One client ping met {@code outcome}; called on the connection's event loop. */
    public void ping(PingOutcome outcome) {
        pings[outcome.ordinal()].increment();
    }

    public long pings(PingOutcome outcome) {
        return pings[outcome.ordinal()].sum();
    }

    public long consoleEvents() {
        return consoleEvents.sum();
    }

    public long consoleMessages() {
        return consoleMessages.sum();
    }

    public long consoleBytes() {
        return consoleBytes.sum();
    }

    public long framesDropped() {
        return framesDropped.sum();
    }

    public long throttledLines() {
        return throttledLines.sum();
    }

    public long inboundErrors(DecodeResult.Kind kind) {
        return decodeErrors[kind.ordinal()].sum();
    }

    public long inboundRefusals(InboundRefusal refusal) {
        return refusals[refusal.ordinal()].sum();
    }

    /** Power actions of {@code action} that ended with {@code outcome} so far. */
    public long powerActions(PowerAction action, ActionOutcome outcome) {
        return power[action.ordinal() * ActionOutcome.values().length + outcome.ordinal()].sum();
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }
}
