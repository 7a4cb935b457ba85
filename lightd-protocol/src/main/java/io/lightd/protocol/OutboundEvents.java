package io.lightd.protocol;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The one place that turns outbound events into their JSON text, as UTF-8 bytes. Each event is
 * encoded once and the bytes are shared by every client that receives it. Thread-safe.
 */
public final class OutboundEvents {

    public static final String CONSOLE = "console";
    public static final String CONSOLE_DUPLICATE = "console duplicate";
    public static final String EVENT = "event";
    public static final String DAEMON_MESSAGE = "daemon_message";
    public static final String LOGS = "logs";
    public static final String STATS = "stats";

    private OutboundEvents() {
    }

    public static byte[] console(String data) {
        return withData(CONSOLE, data);
    }

    public static byte[] consoleDuplicate(String data) {
        return withData(CONSOLE_DUPLICATE, data);
    }

    public static byte[] state(ContainerState state) {
        return withData(EVENT, state.wireName());
    }

    public static byte[] daemonMessage(String text) {
        return withData(DAEMON_MESSAGE, text);
    }

    public static byte[] logs(String history) {
        return withData(LOGS, history);
    }

    public static byte[] stats(Stats s) {
        StringWriter out = new StringWriter(192);
        try (JsonWriter json = new JsonWriter(out)) {
            json.beginObject();
            json.name("event").value(STATS);
            json.name("cpu_usage").value(s.cpuUsage());
            json.name("memory_usage").value(s.memoryUsage());
            json.name("memory_limit").value(s.memoryLimit());
            json.name("network_rx").value(s.networkRx());
            json.name("network_tx").value(s.networkTx());
            json.name("block_read").value(s.blockRead());
            json.name("block_write").value(s.blockWrite());
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] withData(String event, String data) {
        StringWriter out = new StringWriter(data.length() + event.length() + 32);
        try (JsonWriter json = new JsonWriter(out)) {
            json.beginObject();
            json.name("event").value(event);
            json.name("data").value(data);
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
