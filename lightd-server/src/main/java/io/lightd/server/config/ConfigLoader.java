package io.lightd.server.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.lightd.server.credential.Tokens;
import io.lightd.server.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads, creates and validates the JSON configuration file. Keys are Lightd's ({@code server.host},
 * {@code server.port}, {@code authorization.token}, {@code docker.socket_path},
 * {@code storage.base_path}) plus lightd's own; nested objects spell the dots. A relative
 * {@code storage.base_path}, {@code server.ssl.cert} or {@code server.ssl.key} is resolved against
 * the folder of the config file. The keys themselves, their defaults and ranges, are
 * {@link ConfigKeys}'; this class only finds them in a file and writes the file.
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

    /**
     * The JSON object in {@code file}, unvalidated (the token commands edit it and write it back).
     *
     * @throws ConfigException when it cannot be read or is not a JSON object
     */
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

    /**
     * Writes {@code config} to {@code file}, pretty-printed, atomically and readable by its owner only
     * (it holds the master token).
     *
     * @throws ConfigException when it cannot be written
     */
    public static void write(Path file, JsonObject config) throws ConfigException {
        try {
            AtomicFiles.write(file, (PRETTY.toJson(config) + "\n").getBytes(StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            throw new ConfigException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The configuration with every key at its default, as it is written for a new node: {@link ConfigKeys#defaultsJson}. */
    public static JsonObject defaultsJson(String token) {
        return ConfigKeys.defaultsJson(token);
    }

    /**
     * The keys in {@code root} that no {@link ConfigKeys} entry names, dotted ({@code limits.max_conections}),
     * in file order: each is ignored, and is most likely a misspelling. An object that only holds
     * keys (a section such as {@code limits}) is walked, not reported; a key's value is never looked into.
     */
    public static List<String> unknownKeys(JsonObject root) {
        Set<String> known = new HashSet<>();
        Set<String> sections = new HashSet<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            known.add(key.name());
            String name = key.name();
            for (int dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
                sections.add(name.substring(0, dot));
            }
        }
        List<String> unknown = new ArrayList<>();
        collectUnknown(root, "", known, sections, unknown);
        return unknown;
    }

    private static void collectUnknown(JsonObject object, String prefix, Set<String> known,
                                       Set<String> sections, List<String> unknown) {
        for (Map.Entry<String, JsonElement> e : object.entrySet()) {
            String path = prefix + e.getKey();
            if (known.contains(path)) {
                continue;
            }
            if (sections.contains(path) && e.getValue().isJsonObject()) {
                collectUnknown(e.getValue().getAsJsonObject(), path + ".", known, sections, unknown);
            } else {
                unknown.add(path);
            }
        }
    }

    /**
     * Validates {@code root}: every key of {@link ConfigKeys} is read (absent or {@code null}: its
     * default) and range-checked; relative paths resolve against {@code baseDir}.
     *
     * @throws ConfigException naming the first key that is wrong and why
     */
    public static LightdConfig parse(JsonObject root, Path baseDir) throws ConfigException {
        String token = ConfigKeys.AUTHORIZATION_TOKEN.read(root);
        if (token == null) {
            throw new ConfigException(ConfigKeys.AUTHORIZATION_TOKEN + " is missing");
        }
        Path base = Path.of(ConfigKeys.STORAGE_BASE_PATH.read(root));
        if (!base.isAbsolute()) {
            base = baseDir.resolve(base);
        }
        try {
            LightdConfig.Limits limits = LightdConfig.Limits.builder()
                    .maxConnections(ConfigKeys.MAX_CONNECTIONS.read(root))
                    .maxConnectionsPerContainer(ConfigKeys.MAX_CONNECTIONS_PER_CONTAINER.read(root))
                    .maxFrameBytes(ConfigKeys.MAX_FRAME_BYTES.read(root))
                    .inboundRatePerSecond(ConfigKeys.INBOUND_RATE_PER_SECOND.read(root))
                    .inboundBurst(ConfigKeys.INBOUND_BURST.read(root))
                    .historyLines(ConfigKeys.HISTORY_LINES.read(root))
                    .historyBytes(ConfigKeys.HISTORY_BYTES.read(root))
                    .stopTimeoutSeconds(ConfigKeys.STOP_TIMEOUT_SECONDS.read(root))
                    .writeBufferLowBytes(ConfigKeys.WRITE_BUFFER_LOW_BYTES.read(root))
                    .writeBufferHighBytes(ConfigKeys.WRITE_BUFFER_HIGH_BYTES.read(root))
                    .pingIntervalSeconds(ConfigKeys.PING_INTERVAL_SECONDS.read(root))
                    .pongTimeoutSeconds(ConfigKeys.PONG_TIMEOUT_SECONDS.read(root))
                    .slowClientCloseSeconds(ConfigKeys.SLOW_CLIENT_CLOSE_SECONDS.read(root))
                    .consoleLinesPerSecond(ConfigKeys.CONSOLE_LINES_PER_SECOND.read(root))
                    .consoleBytesPerSecond(ConfigKeys.CONSOLE_BYTES_PER_SECOND.read(root))
                    .handshakeTimeoutSeconds(ConfigKeys.HANDSHAKE_TIMEOUT_SECONDS.read(root))
                    .responseTimeoutSeconds(ConfigKeys.RESPONSE_TIMEOUT_SECONDS.read(root))
                    .connectionAttemptsPerIpPerSecond(ConfigKeys.CONNECTION_ATTEMPTS_PER_IP_PER_SECOND.read(root))
                    .connectionAttemptsPerIpBurst(ConfigKeys.CONNECTION_ATTEMPTS_PER_IP_BURST.read(root))
                    .authFailuresPerIpPerMinute(ConfigKeys.AUTH_FAILURES_PER_IP_PER_MINUTE.read(root))
                    .maxCommandBytes(ConfigKeys.MAX_COMMAND_BYTES.read(root))
                    .httpMaxBodyBytes(ConfigKeys.HTTP_MAX_BODY_BYTES.read(root))
                    .diskCheckSeconds(ConfigKeys.DISK_CHECK_SECONDS.read(root))
                    .build();
            return LightdConfig.builder()
                    .host(ConfigKeys.SERVER_HOST.read(root))
                    .port(ConfigKeys.SERVER_PORT.read(root))
                    .eventLoopThreads(ConfigKeys.SERVER_EVENT_LOOP_THREADS.read(root))
                    .transport(ConfigKeys.SERVER_TRANSPORT.read(root))
                    .token(token)
                    .dockerSocketPath(ConfigKeys.DOCKER_SOCKET_PATH.read(root))
                    .dockerNetworkMode(ConfigKeys.DOCKER_NETWORK_MODE.read(root))
                    .basePath(base)
                    .runtime(ConfigKeys.RUNTIME.read(root))
                    .allowedOrigins(ConfigKeys.ALLOWED_ORIGINS.read(root))
                    .limits(limits)
                    .metrics(new LightdConfig.MetricsSettings(ConfigKeys.METRICS_REQUIRE_TOKEN.read(root)))
                    .logging(new LightdConfig.LoggingSettings(ConfigKeys.LOGGING_FORMAT.read(root),
                            ConfigKeys.LOGGING_LEVEL.read(root)))
                    .stats(new LightdConfig.StatsSettings(ConfigKeys.STATS_IDLE_INTERVAL_MS.read(root)))
                    .console(new LightdConfig.ConsoleSettings(ConfigKeys.CONSOLE_COALESCE_MS.read(root)))
                    .tls(tls(root, baseDir))
                    .jwt(jwt(root))
                    .build();
        } catch (IllegalArgumentException e) {
            // A builder's check (a rule between keys, a token's form): its message names the key.
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** {@code authorization.jwt}: keys need an audience, so a token for another node never opens this one. */
    private static LightdConfig.Jwt jwt(JsonObject root) throws ConfigException {
        return LightdConfig.Jwt.builder()
                .keys(JwtKeys.parse(ConfigKeys.AUTHORIZATION_JWT_KEYS.read(root)))
                .audience(ConfigKeys.AUTHORIZATION_JWT_AUDIENCE.read(root))
                .clockSkewSeconds(ConfigKeys.AUTHORIZATION_JWT_CLOCK_SKEW_SECONDS.read(root))
                .maxLifetimeSeconds(ConfigKeys.AUTHORIZATION_JWT_MAX_LIFETIME_SECONDS.read(root))
                .build();
    }

    /** {@code server.ssl}: when enabled, both PEM files must be readable and valid, and the key must fit the certificate. */
    private static LightdConfig.Tls tls(JsonObject root, Path baseDir) throws ConfigException {
        if (!ConfigKeys.SERVER_SSL_ENABLED.read(root)) {
            return LightdConfig.Tls.disabled();
        }
        LightdConfig.Tls tls = LightdConfig.Tls.enabled(requiredPath(ConfigKeys.SERVER_SSL_CERT, root, baseDir),
                requiredPath(ConfigKeys.SERVER_SSL_KEY, root, baseDir));
        TlsFiles.load(tls);
        return tls;
    }

    /** A path that must be given; a relative one resolves against {@code baseDir}. */
    private static Path requiredPath(ConfigKey<String> key, JsonObject root, Path baseDir) throws ConfigException {
        if (key.find(root) == null) {
            throw new ConfigException(key + " is missing");
        }
        String value = key.read(root);
        if (value.isBlank()) {
            throw new ConfigException("invalid " + key + ": must be a non-empty string (got \"" + value + "\")");
        }
        Path path = Path.of(value);
        return path.isAbsolute() ? path : baseDir.resolve(path);
    }
}
