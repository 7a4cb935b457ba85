package io.lightd.server.it;

import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extension itself: the builder's settings reach the daemon, each test has a daemon, storage
 * folder and id prefix of its own, and after a test its daemon is stopped and its folder deleted.
 * The second test looks at what the first left (the order is fixed for that).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LightdExtensionTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .limit("max_connections_per_container", 1)
            .configure(config -> config.getAsJsonArray("allowed_origins").add("https://panel.example"))
            .build();

    /** What the first test saw, for the second. */
    private static Path firstStorage;
    private static Channel firstServer;
    private static String firstPrefix;

    @Test
    @Order(1)
    void aTestGetsARunningDaemonOnItsOwnStorageConfiguredByTheBuilder() {
        String id = lightd.id("box");
        assertThat(id).isEqualTo(lightd.prefix() + "box");
        lightd.create(id, "cat", null, null);
        WsClient c = lightd.ws(id);
        c.await(state("installed"));
        assertThat(Files.isDirectory(lightd.storage().resolve("volumes").resolve(id)))
                .as("the container's volume lies in the test's storage folder").isTrue();
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + Daemon.TOKEN, Map.of()))
                .as("the builder's limit: one connection per container").isEqualTo(429);
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null, null).status()).isEqualTo(200);
        firstStorage = lightd.storage();
        firstServer = lightd.daemon().server().serverChannel();
        firstPrefix = lightd.prefix();
    }

    @Test
    @Order(2)
    void afterATestItsDaemonIsStoppedAndItsStorageDeleted() {
        assertThat(firstStorage).as("the first test ran").isNotNull();
        assertThat(firstServer.isOpen()).as("the first test's daemon listens no more").isFalse();
        assertThat(Files.exists(firstStorage)).as("the first test's storage folder").isFalse();
        assertThat(lightd.storage()).isNotEqualTo(firstStorage);
        assertThat(lightd.prefix()).isNotEqualTo(firstPrefix);
        assertThat(lightd.daemon().server().serverChannel().isOpen()).isTrue();
        assertThat(lightd.daemon().refusedStatus("/ws/" + lightd.id("x") + "?token=" + Daemon.TOKEN,
                Map.of("Origin", "https://evil.example"))).as("the builder's configuration: allowed origins").isEqualTo(403);
    }
}
