package io.lightd.server.it;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client (the JDK's) that queues every text message and remembers how the connection closed. */
final class WsClient implements WebSocket.Listener, AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(15);

    /** The close code and reason the server sent. */
    record Close(int code, String reason) {
    }

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;
    private volatile boolean paused;

    static WsClient connect(HttpClient http, URI uri, Map<String, String> headers) {
        return connect(http, uri, headers, false);
    }

    /** A paused client reads nothing from its socket until {@link #resume()}: a stalled browser tab. */
    static WsClient connect(HttpClient http, URI uri, Map<String, String> headers, boolean paused) {
        WsClient client = new WsClient();
        client.paused = paused;
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(builder::header);
        client.socket = builder.buildAsync(uri, client).join();
        return client;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        if (!paused) {
            webSocket.request(1);
        }
    }

    void resume() {
        paused = false;
        socket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(new Close(-1, String.valueOf(error)));
    }

    void send(String text) {
        socket.sendText(text, true).join();
    }

    void sendBinary(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    /** The next message, or an AssertionError after {@link #WAIT}. */
    JsonObject next() {
        try {
            String m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no message within " + WAIT);
            }
            return JsonParser.parseString(m).getAsJsonObject();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next message as its text, or an AssertionError after {@link #WAIT}. */
    String nextText() {
        try {
            String m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no message within " + WAIT);
            }
            return m;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next message if one arrives within {@code wait}, else null. */
    JsonObject poll(Duration wait) throws InterruptedException {
        String m = messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        return m == null ? null : JsonParser.parseString(m).getAsJsonObject();
    }

    /** Every message up to and including the first that matches. */
    List<JsonObject> until(Predicate<JsonObject> stop) {
        List<JsonObject> seen = new ArrayList<>();
        while (true) {
            JsonObject m = next();
            seen.add(m);
            if (stop.test(m)) {
                return seen;
            }
        }
    }

    /** The first message that matches, skipping the others. */
    JsonObject await(Predicate<JsonObject> match) {
        List<JsonObject> seen = until(match);
        return seen.get(seen.size() - 1);
    }

    Close awaitClose() {
        try {
            return closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("the connection was not closed within " + WAIT, e);
        }
    }

    boolean isClosed() {
        return closed.isDone();
    }

    static Predicate<JsonObject> event(String name, String data) {
        return m -> m.get("event").getAsString().equals(name) && m.has("data") && m.get("data").getAsString().equals(data);
    }

    static Predicate<JsonObject> state(String state) {
        return event("event", state);
    }

    static Predicate<JsonObject> daemon(String text) {
        return event("daemon_message", text);
    }

    static String describe(JsonObject m) {
        return m.get("event").getAsString() + (m.has("data") ? ":" + m.get("data").getAsString() : "");
    }

    @Override
    public void close() {
        if (socket != null && !socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        if (socket != null) {
            socket.abort();
        }
    }
}
