package io.lightd.server.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.runtime.stats.StatsSampler;
import io.lightd.server.config.LightdConfig.LogFormat;
import io.lightd.server.config.LightdConfig.LogLevel;
import io.lightd.server.config.LightdConfig.RuntimeKind;
import io.lightd.server.config.LightdConfig.Transport;
import java.util.List;

/**
 * Every configuration key, each spelled once: name, default, accepted values and meaning. The file
 * a new node gets ({@link #defaultsJson}), what {@link ConfigLoader} reads and refuses, the defaults
 * and range checks of {@link LightdConfig#builder()} and {@link LightdConfig.Limits#builder()}, and
 * README.md's configuration table ({@link #markdownTable}, checked by a test) all come from here.
 * To add a key: add a constant, list it in {@link #ALL}, give the value a component and a builder
 * setter, read it in {@link ConfigLoader#parse}, and paste the new table into README.md.
 *
 * <p>Hand-written on Gson, the project's one JSON codec, rather than a configuration library
 * (Typesafe Config, SmallRye Config, Owner): the file is a fixed JSON layout that {@code scripts/run}
 * and {@code scripts/install} also read, and none of those renders a README table or lends its range
 * checks to the builders an embedding application calls.
 *
 * <p>Constants only; thread-safe.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    public static final ConfigKey<String> SERVER_HOST = ConfigKey.string("server.host", "0.0.0.0", false,
            "address to listen on");
    public static final ConfigKey<Integer> SERVER_PORT = ConfigKey.integer("server.port", 8070, 0, 65535,
            "port (0 = any free port)");
    public static final ConfigKey<Integer> SERVER_EVENT_LOOP_THREADS = ConfigKey.integer("server.event_loop_threads",
            0, 0, 1024, "event loops (0 = one per core)");
    public static final ConfigKey<Transport> SERVER_TRANSPORT = ConfigKey.choice("server.transport", Transport.AUTO,
            "I/O transport: `auto` is epoll where it loads, else NIO");
    public static final ConfigKey<Boolean> SERVER_SSL_ENABLED = ConfigKey.bool("server.ssl.enabled", false,
            "serve REST and WebSocket over TLS (`https`, `wss`)");
    public static final ConfigKey<String> SERVER_SSL_CERT = ConfigKey.string("server.ssl.cert", "", true,
            "PEM certificate chain, leaf first (relative to the config file's folder); required when TLS is on");
    public static final ConfigKey<String> SERVER_SSL_KEY = ConfigKey.string("server.ssl.key", "", true,
            "its PEM private key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`); required when TLS is on");
    public static final ConfigKey<String> AUTHORIZATION_TOKEN = ConfigKey.generated("authorization.token",
            "master token; starts with `lightd_`, at least 20 characters");
    public static final ConfigKey<JsonElement> AUTHORIZATION_JWT_KEYS = ConfigKey.json("authorization.jwt.keys", new JsonArray(),
            "JSON Web Keys (RFC 7517) that panel-signed console tokens are checked against, each with a `kid`: "
                    + "`{\"kty\":\"oct\",\"kid\":…,\"k\":…}` (HS256, at least 256 bits), "
                    + "`{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":…,\"x\":…}` (EdDSA) or "
                    + "`{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":…,\"x\":…,\"y\":…}` (ES256); public keys only; "
                    + "empty = signed tokens refused");
    public static final ConfigKey<String> AUTHORIZATION_JWT_AUDIENCE = ConfigKey.string("authorization.jwt.audience",
            "", true, "this node's `aud`: a signed token must name it (required when there are keys)");
    public static final ConfigKey<Integer> AUTHORIZATION_JWT_CLOCK_SKEW_SECONDS = ConfigKey.integer(
            "authorization.jwt.clock_skew_seconds", 30, 0, 600,
            "how far a signed token's `exp`, `nbf` and `iat` may be off this node's clock (a session closes at "
                    + "`exp` plus this)");
    public static final ConfigKey<Integer> AUTHORIZATION_JWT_MAX_LIFETIME_SECONDS = ConfigKey.integer(
            "authorization.jwt.max_lifetime_seconds", 86_400, 60, 366 * 86_400,
            "longest a signed token may live from its `iat` (longer ones are refused); revocations are kept this "
                    + "long (plus the skew) under the value in force");
    public static final ConfigKey<String> DOCKER_SOCKET_PATH = ConfigKey.string("docker.socket_path",
            "/var/run/docker.sock", false,
            "Docker engine socket: a path, or a `unix://` or `tcp://` (no TLS) URL");
    public static final ConfigKey<String> DOCKER_NETWORK_MODE = ConfigKey.string("docker.network_mode", "bridge",
            false, "network mode of containers");
    public static final ConfigKey<String> STORAGE_BASE_PATH = ConfigKey.string("storage.base_path", "data", false,
            "registry and volumes (relative to the config file's folder)");
    public static final ConfigKey<RuntimeKind> RUNTIME = ConfigKey.choice("runtime", RuntimeKind.DOCKER,
            "how servers run: Docker containers, or plain processes of this host (no isolation: development, "
                    + "demos and tests only)");
    public static final ConfigKey<List<String>> ALLOWED_ORIGINS = ConfigKey.strings("allowed_origins",
            "browser origins allowed to open a WebSocket (empty = any)");
    public static final ConfigKey<Integer> MAX_CONNECTIONS = ConfigKey.integer("limits.max_connections", 10_000,
            1, 1_000_000, "WebSocket connections in total (429 beyond)");
    public static final ConfigKey<Integer> MAX_CONNECTIONS_PER_CONTAINER = ConfigKey.integer(
            "limits.max_connections_per_container", 100, 1, 1_000_000,
            "WebSocket connections per container (429 beyond)");
    public static final ConfigKey<Integer> MAX_FRAME_BYTES = ConfigKey.integer("limits.max_frame_bytes", 16 * 1024,
            256, 16 * 1024 * 1024, "largest inbound message; larger closes with 1009");
    public static final ConfigKey<Double> INBOUND_RATE_PER_SECOND = ConfigKey.decimal("limits.inbound_rate_per_second",
            10, 0.1, 100_000, "inbound messages per second per connection (token bucket)");
    public static final ConfigKey<Integer> INBOUND_BURST = ConfigKey.integer("limits.inbound_burst", 20, 1, 100_000,
            "bucket size");
    public static final ConfigKey<Integer> HISTORY_LINES = ConfigKey.integer("limits.history_lines", 1000, 1,
            1_000_000, "console history kept per container, in lines");
    public static final ConfigKey<Integer> HISTORY_BYTES = ConfigKey.integer("limits.history_bytes", 512 * 1024,
            1024, 256 * 1024 * 1024,
            "console history kept per container, in bytes (UTF-8); a single line longer than this keeps only its "
                    + "last bytes (from a character boundary)");
    public static final ConfigKey<Integer> STOP_TIMEOUT_SECONDS = ConfigKey.integer("limits.stop_timeout_seconds", 30,
            1, 3600, "how long `stop` waits before it kills: the whole stop (stop command, stop signal at half time "
                    + "when there is a command, kill) fits in it");
    public static final ConfigKey<Integer> WRITE_BUFFER_LOW_BYTES = ConfigKey.integer("limits.write_buffer_low_bytes",
            64 * 1024, 1024, 64 * 1024 * 1024,
            "a slow client is writable again below this (must be below `limits.write_buffer_high_bytes`)");
    public static final ConfigKey<Integer> WRITE_BUFFER_HIGH_BYTES = ConfigKey.integer(
            "limits.write_buffer_high_bytes", 256 * 1024, 2048, 256 * 1024 * 1024,
            "above this a client's console and stats frames are skipped");
    public static final ConfigKey<Integer> PING_INTERVAL_SECONDS = ConfigKey.integer("limits.ping_interval_seconds",
            20, 1, 3600, "a connection silent this long is pinged (on the whole second after: timers share wake-ups)");
    public static final ConfigKey<Integer> PONG_TIMEOUT_SECONDS = ConfigKey.integer("limits.pong_timeout_seconds", 60,
            1, 3600, "a client silent this long is closed (at least `limits.ping_interval_seconds`)");
    public static final ConfigKey<Integer> SLOW_CLIENT_CLOSE_SECONDS = ConfigKey.integer(
            "limits.slow_client_close_seconds", 30, 1, 3600, "a client unwritable this long is closed with 1008");
    public static final ConfigKey<Integer> CONSOLE_LINES_PER_SECOND = ConfigKey.integer(
            "limits.console_lines_per_second", 2000, 1, 100_000_000,
            "live console lines per second per container; beyond, lines are dropped from the live stream only "
                    + "(history and start pattern see them) and counted in one `daemon_message` per episode; an "
                    + "episode ends after 1 s with nothing dropped, and a longer one reports its dropped lines at most "
                    + "once a second as it goes");
    public static final ConfigKey<Integer> CONSOLE_BYTES_PER_SECOND = ConfigKey.integer(
            "limits.console_bytes_per_second", 1024 * 1024, 1024, 1_000_000_000, "the same cap in bytes");
    public static final ConfigKey<Integer> HANDSHAKE_TIMEOUT_SECONDS = ConfigKey.integer(
            "limits.handshake_timeout_seconds", 10, 1, 3600,
            "a connection must deliver a whole request (REST or WebSocket upgrade) this soon after it opens or "
                    + "after its previous response, else it is closed: with a 408 when its headers have arrived "
                    + "and its body has not; silently when its headers are incomplete or nothing came (a 408 there "
                    + "could be taken as the answer to a request the client is just sending)");
    /** Room for a slow engine or disk (a Docker create or delete, an fsync under load) to answer. */
    public static final ConfigKey<Integer> RESPONSE_TIMEOUT_SECONDS = ConfigKey.integer(
            "limits.response_timeout_seconds", 60, 1, 3600,
            "a whole request must be answered this soon after it arrived (or after the previous answer), else it "
                    + "gets 503 (or, when its answer had begun, the connection is closed); the work the request "
                    + "started is not cancelled. An answer written but not taken by the client (it does not read) "
                    + "within this time closes the connection");
    public static final ConfigKey<Double> CONNECTION_ATTEMPTS_PER_IP_PER_SECOND = ConfigKey.decimal(
            "limits.connection_attempts_per_ip_per_second", 50, 0.1, 100_000,
            "new connections per second per remote IP (token bucket); beyond, 429 with `Retry-After`");
    public static final ConfigKey<Integer> CONNECTION_ATTEMPTS_PER_IP_BURST = ConfigKey.integer(
            "limits.connection_attempts_per_ip_burst", 200, 1, 1_000_000, "bucket size");
    public static final ConfigKey<Integer> AUTH_FAILURES_PER_IP_PER_MINUTE = ConfigKey.integer(
            "limits.auth_failures_per_ip_per_minute", 10, 1, 1_000_000,
            "failed authentications (REST 401, WebSocket 401) per remote IP; beyond, every authenticated request "
                    + "from it gets 429 until its minute is over");
    public static final ConfigKey<Integer> MAX_COMMAND_BYTES = ConfigKey.integer("limits.max_command_bytes", 4096, 1,
            16 * 1024 * 1024, "longest command (UTF-8 bytes) written to stdin; longer ones get "
                    + "`Error: command too long ...` (REST 400)");
    public static final ConfigKey<Integer> HTTP_MAX_BODY_BYTES = ConfigKey.integer("limits.http_max_body_bytes",
            64 * 1024, 1024, 64 * 1024 * 1024,
            "largest request body; larger gets 413 (request line over 4096 bytes: 414; headers over 8192 bytes: 431)");
    /** How often each server's volume is measured against its {@code limits.disk}. */
    public static final ConfigKey<Integer> DISK_CHECK_SECONDS = ConfigKey.integer("limits.disk_check_seconds", 60, 1,
            86_400, "how often each server's volume is measured (on the whole second after; also on every start) "
                    + "against its `limits.disk`");
    public static final ConfigKey<Boolean> METRICS_REQUIRE_TOKEN = ConfigKey.bool("metrics.require_token", true,
            "`GET /metrics` needs `Authorization: Bearer <token>` like the REST routes; `false` opens it");
    public static final ConfigKey<LogFormat> LOGGING_FORMAT = ConfigKey.choice("logging.format", LogFormat.TEXT,
            "`text` (human-readable lines) or `json` (one JSON object per line; lines about a container have a "
                    + "`container` field)");
    public static final ConfigKey<LogLevel> LOGGING_LEVEL = ConfigKey.choice("logging.level", LogLevel.INFO,
            "level of lightd's own lines; `debug` adds one line for each request refused or connection closed for "
                    + "a client's doing; libraries stay at lightd-logback.xml's levels (another logback file: "
                    + "`java -Dlogback.configurationFile=PATH -jar ...`)");
    /**
     * The default is the runtimes' own ({@link StatsSampler#DEFAULT_IDLE_INTERVAL_MS}, which their
     * constructors without an interval use), taken from there so that it is written once. It must
     * stay a compile-time constant: loading StatsSampler would start logging in the token commands.
     */
    public static final ConfigKey<Integer> STATS_IDLE_INTERVAL_MS = ConfigKey.integer("stats.idle_interval_ms",
            StatsSampler.DEFAULT_IDLE_INTERVAL_MS, 1000, 3_600_000,
            "how often the stats of a running server nobody watches are sampled, in ms (metrics still see them); "
                    + "a server whose console is open is sampled every second, and at once when the first console "
                    + "opens");
    /** About one screen refresh: the longest a line of a fast console waits to share an event. */
    public static final ConfigKey<Integer> CONSOLE_COALESCE_MS = ConfigKey.integer("console.coalesce_ms", 16, 0, 1000,
            "console frame budget per container, in ms: output arriving sooner than this after the previous "
                    + "console event is gathered into the next one (whole lines, bytes and order kept, at most "
                    + "64 KiB); a quiet console goes out at once; `0` sends each piece as it comes");

    /** Every key, in the order of the defaults file and the README table. */
    public static final List<ConfigKey<?>> ALL = List.of(
            SERVER_HOST, SERVER_PORT, SERVER_EVENT_LOOP_THREADS, SERVER_TRANSPORT,
            SERVER_SSL_ENABLED, SERVER_SSL_CERT, SERVER_SSL_KEY,
            AUTHORIZATION_TOKEN, AUTHORIZATION_JWT_KEYS, AUTHORIZATION_JWT_AUDIENCE,
            AUTHORIZATION_JWT_CLOCK_SKEW_SECONDS, AUTHORIZATION_JWT_MAX_LIFETIME_SECONDS,
            DOCKER_SOCKET_PATH, DOCKER_NETWORK_MODE, STORAGE_BASE_PATH, RUNTIME, ALLOWED_ORIGINS,
            MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CONTAINER, MAX_FRAME_BYTES, INBOUND_RATE_PER_SECOND, INBOUND_BURST,
            HISTORY_LINES, HISTORY_BYTES, STOP_TIMEOUT_SECONDS, WRITE_BUFFER_LOW_BYTES, WRITE_BUFFER_HIGH_BYTES,
            PING_INTERVAL_SECONDS, PONG_TIMEOUT_SECONDS, SLOW_CLIENT_CLOSE_SECONDS, CONSOLE_LINES_PER_SECOND,
            CONSOLE_BYTES_PER_SECOND, HANDSHAKE_TIMEOUT_SECONDS, RESPONSE_TIMEOUT_SECONDS,
            CONNECTION_ATTEMPTS_PER_IP_PER_SECOND, CONNECTION_ATTEMPTS_PER_IP_BURST, AUTH_FAILURES_PER_IP_PER_MINUTE,
            MAX_COMMAND_BYTES, HTTP_MAX_BODY_BYTES, DISK_CHECK_SECONDS,
            METRICS_REQUIRE_TOKEN, LOGGING_FORMAT, LOGGING_LEVEL, STATS_IDLE_INTERVAL_MS, CONSOLE_COALESCE_MS);

    /**
     * The configuration with every key at its default, nested by the dots, as a new node's file holds it;
     * {@code token} is the generated {@code authorization.token}.
     */
    public static JsonObject defaultsJson(String token) {
        JsonObject root = new JsonObject();
        for (ConfigKey<?> key : ALL) {
            String[] parts = key.name().split("\\.");
            JsonObject parent = root;
            for (int i = 0; i < parts.length - 1; i++) {
                if (!parent.has(parts[i])) {
                    parent.add(parts[i], new JsonObject());
                }
                parent = parent.getAsJsonObject(parts[i]);
            }
            parent.add(parts[parts.length - 1], key.defaultJson(token));
        }
        return root;
    }

    /**
     * README.md's configuration table (Markdown, one row per key in {@link #ALL} order, header
     * included, each line ending in a newline): key, default, accepted values, meaning.
     */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| key | default | values | meaning |\n| --- | --- | --- | --- |\n");
        for (ConfigKey<?> key : ALL) {
            String defaultText = key.defaultText();
            String defaultCell = defaultText.isEmpty() || key.defaultValue() == null ? defaultText
                    : "`" + defaultText + "`";
            table.append("| `").append(key.name()).append("` | ").append(defaultCell).append(" | ")
                    .append(key.allowed()).append(" | ").append(key.doc()).append(" |\n");
        }
        return table.toString();
    }
}
