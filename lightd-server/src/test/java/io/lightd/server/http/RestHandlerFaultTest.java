package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.Revocations;
import io.lightd.server.auth.SignedTokens;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.testing.ScriptedRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A REST route whose work fails with a fault (here the runtime refusing every removal) answers 500
 * with the JSON error each time, while the log gets one warning with its stack trace for the lot:
 * a client repeating the request cannot grow the log.
 */
class RestHandlerFaultTest {

    private static final String MASTER = "lightd_rest-fault-test-master";

    @TempDir
    Path dir;
    /** The hubs' loop: embedded, so every hub task runs on the test thread. */
    private final EmbeddedChannel hubs = new EmbeddedChannel();
    private final Logger restLogger = (Logger) LoggerFactory.getLogger(RestHandler.class);
    private final ListAppender<ILoggingEvent> written = new ListAppender<>();
    private RestHandler rest;

    @BeforeEach
    void setUp() throws Exception {
        written.start();
        restLogger.addAppender(written);
        JsonFileStore.Factory files = new JsonFileStore.Factory(dir, Runnable::run);
        TokenStore tokens = new TokenStore(MASTER, Clock.systemUTC(), files);
        ContainerManager manager = new ContainerManager(hubs.eventLoop(), removalRefused(),
                new ContainerRegistry(files), LightdConfig.Defaults.limits(), Clock.systemUTC(), dir, Runnable::run,
                new Metrics());
        LightdConfig.Jwt jwt = new LightdConfig.Jwt(List.of(), "", LightdConfig.Defaults.DEFAULT_JWT_CLOCK_SKEW_SECONDS,
                LightdConfig.Defaults.DEFAULT_JWT_MAX_LIFETIME_SECONDS);
        Revocations revocations = new Revocations(Clock.systemUTC(), jwt.maxLifetime(), jwt.clockSkew(), files);
        Authenticator authenticator = new Authenticator(tokens, new SignedTokens(jwt, revocations, Clock.systemUTC()));
        BearerAuth auth = new BearerAuth(authenticator, new AuthFailureLimiter(3, 100, System::nanoTime));
        rest = new RestHandler(tokens, revocations, manager, auth, 4096, Clock.systemUTC(), "test");
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", "c-1");
        body.addProperty("image", "local");
        body.addProperty("startup_command", "cat");
        CompletableFuture<Boolean> created = manager.create(
                ContainerRecord.fromCreateBody(body, Clock.systemUTC().instant()));
        hubs.runPendingTasks();
        assertThat(created.join()).isTrue();
    }

    @AfterEach
    void tearDown() {
        restLogger.detachAppender(written);
        hubs.finishAndReleaseAll();
    }

    /** The fake runtime, except that every removal fails as a broken engine's would. */
    private static ContainerRuntime removalRefused() {
        ContainerRuntime fake = new ScriptedRuntime();
        return (ContainerRuntime) Proxy.newProxyInstance(ContainerRuntime.class.getClassLoader(),
                new Class<?>[] {ContainerRuntime.class}, (proxy, method, args) -> {
                    if (method.getName().equals("remove")) {
                        return CompletableFuture.failedFuture(new IllegalStateException("removal refused"));
                    }
                    try {
                        return method.invoke(fake, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Sends {@code request} on a new connection through codec, aggregator and the REST routes; returns the reply. */
    private String exchange(String request) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(8192),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
                        rest.handle(ctx, msg);
                    }
                });
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        hubs.runPendingTasks();
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        ch.finishAndReleaseAll();
        return out.toString();
    }

    @Test
    void aRouteFailingWithAFaultIs500EachTimeAndOneWarningWithItsStackTrace() {
        for (int i = 0; i < 20; i++) {
            String answer = exchange("DELETE /containers/c-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + MASTER
                    + "\r\n\r\n");
            assertThat(answer).as("attempt " + i).startsWith("HTTP/1.1 500 Internal Server Error");
            String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            assertThat(JsonParser.parseString(body).getAsJsonObject().get("error").getAsString())
                    .contains("removal refused");
        }
        List<ILoggingEvent> warnings = written.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
        assertThat(warnings).as("warnings and errors for 20 failed requests").hasSize(1);
        assertThat(warnings.get(0).getLevel()).isEqualTo(Level.WARN);
        assertThat(warnings.get(0).getFormattedMessage()).contains("request failed").contains("removal refused");
        assertThat(warnings.get(0).getThrowableProxy()).as("the fault's stack trace").isNotNull();
    }
}
