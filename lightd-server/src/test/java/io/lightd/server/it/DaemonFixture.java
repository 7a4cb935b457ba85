package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.docker.DockerEngineExtension;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh daemon per test on its own storage, with the runtime and image a subclass names; the
 * WebSocket clients a test opens are closed after it, and each container id of a test starts with
 * {@link #prefix}, so a subclass can remove what its runtime left behind.
 */
abstract class DaemonFixture {

    @TempDir
    Path storage;
    protected Daemon daemon;
    protected final List<WsClient> clients = new ArrayList<>();
    /** Starts every container id of this test. */
    protected final String prefix = "t" + UUID.randomUUID().toString().substring(0, 6) + "-";

    /** The runtime the daemon runs. */
    abstract Daemon.Runtime runtime();

    /** The image of the containers a test creates: the test image on Docker; the process runtime ignores it. */
    String image() {
        return runtime() == Daemon.Runtime.DOCKER ? DockerEngineExtension.TEST_IMAGE : "local";
    }

    /** The create body's {@code tty} for this class's containers unless a test sets it; null leaves the daemon's default. */
    Boolean tty() {
        return null;
    }

    /** Limits that differ from the defaults for this class's daemon. */
    JsonObject limits() {
        return new JsonObject();
    }

    /** Changes to the rest of the configuration (origins, TLS) for this class's daemon. */
    void configure(JsonObject config) {
    }

    /** The client this class's daemon is spoken to with. */
    HttpClient httpClient() {
        return Daemon.defaultHttp();
    }

    /** Removes whatever the runtime keeps of this test's containers after the daemon stopped. */
    void removeLeftovers() throws Exception {
        if (runtime() == Daemon.Runtime.DOCKER) {
            EngineApi.removeAll(prefix);
        }
    }

    @BeforeEach
    void startDaemon() throws Exception {
        daemon = new Daemon(storage, limits(), runtime(), httpClient(), this::configure);
    }

    @AfterEach
    void stopDaemon() throws Exception {
        clients.forEach(WsClient::close);
        daemon.close();
        removeLeftovers();
    }

    /** The internal id of this test's container {@code name}. */
    protected String id(String name) {
        return prefix + name;
    }

    protected WsClient ws(String id) {
        WsClient c = daemon.ws(id);
        clients.add(c);
        return c;
    }

    protected void create(String id, String startup, String pattern, String extraJson) {
        create(id, image(), startup, pattern, extraJson);
    }

    /** Creates through REST; the answer must be 202 with state {@code installing}. */
    protected void create(String id, String image, String startup, String pattern, String extraJson) {
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
        if (tty() != null && !body.has("tty")) {
            body.addProperty("tty", tty());
        }
        Daemon.Reply r = daemon.request("POST", "/containers", body.toString());
        assertThat(r.status()).as(r.body().toString()).isEqualTo(202);
        assertThat(r.body().get("state").getAsString()).isEqualTo("installing");
    }
}
