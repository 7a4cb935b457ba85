package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
import io.lightd.testing.Await;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The daemon's live thread count does not grow with the number of running Docker containers nor
 * with the number of connected WebSocket clients: measured in this JVM (daemon and clients share
 * it; the clients run on a fixed two-thread executor, so they add no thread per connection) with a
 * few containers and clients, then with {@value #CONTAINERS} containers and {@value #CLIENTS}
 * clients, each client having received the state and a stats frame of its container.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerDensityTest {

    static final int CONTAINERS = 50;
    static final int CLIENTS = 200;
    static final int WARM_CONTAINERS = 5;
    /**
     * The fixed bound on growth: lightd's two bounded blocking pools may fill up under the burst of
     * creates and starts (4 threads each), plus a little JVM noise. A thread per container or per
     * client would exceed it by far.
     */
    static final int MAX_GROWTH = 12;
    static final String STARTUP = "echo up; exec cat";

    private static final ExecutorService CLIENT_THREADS = Executors.newFixedThreadPool(2);

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.DOCKER)
            // 200 consoles and the REST calls open from one address within seconds.
            .limit("connection_attempts_per_ip_per_second", 100_000)
            .limit("connection_attempts_per_ip_burst", 100_000)
            .httpClient(HttpClient.newBuilder().executor(CLIENT_THREADS).connectTimeout(Duration.ofSeconds(10)).build())
            .build();

    @AfterAll
    static void stopClientThreads() {
        CLIENT_THREADS.shutdownNow();
    }

    @Test
    void threadCountIsBoundedWhateverTheContainersAndClients() throws Exception {
        runContainers(0, WARM_CONTAINERS);
        connectClients(0, WARM_CONTAINERS, WARM_CONTAINERS);
        int before = ManagementFactory.getThreadMXBean().getThreadCount();
        Map<String, Integer> beforeByName = threadsByName();

        runContainers(WARM_CONTAINERS, CONTAINERS);
        connectClients(WARM_CONTAINERS, CLIENTS, CONTAINERS);
        assertThat(EngineApi.countRunning(lightd.prefix())).isEqualTo(CONTAINERS);
        int after = ManagementFactory.getThreadMXBean().getThreadCount();
        Map<String, Integer> afterByName = threadsByName();

        System.out.printf("live threads: %d with %d containers and %d clients, %d with %d containers and %d clients%n"
                + "  before: %s%n  after:  %s%n", before, WARM_CONTAINERS, WARM_CONTAINERS, after, CONTAINERS, CLIENTS,
                beforeByName, afterByName);
        assertThat(after - before).as("thread growth from %d to %d containers and %d to %d clients (before %s, after %s)",
                WARM_CONTAINERS, CONTAINERS, WARM_CONTAINERS, CLIENTS, beforeByName, afterByName)
                .isLessThanOrEqualTo(MAX_GROWTH);
    }

    private static String id(int i) {
        return lightd.id(Integer.toString(i));
    }

    /** Creates containers {@code from} until {@code to}, starts them, and waits until all run. */
    private void runContainers(int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            JsonObject body = new JsonObject();
            body.addProperty("internal_id", id(i));
            body.addProperty("image", DockerEngineExtension.TEST_IMAGE);
            body.addProperty("startup_command", STARTUP);
            JsonObject limits = new JsonObject();
            limits.addProperty("memory", 16L * 1024 * 1024);
            body.add("limits", limits);
            assertThat(lightd.daemon().request("POST", "/containers", body.toString()).status()).isEqualTo(202);
        }
        Await.until("all installed", DockerRecoveryIntegrationTest.WAIT,
                () -> countInState(from, to, "install_state", "installed") == to - from);
        for (int i = from; i < to; i++) {
            assertThat(lightd.daemon().request("POST", "/containers/" + id(i) + "/start", null).status()).isEqualTo(202);
        }
        Await.until("all running", DockerRecoveryIntegrationTest.WAIT,
                () -> countInState(from, to, "state", "running") == to - from);
    }

    private int countInState(int from, int to, String field, String value) {
        int count = 0;
        for (JsonElement e : lightd.daemon().request("GET", "/containers", null).body().getAsJsonArray("containers")) {
            JsonObject c = e.getAsJsonObject();
            String id = c.get("internal_id").getAsString();
            String prefix = lightd.prefix();
            if (id.startsWith(prefix) && c.get(field).getAsString().equals(value)) {
                int n = Integer.parseInt(id.substring(prefix.length()));
                count += n >= from && n < to ? 1 : 0;
            }
        }
        return count;
    }

    /** Connects clients {@code from} until {@code to}, spread over the first {@code containers}; each gets state and stats. */
    private void connectClients(int from, int to, int containers) {
        List<WsClient> added = new ArrayList<>();
        for (int i = from; i < to; i++) {
            WsClient c = lightd.ws(id(i % containers));
            added.add(c);
        }
        for (WsClient c : added) {
            assertThat(WsClient.describe(c.next())).isEqualTo("event:running");
            c.await(m -> m.get("event").getAsString().equals("stats"));
        }
    }

    /** Live threads by name, numbers folded, to show what grew. */
    private static Map<String, Integer> threadsByName() {
        Map<String, Integer> byName = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            byName.merge(t.getName().replaceAll("\\d+", "#"), 1, Integer::sum);
        }
        return byName;
    }
}
