package io.lightd.runtime.docker;

import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.io.Closeable;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's one events stream, filtered to lightd's containers ({@code lightd.managed=true}) and to
 * {@code start}, {@code die}, {@code kill} and {@code oom}, kept open for the runtime's life: each
 * event goes to the {@link Listener} with the container's internal id. The stream also tells whether
 * the engine is reachable: {@link #reachable()} is false from a failed open until the stream opens
 * again, and an open after a loss tells the listener to check its containers
 * ({@link Listener#engineBack()}).
 *
 * <p>Threads: the stream lives on one event loop of the server's group, where the listener is
 * called; {@link #start()}, {@link #reachable()} and {@link #close()} may be called from any thread.
 */
final class EngineEvents {

    private static final Logger log = LoggerFactory.getLogger(EngineEvents.class);

    /** The longest wait between two attempts to re-open the events stream, hence to notice the engine is back. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    /** Hears the events of lightd's containers; called on the events stream's loop, must not block. */
    interface Listener {
        /** An engine event ({@code start}, {@code die}, {@code kill}, {@code oom}) of the container {@code internalId}. */
        void onContainerEvent(String internalId, String action, Map<String, String> attributes);

        /** The stream opened again after a loss: events may have been missed meanwhile. */
        void engineBack();
    }

    private final EngineCalls engine;
    private final Listener listener;
    private final ReopeningStream stream;
    /** False from a failed open of the events stream until it opens again. */
    private volatile boolean reachable = true;
    /** Set on the events loop when the stream was lost; the next open tells the listener. */
    private boolean lost;

    /**
     * @param engine   the engine calls
     * @param loop     the loop the stream lives on
     * @param listener hears each event
     * @param reopens  counts each re-open of the stream after a loss
     */
    EngineEvents(EngineCalls engine, EventLoop loop, Listener listener, LongAdder reopens) {
        this.engine = engine;
        this.listener = listener;
        this.stream = new ReopeningStream("engine events", loop, engine.blocking(), engine::engine,
                client -> open(client, loop), null, MAX_BACKOFF, new Watcher(), reopens);
    }

    /** Opens the stream unless it is open; completes after the first attempt (even a failed one). */
    CompletableFuture<Void> start() {
        return stream.start();
    }

    /** False while the events stream cannot be opened (the engine is down or unreachable). Any thread. */
    boolean reachable() {
        return reachable;
    }

    /** Closes the stream for good. */
    void close() {
        stream.close();
    }

    private Channel open(EngineClient client, EventLoop loop) throws InterruptedException {
        CountDownLatch subscribed = new CountDownLatch(1);
        Channel channel = client.factory().openStream(loop, () -> client.docker().eventsCmd()
                .withEventTypeFilter(EventType.CONTAINER)
                .withEventFilter("start", "die", "kill", "oom")
                .withLabelFilter(Map.of(EngineContainers.LABEL_MANAGED, "true"))
                .exec(new StreamCallback<Event>() {
                    @Override
                    public void onStart(Closeable closeable) {
                        subscribed.countDown();
                    }

                    @Override
                    public void onNext(Event event) {
                        stream.dataArrived();
                        dispatch(event);
                    }
                }));
        // The engine answers the events request once it has subscribed; runs started after this
        // see their own start event.
        if (!subscribed.await(EngineCalls.CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("the engine did not answer the events request within {} ms", EngineCalls.CONNECT_TIMEOUT.toMillis());
        }
        return channel;
    }

    private void dispatch(Event event) {
        if (event.getActor() == null || event.getActor().getAttributes() == null) {
            return;
        }
        Map<String, String> attributes = event.getActor().getAttributes();
        String id = attributes.get(EngineContainers.LABEL_INTERNAL_ID);
        if (id != null) {
            listener.onContainerEvent(id, event.getAction(), attributes);
        }
    }

    /** Follows the stream: it tells whether the engine is reachable, and when it comes back. */
    private final class Watcher implements ReopeningStream.Watcher {
        @Override
        public void opened() {
            boolean recheck = lost || !reachable;
            lost = false;
            if (!reachable) {
                log.info("Docker engine at {} answers again", engine.connector().dockerHost());
            }
            reachable = true;
            if (recheck) {
                listener.engineBack();
            }
        }

        @Override
        public void lost() {
            log.info("events stream of the Docker engine at {} ended; re-opening it", engine.connector().dockerHost());
            lost = true;
        }

        @Override
        public void openFailed(Throwable cause) {
            lost = true;
            if (reachable && EngineFailures.unwrap(cause) instanceof EngineUnreachableException) {
                log.warn("Docker engine at {} unreachable: {}", engine.connector().dockerHost(),
                        EngineFailures.messageOf(cause));
                reachable = false;
            }
        }
    }
}
