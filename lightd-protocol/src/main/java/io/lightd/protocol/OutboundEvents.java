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

    /** {@code event} of a console message: output the server printed, live. */
    public static final String CONSOLE = "console";
    /** {@code event} of the same output again, for clients written to the older protocol. */
    public static final String CONSOLE_DUPLICATE = "console duplicate";
    /** {@code event} of a state change; its {@code data} is the state's wire name. */
    public static final String EVENT = "event";
    /** {@code event} of a message from the daemon itself (refusals start with {@code Error: }). */
    public static final String DAEMON_MESSAGE = "daemon_message";
    /** {@code event} of the answer to {@code send logs}: the console history as one text. */
    public static final String LOGS = "logs";
    /** {@code event} of a resource sample; its fields are at the top level, not under {@code data}. */
    public static final String STATS = "stats";

    private OutboundEvents() {
    }

    /**
     * {@code {"event":"console","data":...}}.
     *
     * @param data console text as the server printed it, whole lines with their newline or a partial line
     * @return the JSON text as UTF-8 bytes, a new array each call
     */
    public static byte[] console(String data) {
        return withData(CONSOLE, data);
    }

    /** As {@link #console}, with {@code "event":"console duplicate"}. */
    public static byte[] consoleDuplicate(String data) {
        return withData(CONSOLE_DUPLICATE, data);
    }

    /** {@code {"event":"event","data":"<state>"}}, the state's wire name ({@link ContainerState#wireName}), as UTF-8 bytes. */
    public static byte[] state(ContainerState state) {
        return withData(EVENT, state.wireName());
    }

    /** {@code {"event":"daemon_message","data":text}} as UTF-8 bytes; {@code text} as the user reads it. */
    public static byte[] daemonMessage(String text) {
        return withData(DAEMON_MESSAGE, text);
    }

    /** {@code {"event":"logs","data":history}} as UTF-8 bytes; {@code history} is the console history, oldest first. */
    public static byte[] logs(String history) {
        return withData(LOGS, history);
    }

    /**
     * {@code {"event":"stats","cpu_usage":...,"memory_usage":...,"memory_limit":...,"network_rx":...,
     * "network_tx":...,"block_read":...,"block_write":...}} as UTF-8 bytes: CPU in percent of one
     * core, the rest in bytes (see {@link Stats}).
     */
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
