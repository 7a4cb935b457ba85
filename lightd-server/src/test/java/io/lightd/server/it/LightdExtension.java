package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.docker.DockerEngineExtension;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A fresh lightd for every test: a real daemon on 127.0.0.1, port 0, with its own temporary
 * {@code storage.base_path}, the runtime and configuration the {@link Builder} names, and real HTTP
 * and WebSocket clients for it (see {@link Daemon}). Registered as a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LightdExtension lightd = LightdExtension.builder()
 *         .runtime(Daemon.Runtime.PROCESS)
 *         .limit("max_connections", 2)
 *         .configure(config -> config.add("allowed_origins", origins))
 *         .build();
 * }</pre>
 *
 * <p>Before each test it makes the storage folder, a container id prefix of its own ({@link #id})
 * and starts the daemon; after it, it closes the WebSocket clients opened through {@link #ws} or
 * handed to {@link #closeAfter}, stops the daemon, removes what the Docker engine keeps of the
 * test's containers (ids starting with {@link #prefix()}) and deletes the storage folder. With
 * {@link Builder#perClass()} one daemon serves every test of the class instead (started before the
 * first, stopped after the last; clients are still closed after each test). A configuration that
 * depends on the test instance (keys a test rotates) registers the extension as an instance field
 * instead of a static one (per test only).
 *
 * <p>Not thread-safe: one test at a time per extension, as JUnit runs them here; the accessors
 * answer only while the daemon's lifetime lasts (a test, or the class with {@code perClass()}).
 */
final class LightdExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private final Daemon.Runtime runtime;
    private final String image;
    private final Boolean tty;
    private final JsonObject limits;
    private final Consumer<JsonObject> configure;
    private final HttpClient http;
    private final boolean perClass;

    private Path storage;
    private String prefix;
    private Daemon daemon;
    private final List<WsClient> clients = new ArrayList<>();

    private LightdExtension(Builder b) {
        this.runtime = b.runtime;
        this.image = b.image != null ? b.image
                : runtime == Daemon.Runtime.DOCKER ? DockerEngineExtension.TEST_IMAGE : "local";
        this.tty = b.tty;
        this.limits = b.limits.deepCopy();
        this.configure = b.configure;
        this.http = b.http != null ? b.http : Daemon.defaultHttp();
        this.perClass = b.perClass;
    }

    /** A builder with the process runtime, the daemon's default limits and configuration, and the default HTTP client. */
    static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (perClass) {
            start();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (perClass) {
            closeClients();
        } else {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (perClass) {
            stop();
        }
    }

    private void start() throws Exception {
        storage = Files.createTempDirectory("lightd-it");
        prefix = "t" + UUID.randomUUID().toString().substring(0, 6) + "-";
        daemon = new Daemon(storage, limits, runtime, http, configure);
    }

    private void closeClients() {
        clients.forEach(WsClient::close);
        clients.clear();
    }

    private void stop() throws Exception {
        try {
            closeClients();
            if (daemon != null) {
                daemon.close();
            }
            if (runtime == Daemon.Runtime.DOCKER) {
                EngineApi.removeAll(prefix);
            }
        } finally {
            daemon = null;
            Path folder = storage;
            storage = null;
            if (folder != null) {
                delete(folder);
            }
        }
    }

    /** This test's daemon (the class's with {@code perClass()}); {@link Daemon#restart()} and {@link Daemon#close()} keep it so. */
    Daemon daemon() {
        return during(daemon);
    }

    /** This test's {@code storage.base_path}: a temporary folder, deleted after the test. */
    Path storage() {
        return during(storage);
    }

    /** Starts every container id of this test ({@code "t1a2b3c-"}), so the engine's leftovers can be found. */
    String prefix() {
        return during(prefix);
    }

    /** The internal id of this test's container {@code name}: {@link #prefix()} + name. */
    String id(String name) {
        return prefix() + name;
    }

    /** The runtime the daemon runs its containers with. */
    Daemon.Runtime runtime() {
        return runtime;
    }

    /** The image of the containers a test creates: the test image on Docker; the process runtime ignores it. */
    String image() {
        return image;
    }

    /** The create body's {@code tty} unless a test sets it; null leaves the daemon's default. */
    Boolean tty() {
        return tty;
    }

    /** A WebSocket client on {@code /ws/<id>} with the master token, closed after the test. */
    WsClient ws(String id) {
        return closeAfter(daemon().ws(id));
    }

    /** Closes {@code client} after the test (before the daemon stops); returns it. */
    WsClient closeAfter(WsClient client) {
        clients.add(client);
        return client;
    }

    /** {@link #create(String, String, String, String, String)} with {@link #image()}. */
    void create(String id, String startup, String pattern, String extraJson) {
        create(id, image(), startup, pattern, extraJson);
    }

    /**
     * Creates through REST: {@code extraJson} (a JSON object or null) adds to or replaces the body's
     * fields, and {@link #tty()} is added unless it sets {@code tty}. The answer must be 202 with
     * state {@code installing}.
     */
    void create(String id, String image, String startup, String pattern, String extraJson) {
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", id);
        body.addProperty("image", image);
        body.addProperty("startup_command", startup);
        if (pattern != null) {
            body.addProperty("start_pattern", pattern);
        }
        if (extraJson != null) {
            JsonParser.parseString(extraJson).getAsJsonObject().entrySet().forEach(e -> body.add(e.getKey(), e.getValue()));
        }
        if (tty != null && !body.has("tty")) {
            body.addProperty("tty", tty);
        }
        Daemon.Reply r = daemon().request("POST", "/containers", body.toString());
        assertThat(r.status()).as(r.body().toString()).isEqualTo(202);
        assertThat(r.body().get("state").getAsString()).isEqualTo("installing");
    }

    private static <T> T during(T value) {
        if (value == null) {
            throw new IllegalStateException("lightd runs only during a test");
        }
        return value;
    }

    private static void delete(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** What the daemon of each test is: runtime, limits, configuration, HTTP client. Not thread-safe. */
    static final class Builder {

        private Daemon.Runtime runtime = Daemon.Runtime.PROCESS;
        private String image;
        private Boolean tty;
        private final JsonObject limits = new JsonObject();
        private Consumer<JsonObject> configure = config -> { };
        private HttpClient http;
        private boolean perClass;

        private Builder() {
        }

        /**
         * One daemon, storage folder and id prefix for every test of the class, as for a daemon that
         * tests share on purpose (each leaves it serving); only with a static extension field.
         */
        Builder perClass() {
            this.perClass = true;
            return this;
        }

        /** The runtime (process unless set); Docker uses the test engine of {@link DockerEngineExtension}. */
        Builder runtime(Daemon.Runtime runtime) {
            this.runtime = runtime;
            return this;
        }

        /** The image {@link #create(String, String, String, String)} uses; by default the runtime's. */
        Builder image(String image) {
            this.image = image;
            return this;
        }

        /** The create body's {@code tty} where a test does not set it; unset leaves the daemon's default. */
        Builder tty(boolean tty) {
            this.tty = tty;
            return this;
        }

        /** One key of the {@code limits} section ({@code "max_connections"}), over the default. */
        Builder limit(String key, Number value) {
            limits.addProperty(key, value);
            return this;
        }

        /**
         * Changes to the rest of the configuration JSON (origins, TLS, keys), applied after the
         * limits each time the daemon starts; several run in the order given.
         */
        Builder configure(Consumer<JsonObject> change) {
            configure = configure.andThen(change);
            return this;
        }

        /** The client REST and WebSocket requests go through (one trusting the test certificate, for TLS). */
        Builder httpClient(HttpClient http) {
            this.http = http;
            return this;
        }

        /** The extension, to register with {@code @RegisterExtension}. */
        LightdExtension build() {
            return new LightdExtension(this);
        }
    }
}
