package io.lightd.server.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * One JSON object per log line: {@code time}, {@code level}, {@code logger}, {@code thread},
 * {@code message}, every MDC entry as a field of its own (so {@code container} when the line is about
 * one), and {@code exception} when there is one. Message and exception pass through
 * {@link Redaction} like the text format's {@code %msg} and {@code %ex}, so no token reaches either
 * format. Logback's own {@code JsonEncoder} is not used because it also writes the raw message
 * arguments, which would carry tokens past the redaction.
 */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());

    @Override
    public String doLayout(ILoggingEvent event) {
        JsonObject line = new JsonObject();
        line.addProperty("time", TIME.format(Instant.ofEpochMilli(event.getTimeStamp())));
        line.addProperty("level", event.getLevel().toString());
        line.addProperty("logger", event.getLoggerName());
        line.addProperty("thread", event.getThreadName());
        for (Map.Entry<String, String> e : event.getMDCPropertyMap().entrySet()) {
            if (!line.has(e.getKey())) {
                line.addProperty(e.getKey(), e.getValue());
            }
        }
        line.addProperty("message", Redaction.redact(event.getFormattedMessage()));
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.addProperty("exception", Redaction.redact(ThrowableProxyUtil.asString(thrown)));
        }
        return GSON.toJson(line) + "\n";
    }
}
