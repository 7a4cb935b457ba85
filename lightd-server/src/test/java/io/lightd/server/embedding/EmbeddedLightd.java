package io.lightd.server.embedding;

import io.lightd.server.LightdServer;
import io.lightd.server.config.LightdConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.IoEventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/** A host application's start-up code: lightd on the host's own event loops. */
public final class EmbeddedLightd {

    private EmbeddedLightd() {
    }

    /**
     * Starts lightd on {@code group} (the host's; lightd never shuts it down), with its registry and
     * volumes under {@code storage}, listening on 127.0.0.1:{@code port} (0: any free port, see
     * {@link LightdServer#port()}). The host closes the server first, then shuts its group down.
     */
    public static LightdServer start(IoEventLoopGroup group, MeterRegistry registry, Path storage,
                                     String masterToken, int port) throws IOException {
        LightdConfig config = LightdConfig.builder()
                .token(masterToken)
                .host("127.0.0.1")
                .port(port)
                .basePath(storage)
                .runtime(LightdConfig.RuntimeKind.PROCESS)
                .limits(LightdConfig.Limits.builder()
                        .maxConnections(2_000)
                        .historyLines(500)
                        .build())
                .build();
        return LightdServer.builder()
                .config(config)
                .eventLoopGroup(group)
                .clock(Clock.systemUTC())
                .meterRegistry(registry)
                .start();
    }
}
