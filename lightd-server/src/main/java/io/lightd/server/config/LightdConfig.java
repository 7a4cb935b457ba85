package io.lightd.server.config;

import com.nimbusds.jose.jwk.JWK;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The daemon's configuration: an immutable value. {@link ConfigLoader} reads it from the JSON file;
 * an application that embeds lightd builds it in code with {@link #builder()}, whose every setter
 * starts at the documented default and checks its range with the key's name in the message. Keys,
 * defaults and ranges are spelled once, in {@link ConfigKeys}.
 *
 * <p>The canonical constructors of this record and of {@link Limits} check nothing (tests use
 * values beyond the ranges); the builders and {@link ConfigLoader} check everything.
 *
 * @param host              {@code server.host}: the address to listen on
 * @param port              {@code server.port}: the TCP port (0 = any free port, see {@code LightdServer#port()})
 * @param eventLoopThreads  {@code server.event_loop_threads}: event loops lightd makes (0 = one per core);
 *                          unused when the host application passes its own group
 * @param transport         {@code server.transport}
 * @param token             {@code authorization.token}: the master token
 * @param dockerSocketPath  {@code docker.socket_path}: a path or a {@code unix://}/{@code tcp://} URL
 * @param dockerNetworkMode {@code docker.network_mode}
 * @param basePath          {@code storage.base_path}, absolute once loaded from a file
 * @param runtime           {@code runtime}
 * @param allowedOrigins    {@code allowed_origins} (empty = any)
 * @param limits            {@code limits.*}
 * @param tls               {@code server.ssl.*}
 * @param metrics           {@code metrics.*}
 * @param logging           {@code logging.*}
 * @param jwt               {@code authorization.jwt.*}
 * @param stats             {@code stats.*}
 * @param console           {@code console.*}
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

    /** Copies {@code allowedOrigins}. */
    public LightdConfig {
        allowedOrigins = List.copyOf(allowedOrigins);
    }

    /** A builder with every key at its default ({@link ConfigKeys}); {@link Builder#token} must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Every value but the master token, which is written as {@code [redacted]}; safe to log. */
    @Override
    public String toString() {
        return "LightdConfig[host=" + host + ", port=" + port + ", eventLoopThreads=" + eventLoopThreads
                + ", transport=" + transport + ", token=[redacted], dockerSocketPath=" + dockerSocketPath
                + ", dockerNetworkMode=" + dockerNetworkMode + ", basePath=" + basePath + ", runtime=" + runtime
                + ", allowedOrigins=" + allowedOrigins + ", limits=" + limits + ", tls=" + tls + ", metrics="
                + metrics + ", logging=" + logging + ", jwt=" + jwt + ", stats=" + stats + ", console=" + console
                + "]";
    }

    /** {@code server.transport}: which I/O transport lightd's own event loops use. */
    public enum Transport { AUTO, EPOLL, IO_URING, NIO }

    /** {@code runtime}: Docker containers, or plain processes of this host (no isolation). */
    public enum RuntimeKind { DOCKER, PROCESS }

    /** How log lines are written: {@code text} for people, {@code json} (one object per line) for collectors. */
    public enum LogFormat { TEXT, JSON }

    /** {@code metrics.*}: whether {@code GET /metrics} needs a bearer token like the REST routes. */
    public record MetricsSettings(boolean requireToken) {

        /** {@code metrics.require_token} at its default. */
        public static MetricsSettings defaults() {
            return new MetricsSettings(ConfigKeys.METRICS_REQUIRE_TOKEN.defaultValue());
        }
    }

    /**
     * How much lightd's own loggers ({@code io.lightd.*}) write: {@code info} is the shipped
     * default; {@code debug} adds a line for every request refused or connection closed for what a
     * client did. Libraries keep the levels of lightd-logback.xml.
     */
    public enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }

    /** {@code logging.*}: the log line format and lightd's log level. */
    public record LoggingSettings(LogFormat format, LogLevel level) {

        /** Both keys at their defaults. */
        public static LoggingSettings defaults() {
            return new LoggingSettings(ConfigKeys.LOGGING_FORMAT.defaultValue(), ConfigKeys.LOGGING_LEVEL.defaultValue());
        }
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

        /** Copies {@code keys}. */
        public Jwt {
            keys = List.copyOf(keys);
        }

        /** No keys (signed tokens refused), the other keys at their defaults. */
        public static Jwt defaults() {
            return builder().build();
        }

        /** A builder with every {@code authorization.jwt.*} key at its default. */
        public static Builder builder() {
            return new Builder();
        }

        /** The settings with each key named by its {@code kid} only (a shared secret is never written); safe to log. */
        @Override
        public String toString() {
            return "Jwt[keys=" + keys.stream().map(JWK::getKeyID).toList() + ", audience=" + audience
                    + ", clockSkewSeconds=" + clockSkewSeconds + ", maxLifetimeSeconds=" + maxLifetimeSeconds + "]";
        }

        /** {@code clockSkewSeconds} as a duration. */
        public Duration clockSkew() {
            return Duration.ofSeconds(clockSkewSeconds);
        }

        /** {@code maxLifetimeSeconds} as a duration. */
        public Duration maxLifetime() {
            return Duration.ofSeconds(maxLifetimeSeconds);
        }

        /** Builds a {@link Jwt}; each setter checks its key's range. Not thread-safe. */
        public static final class Builder {
            private List<JWK> keys = List.of();
            private String audience = ConfigKeys.AUTHORIZATION_JWT_AUDIENCE.defaultValue();
            private int clockSkewSeconds = ConfigKeys.AUTHORIZATION_JWT_CLOCK_SKEW_SECONDS.defaultValue();
            private int maxLifetimeSeconds = ConfigKeys.AUTHORIZATION_JWT_MAX_LIFETIME_SECONDS.defaultValue();

            private Builder() {
            }

            /** {@code authorization.jwt.keys}: public JSON Web Keys (see {@link ConfigKeys#AUTHORIZATION_JWT_KEYS}). */
            public Builder keys(List<JWK> keys) {
                this.keys = List.copyOf(keys);
                return this;
            }

            /** {@code authorization.jwt.audience}: this node's {@code aud}. */
            public Builder audience(String audience) {
                this.audience = ConfigKeys.AUTHORIZATION_JWT_AUDIENCE.check(audience);
                return this;
            }

            /** {@code authorization.jwt.clock_skew_seconds}. */
            public Builder clockSkewSeconds(int seconds) {
                this.clockSkewSeconds = ConfigKeys.AUTHORIZATION_JWT_CLOCK_SKEW_SECONDS.check(seconds);
                return this;
            }

            /** {@code authorization.jwt.max_lifetime_seconds}. */
            public Builder maxLifetimeSeconds(int seconds) {
                this.maxLifetimeSeconds = ConfigKeys.AUTHORIZATION_JWT_MAX_LIFETIME_SECONDS.check(seconds);
                return this;
            }

            /**
             * The settings.
             *
             * @throws IllegalArgumentException when there are keys but no audience
             */
            public Jwt build() {
                if (!keys.isEmpty() && audience.isEmpty()) {
                    throw new IllegalArgumentException(ConfigKeys.AUTHORIZATION_JWT_AUDIENCE.name()
                            + " is missing: signed tokens need this node's audience");
                }
                return new Jwt(keys, audience, clockSkewSeconds, maxLifetimeSeconds);
            }
        }
    }

    /**
     * {@code stats.*}: how often the stats of a running container nobody watches are sampled (in ms;
     * a watched one is sampled every second, and at once when someone starts watching).
     */
    public record StatsSettings(int idleIntervalMs) {

        /**
         * @throws IllegalArgumentException when {@code idleIntervalMs} is outside {@code stats.idle_interval_ms}'s range
         */
        public StatsSettings {
            ConfigKeys.STATS_IDLE_INTERVAL_MS.check(idleIntervalMs);
        }

        /** {@code stats.idle_interval_ms} at its default. */
        public static StatsSettings defaults() {
            return new StatsSettings(ConfigKeys.STATS_IDLE_INTERVAL_MS.defaultValue());
        }

        /** {@code idleIntervalMs} as a duration. */
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

        /**
         * @throws IllegalArgumentException when {@code coalesceMillis} is outside {@code console.coalesce_ms}'s range
         */
        public ConsoleSettings {
            ConfigKeys.CONSOLE_COALESCE_MS.check(coalesceMillis);
        }

        /** {@code console.coalesce_ms} at its default. */
        public static ConsoleSettings defaults() {
            return new ConsoleSettings(ConfigKeys.CONSOLE_COALESCE_MS.defaultValue());
        }
    }

    /**
     * {@code limits.*}: limits and sizes, each component named after its key (units in the name).
     * {@link #builder()} starts every one at its default and checks ranges; the canonical
     * constructor checks nothing.
     */
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

        /** Every limit at its default. */
        public static Limits defaults() {
            return builder().build();
        }

        /** A builder with every {@code limits.*} key at its default. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these limits (unchecked: values set before are kept as they are). */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.maxConnections = maxConnections;
            b.maxConnectionsPerContainer = maxConnectionsPerContainer;
            b.maxFrameBytes = maxFrameBytes;
            b.inboundRatePerSecond = inboundRatePerSecond;
            b.inboundBurst = inboundBurst;
            b.historyLines = historyLines;
            b.historyBytes = historyBytes;
            b.stopTimeoutSeconds = stopTimeoutSeconds;
            b.writeBufferLowBytes = writeBufferLowBytes;
            b.writeBufferHighBytes = writeBufferHighBytes;
            b.pingIntervalSeconds = pingIntervalSeconds;
            b.pongTimeoutSeconds = pongTimeoutSeconds;
            b.slowClientCloseSeconds = slowClientCloseSeconds;
            b.consoleLinesPerSecond = consoleLinesPerSecond;
            b.consoleBytesPerSecond = consoleBytesPerSecond;
            b.handshakeTimeoutSeconds = handshakeTimeoutSeconds;
            b.responseTimeoutSeconds = responseTimeoutSeconds;
            b.connectionAttemptsPerIpPerSecond = connectionAttemptsPerIpPerSecond;
            b.connectionAttemptsPerIpBurst = connectionAttemptsPerIpBurst;
            b.authFailuresPerIpPerMinute = authFailuresPerIpPerMinute;
            b.maxCommandBytes = maxCommandBytes;
            b.httpMaxBodyBytes = httpMaxBodyBytes;
            b.diskCheckSeconds = diskCheckSeconds;
            return b;
        }

        /**
         * Builds {@link Limits}: each setter checks its key's range and throws
         * {@link IllegalArgumentException} naming the key; {@link #build} checks the keys that
         * depend on each other. Not thread-safe.
         */
        public static final class Builder {
            private int maxConnections = ConfigKeys.MAX_CONNECTIONS.defaultValue();
            private int maxConnectionsPerContainer = ConfigKeys.MAX_CONNECTIONS_PER_CONTAINER.defaultValue();
            private int maxFrameBytes = ConfigKeys.MAX_FRAME_BYTES.defaultValue();
            private double inboundRatePerSecond = ConfigKeys.INBOUND_RATE_PER_SECOND.defaultValue();
            private int inboundBurst = ConfigKeys.INBOUND_BURST.defaultValue();
            private int historyLines = ConfigKeys.HISTORY_LINES.defaultValue();
            private int historyBytes = ConfigKeys.HISTORY_BYTES.defaultValue();
            private int stopTimeoutSeconds = ConfigKeys.STOP_TIMEOUT_SECONDS.defaultValue();
            private int writeBufferLowBytes = ConfigKeys.WRITE_BUFFER_LOW_BYTES.defaultValue();
            private int writeBufferHighBytes = ConfigKeys.WRITE_BUFFER_HIGH_BYTES.defaultValue();
            private int pingIntervalSeconds = ConfigKeys.PING_INTERVAL_SECONDS.defaultValue();
            private int pongTimeoutSeconds = ConfigKeys.PONG_TIMEOUT_SECONDS.defaultValue();
            private int slowClientCloseSeconds = ConfigKeys.SLOW_CLIENT_CLOSE_SECONDS.defaultValue();
            private int consoleLinesPerSecond = ConfigKeys.CONSOLE_LINES_PER_SECOND.defaultValue();
            private int consoleBytesPerSecond = ConfigKeys.CONSOLE_BYTES_PER_SECOND.defaultValue();
            private int handshakeTimeoutSeconds = ConfigKeys.HANDSHAKE_TIMEOUT_SECONDS.defaultValue();
            private int responseTimeoutSeconds = ConfigKeys.RESPONSE_TIMEOUT_SECONDS.defaultValue();
            private double connectionAttemptsPerIpPerSecond = ConfigKeys.CONNECTION_ATTEMPTS_PER_IP_PER_SECOND.defaultValue();
            private int connectionAttemptsPerIpBurst = ConfigKeys.CONNECTION_ATTEMPTS_PER_IP_BURST.defaultValue();
            private int authFailuresPerIpPerMinute = ConfigKeys.AUTH_FAILURES_PER_IP_PER_MINUTE.defaultValue();
            private int maxCommandBytes = ConfigKeys.MAX_COMMAND_BYTES.defaultValue();
            private int httpMaxBodyBytes = ConfigKeys.HTTP_MAX_BODY_BYTES.defaultValue();
            private int diskCheckSeconds = ConfigKeys.DISK_CHECK_SECONDS.defaultValue();

            private Builder() {
            }

            /** {@code limits.max_connections}. */
            public Builder maxConnections(int value) {
                this.maxConnections = ConfigKeys.MAX_CONNECTIONS.check(value);
                return this;
            }

            /** {@code limits.max_connections_per_container}. */
            public Builder maxConnectionsPerContainer(int value) {
                this.maxConnectionsPerContainer = ConfigKeys.MAX_CONNECTIONS_PER_CONTAINER.check(value);
                return this;
            }

            /** {@code limits.max_frame_bytes}. */
            public Builder maxFrameBytes(int value) {
                this.maxFrameBytes = ConfigKeys.MAX_FRAME_BYTES.check(value);
                return this;
            }

            /** {@code limits.inbound_rate_per_second}. */
            public Builder inboundRatePerSecond(double value) {
                this.inboundRatePerSecond = ConfigKeys.INBOUND_RATE_PER_SECOND.check(value);
                return this;
            }

            /** {@code limits.inbound_burst}. */
            public Builder inboundBurst(int value) {
                this.inboundBurst = ConfigKeys.INBOUND_BURST.check(value);
                return this;
            }

            /** {@code limits.history_lines}. */
            public Builder historyLines(int value) {
                this.historyLines = ConfigKeys.HISTORY_LINES.check(value);
                return this;
            }

            /** {@code limits.history_bytes}. */
            public Builder historyBytes(int value) {
                this.historyBytes = ConfigKeys.HISTORY_BYTES.check(value);
                return this;
            }

            /** {@code limits.stop_timeout_seconds}. */
            public Builder stopTimeoutSeconds(int value) {
                this.stopTimeoutSeconds = ConfigKeys.STOP_TIMEOUT_SECONDS.check(value);
                return this;
            }

            /** {@code limits.write_buffer_low_bytes}. */
            public Builder writeBufferLowBytes(int value) {
                this.writeBufferLowBytes = ConfigKeys.WRITE_BUFFER_LOW_BYTES.check(value);
                return this;
            }

            /** {@code limits.write_buffer_high_bytes}. */
            public Builder writeBufferHighBytes(int value) {
                this.writeBufferHighBytes = ConfigKeys.WRITE_BUFFER_HIGH_BYTES.check(value);
                return this;
            }

            /** {@code limits.ping_interval_seconds}. */
            public Builder pingIntervalSeconds(int value) {
                this.pingIntervalSeconds = ConfigKeys.PING_INTERVAL_SECONDS.check(value);
                return this;
            }

            /** {@code limits.pong_timeout_seconds}. */
            public Builder pongTimeoutSeconds(int value) {
                this.pongTimeoutSeconds = ConfigKeys.PONG_TIMEOUT_SECONDS.check(value);
                return this;
            }

            /** {@code limits.slow_client_close_seconds}. */
            public Builder slowClientCloseSeconds(int value) {
                this.slowClientCloseSeconds = ConfigKeys.SLOW_CLIENT_CLOSE_SECONDS.check(value);
                return this;
            }

            /** {@code limits.console_lines_per_second}. */
            public Builder consoleLinesPerSecond(int value) {
                this.consoleLinesPerSecond = ConfigKeys.CONSOLE_LINES_PER_SECOND.check(value);
                return this;
            }

            /** {@code limits.console_bytes_per_second}. */
            public Builder consoleBytesPerSecond(int value) {
                this.consoleBytesPerSecond = ConfigKeys.CONSOLE_BYTES_PER_SECOND.check(value);
                return this;
            }

            /** {@code limits.handshake_timeout_seconds}. */
            public Builder handshakeTimeoutSeconds(int value) {
                this.handshakeTimeoutSeconds = ConfigKeys.HANDSHAKE_TIMEOUT_SECONDS.check(value);
                return this;
            }

            /** {@code limits.response_timeout_seconds}. */
            public Builder responseTimeoutSeconds(int value) {
                this.responseTimeoutSeconds = ConfigKeys.RESPONSE_TIMEOUT_SECONDS.check(value);
                return this;
            }

            /** {@code limits.connection_attempts_per_ip_per_second}. */
            public Builder connectionAttemptsPerIpPerSecond(double value) {
                this.connectionAttemptsPerIpPerSecond = ConfigKeys.CONNECTION_ATTEMPTS_PER_IP_PER_SECOND.check(value);
                return this;
            }

            /** {@code limits.connection_attempts_per_ip_burst}. */
            public Builder connectionAttemptsPerIpBurst(int value) {
                this.connectionAttemptsPerIpBurst = ConfigKeys.CONNECTION_ATTEMPTS_PER_IP_BURST.check(value);
                return this;
            }

            /** {@code limits.auth_failures_per_ip_per_minute}. */
            public Builder authFailuresPerIpPerMinute(int value) {
                this.authFailuresPerIpPerMinute = ConfigKeys.AUTH_FAILURES_PER_IP_PER_MINUTE.check(value);
                return this;
            }

            /** {@code limits.max_command_bytes}. */
            public Builder maxCommandBytes(int value) {
                this.maxCommandBytes = ConfigKeys.MAX_COMMAND_BYTES.check(value);
                return this;
            }

            /** {@code limits.http_max_body_bytes}. */
            public Builder httpMaxBodyBytes(int value) {
                this.httpMaxBodyBytes = ConfigKeys.HTTP_MAX_BODY_BYTES.check(value);
                return this;
            }

            /** {@code limits.disk_check_seconds}. */
            public Builder diskCheckSeconds(int value) {
                this.diskCheckSeconds = ConfigKeys.DISK_CHECK_SECONDS.check(value);
                return this;
            }

            /**
             * The limits.
             *
             * @throws IllegalArgumentException when {@code limits.write_buffer_low_bytes} is not below
             *                                  {@code limits.write_buffer_high_bytes}, or
             *                                  {@code limits.pong_timeout_seconds} is below
             *                                  {@code limits.ping_interval_seconds}
             */
            public Limits build() {
                if (writeBufferLowBytes >= writeBufferHighBytes) {
                    throw new IllegalArgumentException("invalid " + ConfigKeys.WRITE_BUFFER_LOW_BYTES
                            + ": must be below " + ConfigKeys.WRITE_BUFFER_HIGH_BYTES);
                }
                if (pongTimeoutSeconds < pingIntervalSeconds) {
                    throw new IllegalArgumentException("invalid " + ConfigKeys.PONG_TIMEOUT_SECONDS
                            + ": must be at least " + ConfigKeys.PING_INTERVAL_SECONDS);
                }
                return new Limits(maxConnections, maxConnectionsPerContainer, maxFrameBytes, inboundRatePerSecond, inboundBurst, historyLines, historyBytes, stopTimeoutSeconds, writeBufferLowBytes, writeBufferHighBytes, pingIntervalSeconds, pongTimeoutSeconds, slowClientCloseSeconds, consoleLinesPerSecond, consoleBytesPerSecond, handshakeTimeoutSeconds, responseTimeoutSeconds, connectionAttemptsPerIpPerSecond, connectionAttemptsPerIpBurst, authFailuresPerIpPerMinute, maxCommandBytes, httpMaxBodyBytes, diskCheckSeconds);
            }
        }

        /** {@code stopTimeoutSeconds} as a duration. */
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

        /** TLS off. */
        public static Tls disabled() {
            return new Tls(false, null, null);
        }

        /** TLS on with this PEM certificate chain (leaf first) and PEM PKCS#8 private key; read at start. */
        public static Tls enabled(Path certificate, Path privateKey) {
            return new Tls(true, certificate, privateKey);
        }
    }

    /** {@code <storage.base_path>/volumes}: each server's volume is a folder in it. */
    public Path volumesPath() {
        return basePath.resolve("volumes");
    }

    /** This configuration with another {@code runtime}. */
    public LightdConfig withRuntime(RuntimeKind kind) {
        return toBuilder().runtime(kind).build();
    }

    /** This configuration with another {@code server.port}. */
    public LightdConfig withPort(int newPort) {
        return toBuilder().port(newPort).build();
    }

    /**
     * Defaults that callers name as constants; every value comes from {@link ConfigKeys}, the one
     * place that spells them.
     */
    public static final class Defaults {
        /** {@code console.coalesce_ms}'s default. */
        public static final int DEFAULT_CONSOLE_COALESCE_MS = ConfigKeys.CONSOLE_COALESCE_MS.defaultValue();
        /** {@code authorization.jwt.clock_skew_seconds}'s default. */
        public static final int DEFAULT_JWT_CLOCK_SKEW_SECONDS =
                ConfigKeys.AUTHORIZATION_JWT_CLOCK_SKEW_SECONDS.defaultValue();
        /** {@code authorization.jwt.max_lifetime_seconds}'s default. */
        public static final int DEFAULT_JWT_MAX_LIFETIME_SECONDS =
                ConfigKeys.AUTHORIZATION_JWT_MAX_LIFETIME_SECONDS.defaultValue();

        private Defaults() {
        }

        /** Every {@code limits.*} key at its default: {@link Limits#defaults()}. */
        public static Limits limits() {
            return Limits.defaults();
        }
    }

    /**
     * Builds a {@link LightdConfig} in code. Every setter starts at the key's default
     * ({@link ConfigKeys}) and checks its range, throwing {@link IllegalArgumentException} with the
     * key's name; {@link #token} has no default and must be set. Not thread-safe.
     */
    public static final class Builder {
        private String host = ConfigKeys.SERVER_HOST.defaultValue();
        private int port = ConfigKeys.SERVER_PORT.defaultValue();
        private int eventLoopThreads = ConfigKeys.SERVER_EVENT_LOOP_THREADS.defaultValue();
        private Transport transport = ConfigKeys.SERVER_TRANSPORT.defaultValue();
        private String token;
        private String dockerSocketPath = ConfigKeys.DOCKER_SOCKET_PATH.defaultValue();
        private String dockerNetworkMode = ConfigKeys.DOCKER_NETWORK_MODE.defaultValue();
        private Path basePath = Path.of(ConfigKeys.STORAGE_BASE_PATH.defaultValue());
        private RuntimeKind runtime = ConfigKeys.RUNTIME.defaultValue();
        private List<String> allowedOrigins = ConfigKeys.ALLOWED_ORIGINS.defaultValue();
        private Limits limits = Limits.defaults();
        private Tls tls = Tls.disabled();
        private MetricsSettings metrics = MetricsSettings.defaults();
        private LoggingSettings logging = LoggingSettings.defaults();
        private Jwt jwt = Jwt.defaults();
        private StatsSettings stats = StatsSettings.defaults();
        private ConsoleSettings console = ConsoleSettings.defaults();

        private Builder() {
        }

        private Builder(LightdConfig c) {
            host = c.host;
            port = c.port;
            eventLoopThreads = c.eventLoopThreads;
            transport = c.transport;
            token = c.token;
            dockerSocketPath = c.dockerSocketPath;
            dockerNetworkMode = c.dockerNetworkMode;
            basePath = c.basePath;
            runtime = c.runtime;
            allowedOrigins = c.allowedOrigins;
            limits = c.limits;
            tls = c.tls;
            metrics = c.metrics;
            logging = c.logging;
            jwt = c.jwt;
            stats = c.stats;
            console = c.console;
        }

        /** {@code server.host}: the address to listen on. */
        public Builder host(String host) {
            this.host = ConfigKeys.SERVER_HOST.check(host);
            return this;
        }

        /** {@code server.port}: 0 takes any free port. */
        public Builder port(int port) {
            this.port = ConfigKeys.SERVER_PORT.check(port);
            return this;
        }

        /** {@code server.event_loop_threads}: loops lightd makes when the host passes no group (0 = one per core). */
        public Builder eventLoopThreads(int threads) {
            this.eventLoopThreads = ConfigKeys.SERVER_EVENT_LOOP_THREADS.check(threads);
            return this;
        }

        /** {@code server.transport}: the transport of the loops lightd makes. */
        public Builder transport(Transport transport) {
            this.transport = ConfigKeys.SERVER_TRANSPORT.check(transport);
            return this;
        }

        /**
         * {@code authorization.token}: the master token.
         *
         * @throws IllegalArgumentException when it is not a valid master token (the message says why,
         *                                  never repeating the token)
         */
        public Builder token(String token) {
            String problem = io.lightd.server.credential.Tokens.masterTokenProblem(ConfigKeys.AUTHORIZATION_TOKEN.check(token));
            if (problem != null) {
                throw new IllegalArgumentException("invalid " + ConfigKeys.AUTHORIZATION_TOKEN + ": " + problem);
            }
            this.token = token;
            return this;
        }

        /** {@code docker.socket_path}: a path or a {@code unix://} or {@code tcp://} URL. */
        public Builder dockerSocketPath(String socketPath) {
            this.dockerSocketPath = ConfigKeys.DOCKER_SOCKET_PATH.check(socketPath);
            return this;
        }

        /** {@code docker.network_mode}. */
        public Builder dockerNetworkMode(String networkMode) {
            this.dockerNetworkMode = ConfigKeys.DOCKER_NETWORK_MODE.check(networkMode);
            return this;
        }

        /** {@code storage.base_path}: registry and volumes; a relative path is taken from the working directory. */
        public Builder basePath(Path basePath) {
            this.basePath = java.util.Objects.requireNonNull(basePath, ConfigKeys.STORAGE_BASE_PATH.name());
            return this;
        }

        /** {@code runtime}: which runtime lightd makes when the host passes none. */
        public Builder runtime(RuntimeKind runtime) {
            this.runtime = ConfigKeys.RUNTIME.check(runtime);
            return this;
        }

        /** {@code allowed_origins}: browser origins allowed to open a WebSocket (empty = any). */
        public Builder allowedOrigins(List<String> origins) {
            this.allowedOrigins = List.copyOf(ConfigKeys.ALLOWED_ORIGINS.check(origins));
            return this;
        }

        /** {@code limits.*}, e.g. from {@link Limits#builder()}. */
        public Builder limits(Limits limits) {
            this.limits = java.util.Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** {@code server.ssl.*}: {@link Tls#disabled()} or {@link Tls#enabled}. */
        public Builder tls(Tls tls) {
            this.tls = java.util.Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** {@code metrics.*}. */
        public Builder metrics(MetricsSettings metrics) {
            this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /** {@code logging.*} (read by the command line; an embedding host keeps its own logging). */
        public Builder logging(LoggingSettings logging) {
            this.logging = java.util.Objects.requireNonNull(logging, "logging");
            return this;
        }

        /** {@code authorization.jwt.*}, e.g. from {@link Jwt#builder()}. */
        public Builder jwt(Jwt jwt) {
            this.jwt = java.util.Objects.requireNonNull(jwt, "jwt");
            return this;
        }

        /** {@code stats.*}. */
        public Builder stats(StatsSettings stats) {
            this.stats = java.util.Objects.requireNonNull(stats, "stats");
            return this;
        }

        /** {@code console.*}. */
        public Builder console(ConsoleSettings console) {
            this.console = java.util.Objects.requireNonNull(console, "console");
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalStateException when no token was set
         */
        public LightdConfig build() {
            if (token == null) {
                throw new IllegalStateException(ConfigKeys.AUTHORIZATION_TOKEN + " is missing");
            }
            return new LightdConfig(host, port, eventLoopThreads, transport, token, dockerSocketPath,
                    dockerNetworkMode, basePath, runtime, allowedOrigins, limits, tls, metrics, logging, jwt, stats,
                    console);
        }
    }
}
