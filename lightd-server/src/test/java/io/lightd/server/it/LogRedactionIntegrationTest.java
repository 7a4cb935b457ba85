package io.lightd.server.it;

import io.lightd.server.Main;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.ContextInitializer;
import com.google.gson.JsonObject;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.logging.LogOutput;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * No token reaches the log. The daemon logs through the shipped lightd-logback.xml (its own pattern and
 * converters, every logger at DEBUG, Netty's included) while WebSocket handshakes with good, bad and
 * missing tokens, REST calls with {@code ?token=}, a token issue and a revoke by path go through it,
 * and a library line and an exception quote a request URI with a token; the captured output holds
 * none of the tokens, in the text format and in the JSON one.
 */
class LogRedactionIntegrationTest {

    private static final String BAD = "lightd_not-a-token-of-this-daemon-123";

    @TempDir
    Path storage;

    @ParameterizedTest
    @EnumSource(LightdConfig.LogFormat.class)
    void noTokenOfAnyKindAppearsInTheLog(LightdConfig.LogFormat format) throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String issued;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            context.reset();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogRedactionIntegrationTest.class.getResource(Main.LOGBACK_CONFIGURATION));
            LogOutput.use(format);
            context.getLogger("io.netty").setLevel(Level.DEBUG);
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.DEBUG);
            try (Daemon daemon = new Daemon(storage, new JsonObject())) {
                daemon.ws("box").close();
                assertThat(daemon.refusedStatus("/ws/box?token=" + BAD, Map.of())).isEqualTo(401);
                assertThat(daemon.refusedStatus("/ws/box?x=1&token=" + BAD, Map.of())).isEqualTo(401);
                assertThat(daemon.refusedStatus("/ws/..?token=" + Daemon.TOKEN, Map.of())).isEqualTo(400);
                assertThat(daemon.request("GET", "/containers?token=" + Daemon.TOKEN, null).status()).isEqualTo(200);
                assertThat(daemon.request("GET", "/containers?token=" + BAD, null, null).status()).isEqualTo(401);
                assertThat(daemon.request("GET", "/containers", null, BAD).status()).isEqualTo(401);
                issued = daemon.request("POST", "/auth/tokens", "{\"ttl\":\"1h\"}").body().get("token").getAsString();
                daemon.ws("box", issued).close();
                assertThat(daemon.request("DELETE", "/auth/tokens/" + issued, null).status()).isEqualTo(200);
                // What a library logging a request line, or an exception quoting one, would write.
                LoggerFactory.getLogger("io.netty.handler.codec.http.HttpServerCodec")
                        .warn("bad request: GET /ws/box?token={} HTTP/1.1", BAD);
                LoggerFactory.getLogger(LogRedactionIntegrationTest.class).warn("request failed",
                        new IllegalStateException("GET /ws/box?a=b&token=" + issued + " Authorization: Bearer "
                                + Daemon.TOKEN));
            }
        } finally {
            System.setOut(stdout);
            context.reset();
            new ContextInitializer(context).autoConfig();
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("listening on").contains("token issued").contains("[redacted]");
        assertThat(log).doesNotContain(Daemon.TOKEN).doesNotContain(BAD).doesNotContain(issued);
        assertThat(log).doesNotContain(Daemon.TOKEN.substring("lightd_".length()))
                .doesNotContain(issued.substring("lightd_".length()));
    }
}
