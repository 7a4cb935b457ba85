package io.lightd.server.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.nimbusds.jose.jwk.JWK;
import io.lightd.server.config.LightdConfig.Defaults;
import io.lightd.server.config.LightdConfig.Limits;
import io.lightd.server.credential.Tokens;
import io.lightd.server.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads, creates and validates the JSON configuration file. Keys are Lightd's ({@code server.host},
 * {@code server.port}, {@code authorization.token}, {@code docker.socket_path},
 * {@code storage.base_path}) plus lightd's own; nested objects spell the dots. A relative
 * {@code storage.base_path}, {@code server.ssl.cert} or {@code server.ssl.key} is resolved against
 * the folder of the config file.
 */
public final class ConfigLoader {

    private static final Gson PRETTY = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ConfigLoader() {
    }

    /** Loads {@code file}, creating it with defaults and a fresh random token when it is missing. */
    public static LightdConfig loadOrCreate(Path file) throws ConfigException {
        if (!Files.exists(file)) {
            JsonObject defaults = defaultsJson(Tokens.generate());
            write(file, defaults);
        }
        return parse(read(file), file.toAbsolutePath().getParent());
    }

    public static JsonObject read(Path file) throws ConfigException {
        try {
            JsonElement root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!root.isJsonObject()) {
                throw new ConfigException(file + ": the configuration must be a JSON object");
            }
            return root.getAsJsonObject();
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (JsonParseException e) {
            throw new ConfigException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static void write(Path file, JsonObject config) throws ConfigException {
        try {
            AtomicFiles.write(file, (PRETTY.toJson(config) + "\n").getBytes(StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            throw new ConfigException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The configuration with every key at its default, as it is written for a new node. */
    public static JsonObject defaultsJson(String token) {
        JsonObject server = new JsonObject();
        server.addProperty("host", Defaults.DEFAULT_HOST);
        server.addProperty("port", Defaults.DEFAULT_PORT);
        server.addProperty("event_loop_threads", Defaults.DEFAULT_EVENT_LOOP_THREADS);
        server.addProperty("transport", Defaults.DEFAULT_TRANSPORT.name().toLowerCase(Locale.ROOT));
        JsonObject ssl = new JsonObject();
        ssl.addProperty("enabled", false);
        ssl.addProperty("cert", "");
        ssl.addProperty("key", "");
        server.add("ssl", ssl);
        JsonObject authorization = new JsonObject();
        authorization.addProperty("token", token);
        JsonObject jwt = new JsonObject();
        jwt.add("keys", new JsonArray());
        jwt.addProperty("audience", Defaults.DEFAULT_JWT_AUDIENCE);
        jwt.addProperty("clock_skew_seconds", Defaults.DEFAULT_JWT_CLOCK_SKEW_SECONDS);
        jwt.addProperty("max_lifetime_seconds", Defaults.DEFAULT_JWT_MAX_LIFETIME_SECONDS);
        authorization.add("jwt", jwt);
        JsonObject docker = new JsonObject();
        docker.addProperty("socket_path", Defaults.DEFAULT_DOCKER_SOCKET_PATH);
        docker.addProperty("network_mode", Defaults.DEFAULT_DOCKER_NETWORK_MODE);
        JsonObject storage = new JsonObject();
        storage.addProperty("base_path", Defaults.DEFAULT_BASE_PATH);
        Limits d = Defaults.limits();
        JsonObject limits = new JsonObject();
        limits.addProperty("max_connections", d.maxConnections());
        limits.addProperty("max_connections_per_container", d.maxConnectionsPerContainer());
        limits.addProperty("max_frame_bytes", d.maxFrameBytes());
        limits.addProperty("inbound_rate_per_second", d.inboundRatePerSecond());
        limits.addProperty("inbound_burst", d.inboundBurst());
        limits.addProperty("history_lines", d.historyLines());
        limits.addProperty("history_bytes", d.historyBytes());
        limits.addProperty("stop_timeout_seconds", d.stopTimeoutSeconds());
        limits.addProperty("write_buffer_low_bytes", d.writeBufferLowBytes());
        limits.addProperty("write_buffer_high_bytes", d.writeBufferHighBytes());
        limits.addProperty("ping_interval_seconds", d.pingIntervalSeconds());
        limits.addProperty("pong_timeout_seconds", d.pongTimeoutSeconds());
        limits.addProperty("slow_client_close_seconds", d.slowClientCloseSeconds());
        limits.addProperty("console_lines_per_second", d.consoleLinesPerSecond());
        limits.addProperty("console_bytes_per_second", d.consoleBytesPerSecond());
        limits.addProperty("handshake_timeout_seconds", d.handshakeTimeoutSeconds());
        limits.addProperty("response_timeout_seconds", d.responseTimeoutSeconds());
        limits.addProperty("connection_attempts_per_ip_per_second", d.connectionAttemptsPerIpPerSecond());
        limits.addProperty("connection_attempts_per_ip_burst", d.connectionAttemptsPerIpBurst());
        limits.addProperty("auth_failures_per_ip_per_minute", d.authFailuresPerIpPerMinute());
        limits.addProperty("max_command_bytes", d.maxCommandBytes());
        limits.addProperty("http_max_body_bytes", d.httpMaxBodyBytes());
        limits.addProperty("disk_check_seconds", d.diskCheckSeconds());
        JsonObject root = new JsonObject();
        root.add("server", server);
        root.add("authorization", authorization);
        root.add("docker", docker);
        root.add("storage", storage);
        root.addProperty("runtime", Defaults.DEFAULT_RUNTIME.name().toLowerCase(Locale.ROOT));
        root.add("allowed_origins", new JsonArray());
        root.add("limits", limits);
        JsonObject metrics = new JsonObject();
        metrics.addProperty("require_token", Defaults.DEFAULT_METRICS_REQUIRE_TOKEN);
        root.add("metrics", metrics);
        JsonObject logging = new JsonObject();
        logging.addProperty("format", Defaults.DEFAULT_LOG_FORMAT.name().toLowerCase(Locale.ROOT));
        logging.addProperty("level", Defaults.DEFAULT_LOG_LEVEL.name().toLowerCase(Locale.ROOT));
        root.add("logging", logging);
        JsonObject stats = new JsonObject();
        stats.addProperty("idle_interval_ms", Defaults.DEFAULT_STATS_IDLE_INTERVAL_MS);
        root.add("stats", stats);
        JsonObject console = new JsonObject();
        console.addProperty("coalesce_ms", Defaults.DEFAULT_CONSOLE_COALESCE_MS);
        root.add("console", console);
        return root;
    }

    /** Validates {@code root}; relative paths resolve against {@code baseDir}. */
    public static LightdConfig parse(JsonObject root, Path baseDir) throws ConfigException {
        Reader r = new Reader(root);
        String host = r.string("server.host", Defaults.DEFAULT_HOST);
        int port = r.integer("server.port", Defaults.DEFAULT_PORT, 0, 65535);
        int threads = r.integer("server.event_loop_threads", Defaults.DEFAULT_EVENT_LOOP_THREADS, 0, 1024);
        LightdConfig.Transport transport = r.choice("server.transport", LightdConfig.Transport.class,
                Defaults.DEFAULT_TRANSPORT);
        String token = r.string("authorization.token", null);
        if (token == null) {
            throw new ConfigException("authorization.token is missing");
        }
        String tokenProblem = Tokens.masterTokenProblem(token);
        if (tokenProblem != null) {
            throw new ConfigException("invalid authorization.token: " + tokenProblem);
        }
        String socket = r.string("docker.socket_path", Defaults.DEFAULT_DOCKER_SOCKET_PATH);
        String network = r.string("docker.network_mode", Defaults.DEFAULT_DOCKER_NETWORK_MODE);
        Path base = Path.of(r.string("storage.base_path", Defaults.DEFAULT_BASE_PATH));
        if (!base.isAbsolute()) {
            base = baseDir.resolve(base);
        }
        LightdConfig.RuntimeKind runtime = r.choice("runtime", LightdConfig.RuntimeKind.class,
                Defaults.DEFAULT_RUNTIME);
        List<String> origins = r.strings("allowed_origins");
        Limits d = Defaults.limits();
        Limits limits = new Limits(
                r.integer("limits.max_connections", d.maxConnections(), 1, 1_000_000),
                r.integer("limits.max_connections_per_container", d.maxConnectionsPerContainer(), 1, 1_000_000),
                r.integer("limits.max_frame_bytes", d.maxFrameBytes(), 256, 16 * 1024 * 1024),
                r.decimal("limits.inbound_rate_per_second", d.inboundRatePerSecond(), 0.1, 100_000),
                r.integer("limits.inbound_burst", d.inboundBurst(), 1, 100_000),
                r.integer("limits.history_lines", d.historyLines(), 1, 1_000_000),
                r.integer("limits.history_bytes", d.historyBytes(), 1024, 256 * 1024 * 1024),
                r.integer("limits.stop_timeout_seconds", d.stopTimeoutSeconds(), 1, 3600),
                r.integer("limits.write_buffer_low_bytes", d.writeBufferLowBytes(), 1024, 64 * 1024 * 1024),
                r.integer("limits.write_buffer_high_bytes", d.writeBufferHighBytes(), 2048, 256 * 1024 * 1024),
                r.integer("limits.ping_interval_seconds", d.pingIntervalSeconds(), 1, 3600),
                r.integer("limits.pong_timeout_seconds", d.pongTimeoutSeconds(), 1, 3600),
                r.integer("limits.slow_client_close_seconds", d.slowClientCloseSeconds(), 1, 3600),
                r.integer("limits.console_lines_per_second", d.consoleLinesPerSecond(), 1, 100_000_000),
                r.integer("limits.console_bytes_per_second", d.consoleBytesPerSecond(), 1024, 1_000_000_000),
                r.integer("limits.handshake_timeout_seconds", d.handshakeTimeoutSeconds(), 1, 3600),
                r.integer("limits.response_timeout_seconds", d.responseTimeoutSeconds(), 1, 3600),
                r.decimal("limits.connection_attempts_per_ip_per_second", d.connectionAttemptsPerIpPerSecond(),
                        0.1, 100_000),
                r.integer("limits.connection_attempts_per_ip_burst", d.connectionAttemptsPerIpBurst(), 1, 1_000_000),
                r.integer("limits.auth_failures_per_ip_per_minute", d.authFailuresPerIpPerMinute(), 1, 1_000_000),
                r.integer("limits.max_command_bytes", d.maxCommandBytes(), 1, 16 * 1024 * 1024),
                r.integer("limits.http_max_body_bytes", d.httpMaxBodyBytes(), 1024, 64 * 1024 * 1024),
                r.integer("limits.disk_check_seconds", d.diskCheckSeconds(), 1, 86_400));
        if (limits.writeBufferLowBytes() >= limits.writeBufferHighBytes()) {
            throw new ConfigException("invalid limits.write_buffer_low_bytes: must be below limits.write_buffer_high_bytes");
        }
        if (limits.pongTimeoutSeconds() < limits.pingIntervalSeconds()) {
            throw new ConfigException("invalid limits.pong_timeout_seconds: must be at least limits.ping_interval_seconds");
        }
        LightdConfig.MetricsSettings metrics = new LightdConfig.MetricsSettings(
                r.bool("metrics.require_token", Defaults.DEFAULT_METRICS_REQUIRE_TOKEN));
        LightdConfig.LoggingSettings logging = new LightdConfig.LoggingSettings(
                r.choice("logging.format", LightdConfig.LogFormat.class, Defaults.DEFAULT_LOG_FORMAT),
                r.choice("logging.level", LightdConfig.LogLevel.class, Defaults.DEFAULT_LOG_LEVEL));
        LightdConfig.StatsSettings stats = new LightdConfig.StatsSettings(
                r.integer("stats.idle_interval_ms", Defaults.DEFAULT_STATS_IDLE_INTERVAL_MS, 1000, 3_600_000));
        LightdConfig.ConsoleSettings console = new LightdConfig.ConsoleSettings(
                r.integer("console.coalesce_ms", Defaults.DEFAULT_CONSOLE_COALESCE_MS, 0, 1000));
        LightdConfig.Tls tls = tls(r, baseDir);
        return new LightdConfig(host, port, threads, transport, token, socket, network, base, runtime, origins, limits,
                tls, metrics, logging, jwt(r), stats, console);
    }

    /** {@code authorization.jwt}: keys need an audience, so a token for another node never opens this one. */
    private static LightdConfig.Jwt jwt(Reader r) throws ConfigException {
        List<JWK> keys = JwtKeys.parse(r.get(JwtKeys.KEY));
        JsonElement audienceJson = r.get("authorization.jwt.audience");
        String audience = audienceJson == null || audienceJson.isJsonPrimitive() && audienceJson.getAsString().isEmpty()
                ? Defaults.DEFAULT_JWT_AUDIENCE : r.string("authorization.jwt.audience", Defaults.DEFAULT_JWT_AUDIENCE);
        if (!keys.isEmpty() && audience.isEmpty()) {
            throw new ConfigException("authorization.jwt.audience is missing: signed tokens need this node's audience");
        }
        return new LightdConfig.Jwt(keys, audience,
                r.integer("authorization.jwt.clock_skew_seconds", Defaults.DEFAULT_JWT_CLOCK_SKEW_SECONDS, 0, 600),
                r.integer("authorization.jwt.max_lifetime_seconds", Defaults.DEFAULT_JWT_MAX_LIFETIME_SECONDS, 60,
                        366 * 86_400));
    }

    /** {@code server.ssl}: when enabled, both PEM files must be readable and valid, and the key must fit the certificate. */
    private static LightdConfig.Tls tls(Reader r, Path baseDir) throws ConfigException {
        if (!r.bool("server.ssl.enabled", false)) {
            return LightdConfig.Tls.disabled();
        }
        LightdConfig.Tls tls = new LightdConfig.Tls(true, r.path("server.ssl.cert", baseDir),
                r.path("server.ssl.key", baseDir));
        TlsFiles.load(tls);
        return tls;
    }

    /** Looks dotted keys up in nested objects and names the key in every error. */
    private static final class Reader {
        private final JsonObject root;

        Reader(JsonObject root) {
            this.root = root;
        }

        private JsonElement get(String key) throws ConfigException {
            JsonElement current = root;
            for (String part : key.split("\\.")) {
                if (current == null || current.isJsonNull()) {
                    return null;
                }
                if (!current.isJsonObject()) {
                    throw new ConfigException("invalid " + key + ": " + part + " is not inside an object");
                }
                current = current.getAsJsonObject().get(part);
            }
            return current == null || current.isJsonNull() ? null : current;
        }

        String string(String key, String fallback) throws ConfigException {
            JsonElement e = get(key);
            if (e == null) {
                return fallback;
            }
            if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isString() || e.getAsString().isBlank()) {
                throw new ConfigException("invalid " + key + ": must be a non-empty string (got " + e + ")");
            }
            return e.getAsString();
        }

        /** A required path; a relative one resolves against {@code baseDir}. */
        Path path(String key, Path baseDir) throws ConfigException {
            String value = string(key, null);
            if (value == null) {
                throw new ConfigException(key + " is missing");
            }
            Path path = Path.of(value);
            return path.isAbsolute() ? path : baseDir.resolve(path);
        }

        boolean bool(String key, boolean fallback) throws ConfigException {
            JsonElement e = get(key);
            if (e == null) {
                return fallback;
            }
            if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isBoolean()) {
                throw new ConfigException("invalid " + key + ": must be true or false (got " + e + ")");
            }
            return e.getAsBoolean();
        }

        int integer(String key, int fallback, int min, int max) throws ConfigException {
            JsonElement e = get(key);
            if (e == null) {
                return fallback;
            }
            try {
                if (e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber()) {
                    int value = e.getAsBigDecimal().intValueExact();
                    if (value >= min && value <= max) {
                        return value;
                    }
                }
            } catch (ArithmeticException | NumberFormatException ignored) {
                // reported below
            }
            throw new ConfigException("invalid " + key + ": must be an integer from " + min + " to " + max
                    + " (got " + e + ")");
        }

        double decimal(String key, double fallback, double min, double max) throws ConfigException {
            JsonElement e = get(key);
            if (e == null) {
                return fallback;
            }
            if (e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber()) {
                double value = e.getAsDouble();
                if (value >= min && value <= max) {
                    return value;
                }
            }
            throw new ConfigException("invalid " + key + ": must be a number from " + min + " to " + max
                    + " (got " + e + ")");
        }

        <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) throws ConfigException {
            JsonElement e = get(key);
            if (e == null) {
                return fallback;
            }
            List<String> names = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                String name = constant.name().toLowerCase(Locale.ROOT);
                names.add(name);
                if (e.isJsonPrimitive() && name.equals(e.getAsString())) {
                    return constant;
                }
            }
            throw new ConfigException("invalid " + key + ": must be one of " + String.join(", ", names)
                    + " (got " + e + ")");
        }

        List<String> strings(String key) throws ConfigException {
            JsonElement e = get(key);
            if (e == null) {
                return List.of();
            }
            if (!e.isJsonArray()) {
                throw new ConfigException("invalid " + key + ": must be an array of strings (got " + e + ")");
            }
            List<String> values = new ArrayList<>();
            for (JsonElement item : e.getAsJsonArray()) {
                if (!item.isJsonPrimitive() || !((JsonPrimitive) item).isString()) {
                    throw new ConfigException("invalid " + key + ": must be an array of strings (got " + item + ")");
                }
                values.add(item.getAsString());
            }
            return values;
        }
    }
}
