package io.lightd.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLineLayoutTest {

    private static final String SECRET = "lightd_secret-token-value-0123456789";

    @Test
    void oneRedactedObjectPerLineWithTheContainerField() {
        LoggerContext context = new LoggerContext();
        JsonLineLayout layout = new JsonLineLayout();
        layout.setContext(context);
        layout.start();
        LoggingEvent event = new LoggingEvent(getClass().getName(), context.getLogger("io.lightd.test"), Level.WARN,
                "container {}: GET /ws/x?token={} failed\nsecond line", new IllegalStateException(
                        "bad request /auth/tokens/" + SECRET), new Object[] {"c-1", SECRET});
        event.setMDCPropertyMap(Map.of(ContainerLog.MDC_KEY, "c-1"));

        String line = layout.doLayout(event);

        assertThat(line).endsWith("\n").doesNotContain(SECRET);
        assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        assertThat(o.get("level").getAsString()).isEqualTo("WARN");
        assertThat(o.get("logger").getAsString()).isEqualTo("io.lightd.test");
        assertThat(o.get("container").getAsString()).isEqualTo("c-1");
        assertThat(o.get("message").getAsString())
                .isEqualTo("container c-1: GET /ws/x?token=[redacted] failed\nsecond line");
        assertThat(o.get("exception").getAsString()).contains("IllegalStateException")
                .contains("/auth/tokens/[redacted]");
        assertThat(o.get("time").getAsString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}.+");
    }
}
