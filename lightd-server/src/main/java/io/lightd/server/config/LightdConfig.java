package io.lightd.server.config;

import com.nimbusds.jose.jwk.JWK;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The daemon's configuration: an immutable value, validated once by {@link ConfigLoader}. The
 * defaults live in {@link Defaults}, the one place that knows them.
 */
public record LightdConfig(
        String host,
        int port,
        int eventLoopThreads,
        Transport transport,
        String token,
        String dockerSocketPath,
        String dockerNetworkMode,
        Path basePath,
        RuntimeKind runtime,
        List<String> allowedOrigins,
        Limits limits,
        Tls tls,
        MetricsSettings metrics,
        LoggingSettings logging,
        Jwt jwt,
        StatsSettings stats,
        ConsoleSettings console) {

    public LightdConfig {
        allowedOrigins = List.copyOf(allowedOrigins);
    }

    public enum Transport { AUTO, EPOLL, IO_URING, NIO }

    public enum RuntimeKind { DOCKER, PROCESS }

    /** How log lines are written: {@code text} for people, {@code json} (one object per line) for collectors. */
    public enum LogFormat { TEXT, JSON }

    /** {@code metrics.*}: whether {@code GET /metrics} needs a bearer token like the REST routes. */
    public record MetricsSettings(boolean requireToken) {
    }

    /**
     * How much lightd's own loggers ({@code io.lightd.*}) write: {@code info} is the shipped
     * default; {@code debug} adds a line for every request refused or connection closed for what a
     * client did. Libraries keep the levels of logback.xml.
     */
    public enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }

    /** {@code logging.*}: the log line format and lightd's log level. */
    public record LoggingSettings(LogFormat format, LogLevel level) {
    }

    /**
     * {@code authorization.jwt.*}: panel-signed console tokens. {@code keys} are the JSON Web Keys
     * signatures are checked against (empty: signed tokens are refused); {@code audience} is this
     * node's {@code aud}; the skew is how far {@code exp} and {@code iat} may be off; a token may
     * live at most {@code maxLifetimeSeconds} from its {@code iat}, which bounds how long revocations
     * are kept.
     */
    public record Jwt(List<JWK> keys, String audience, int clockSkewSeconds,
                      int maxLifetimeSeconds) {

        public Jwt {
            keys = List.copyOf(keys);
        }

        public Duration clockSkew() {
            return Duration.ofSeconds(clockSkewSeconds);
        }

        public Duration maxLifetime() {
            return Duration.ofSeconds(maxLifetimeSeconds);
        }
    }

    /**
     * {@code stats.*}: how often the stats of a running container nobody watches are sampled (in ms;
     * a watched one is sampled every second, and at once when someone starts watching).
     */
    public record StatsSettings(int idleIntervalMs) {

        public Duration idleInterval() {
            return Duration.ofMillis(idleIntervalMs);
        }
    }

    /**
     * {@code console.*}: the console frame budget. Console output arriving less than
     * {@code coalesceMillis} after the previous console event of that container is gathered into the
     * next event (whole lines, order and bytes kept); 0 sends every piece as it comes.
     */
    public record ConsoleSettings(int coalesceMillis) {
    }

    /** Limits and sizes; every one has a {@code DEFAULT_*} in {@link Defaults}. */
    public record Limits(
            int maxConnections,
            int maxConnectionsPerContainer,
            int maxFrameBytes,
            double inboundRatePerSecond,
            int inboundBurst,
            int historyLines,
            int historyBytes,
            int stopTimeoutSeconds,
            int writeBufferLowBytes,
            int writeBufferHighBytes,
            int pingIntervalSeconds,
            int pongTimeoutSeconds,
            int slowClientCloseSeconds,
            int consoleLinesPerSecond,
            int consoleBytesPerSecond,
            int handshakeTimeoutSeconds,
            int responseTimeoutSeconds,
            double connectionAttemptsPerIpPerSecond,
            int connectionAttemptsPerIpBurst,
            int authFailuresPerIpPerMinute,
            int maxCommandBytes,
            int httpMaxBodyBytes,
            int diskCheckSeconds) {

        public Duration stopTimeout() {
            return Duration.ofSeconds(stopTimeoutSeconds);
        }

        /** These limits with another live-console throttle (lines and bytes per second per container). */
        public Limits withConsoleThrottle(int linesPerSecond, int bytesPerSecond) {
            return new Limits(maxConnections, maxConnectionsPerContainer, maxFrameBytes, inboundRatePerSecond,
                    inboundBurst, historyLines, historyBytes, stopTimeoutSeconds, writeBufferLowBytes,
                    writeBufferHighBytes, pingIntervalSeconds, pongTimeoutSeconds, slowClientCloseSeconds,
                    linesPerSecond, bytesPerSecond, handshakeTimeoutSeconds, responseTimeoutSeconds,
                    connectionAttemptsPerIpPerSecond,
                    connectionAttemptsPerIpBurst, authFailuresPerIpPerMinute, maxCommandBytes, httpMaxBodyBytes,
                    diskCheckSeconds);
        }
    }

    /**
     * TLS for the one listening socket (REST and WebSocket alike): a PEM certificate chain and its
     * PEM (PKCS#8) private key. When disabled the paths are null.
     */
    public record Tls(boolean enabled, Path certificate, Path privateKey) {

        public static Tls disabled() {
            return new Tls(false, null, null);
        }
    }

    public Path volumesPath() {
        return basePath.resolve("volumes");
    }

    public LightdConfig withRuntime(RuntimeKind kind) {
        return new LightdConfig(host, port, eventLoopThreads, transport, token, dockerSocketPath, dockerNetworkMode,
                basePath, kind, allowedOrigins, limits, tls, metrics, logging, jwt, stats, console);
    }

    public LightdConfig withPort(int newPort) {
        return new LightdConfig(host, newPort, eventLoopThreads, transport, token, dockerSocketPath, dockerNetworkMode,
                basePath, runtime, allowedOrigins, limits, tls, metrics, logging, jwt, stats, console);
    }

    /** The documented defaults. */
    public static final class Defaults {
        public static final String DEFAULT_HOST = "0.0.0.0";
        public static final int DEFAULT_PORT = 8070;
        public static final int DEFAULT_EVENT_LOOP_THREADS = 0;
        public static final Transport DEFAULT_TRANSPORT = Transport.AUTO;
        public static final String DEFAULT_DOCKER_SOCKET_PATH = "/var/run/docker.sock";
        public static final String DEFAULT_DOCKER_NETWORK_MODE = "bridge";
        public static final String DEFAULT_BASE_PATH = "data";
        public static final RuntimeKind DEFAULT_RUNTIME = RuntimeKind.DOCKER;
        public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
        public static final int DEFAULT_MAX_CONNECTIONS_PER_CONTAINER = 100;
        public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024;
        public static final double DEFAULT_INBOUND_RATE_PER_SECOND = 10;
        public static final int DEFAULT_INBOUND_BURST = 20;
        public static final int DEFAULT_HISTORY_LINES = 1000;
        public static final int DEFAULT_HISTORY_BYTES = 512 * 1024;
        public static final int DEFAULT_STOP_TIMEOUT_SECONDS = 30;
        public static final int DEFAULT_WRITE_BUFFER_LOW_BYTES = 64 * 1024;
        public static final int DEFAULT_WRITE_BUFFER_HIGH_BYTES = 256 * 1024;
        public static final int DEFAULT_PING_INTERVAL_SECONDS = 20;
        public static final int DEFAULT_PONG_TIMEOUT_SECONDS = 60;
        public static final int DEFAULT_SLOW_CLIENT_CLOSE_SECONDS = 30;
        public static final int DEFAULT_CONSOLE_LINES_PER_SECOND = 2000;
        public static final int DEFAULT_CONSOLE_BYTES_PER_SECOND = 1024 * 1024;
        public static final int DEFAULT_HANDSHAKE_TIMEOUT_SECONDS = 10;
        /** Room for a slow engine or disk (a Docker create or delete, an fsync under load) to answer. */
        public static final int DEFAULT_RESPONSE_TIMEOUT_SECONDS = 60;
        public static final double DEFAULT_CONNECTION_ATTEMPTS_PER_IP_PER_SECOND = 50;
        public static final int DEFAULT_CONNECTION_ATTEMPTS_PER_IP_BURST = 200;
        public static final int DEFAULT_AUTH_FAILURES_PER_IP_PER_MINUTE = 10;
        public static final int DEFAULT_MAX_COMMAND_BYTES = 4096;
        public static final int DEFAULT_HTTP_MAX_BODY_BYTES = 64 * 1024;
        /** How often each server's volume is measured against its {@code limits.disk}. */
        public static final int DEFAULT_DISK_CHECK_SECONDS = 60;
        public static final boolean DEFAULT_METRICS_REQUIRE_TOKEN = true;
        public static final LogFormat DEFAULT_LOG_FORMAT = LogFormat.TEXT;
        public static final LogLevel DEFAULT_LOG_LEVEL = LogLevel.INFO;
        public static final String DEFAULT_JWT_AUDIENCE = "";
        public static final int DEFAULT_JWT_CLOCK_SKEW_SECONDS = 30;
        public static final int DEFAULT_JWT_MAX_LIFETIME_SECONDS = 86_400;
        public static final int DEFAULT_STATS_IDLE_INTERVAL_MS = 10_000;
        /** About one screen refresh: the longest a line of a fast console waits to share an event. */
        public static final int DEFAULT_CONSOLE_COALESCE_MS = 16;

        private Defaults() {
        }

        public static Limits limits() {
            return new Limits(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_CONTAINER, DEFAULT_MAX_FRAME_BYTES,
                    DEFAULT_INBOUND_RATE_PER_SECOND, DEFAULT_INBOUND_BURST, DEFAULT_HISTORY_LINES,
                    DEFAULT_HISTORY_BYTES, DEFAULT_STOP_TIMEOUT_SECONDS, DEFAULT_WRITE_BUFFER_LOW_BYTES,
                    DEFAULT_WRITE_BUFFER_HIGH_BYTES, DEFAULT_PING_INTERVAL_SECONDS, DEFAULT_PONG_TIMEOUT_SECONDS,
                    DEFAULT_SLOW_CLIENT_CLOSE_SECONDS, DEFAULT_CONSOLE_LINES_PER_SECOND,
                    DEFAULT_CONSOLE_BYTES_PER_SECOND, DEFAULT_HANDSHAKE_TIMEOUT_SECONDS,
                    DEFAULT_RESPONSE_TIMEOUT_SECONDS,
                    DEFAULT_CONNECTION_ATTEMPTS_PER_IP_PER_SECOND, DEFAULT_CONNECTION_ATTEMPTS_PER_IP_BURST,
                    DEFAULT_AUTH_FAILURES_PER_IP_PER_MINUTE, DEFAULT_MAX_COMMAND_BYTES, DEFAULT_HTTP_MAX_BODY_BYTES,
                    DEFAULT_DISK_CHECK_SECONDS);
        }
    }
}
