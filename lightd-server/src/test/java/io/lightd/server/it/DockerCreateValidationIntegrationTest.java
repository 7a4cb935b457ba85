package io.lightd.server.it;

import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.docker.DockerEngineExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A create body with a value the Docker engine would refuse is a 400 from lightd whose error starts
 * with the field's name, and nothing is created (no record, no engine container); the boundary
 * values themselves (6 MiB of memory, every CPU of the engine's host as its {@code /info} says) are
 * taken by the real engine: that server reaches {@code installed}, so its engine container was
 * created with them. A reinstall with a bad image is refused the same way. Skipped loudly without an
 * engine.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerCreateValidationIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.DOCKER)
            .build();

    private JsonObject body(String id, String image, String extraJson) {
        JsonObject body = JsonParser.parseString(extraJson).getAsJsonObject();
        body.addProperty("internal_id", id);
        body.addProperty("image", image);
        body.addProperty("startup_command", "echo up");
        return body;
    }

    @Test
    void valuesTheEngineRefusesAre400sNamingTheFieldAndItsBoundariesAreTaken() throws Exception {
        int engineCpus = EngineApi.request("GET", "/info").json().getAsJsonObject().get("NCPU").getAsInt();
        String bad = lightd.id("bad-1");
        Map<String, String> refusals = Map.of(
                "{\"limits\":{\"cpu\":1000}}", "limits.cpu must be from 0.01 to " + engineCpus + " (the host's CPUs)",
                "{\"limits\":{\"cpu\":" + (engineCpus + 0.01) + "}}", "limits.cpu must be from 0.01 to " + engineCpus,
                "{\"limits\":{\"memory\":1000}}", "limits.memory must be at least 6 MiB (6291456 bytes)",
                "{\"limits\":{\"memory\":6291455}}", "limits.memory must be at least 6 MiB",
                "{\"ports\":[{\"ip\":\"999.1.1.1\",\"port\":25565}]}", "ports[0].ip must be an IPv4 or IPv6 address");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            Daemon.Reply r = lightd.daemon().request("POST", "/containers",
                    body(bad, lightd.image(), refusal.getKey()).toString());
            assertThat(r.status()).as(refusal.getKey()).isEqualTo(400);
            assertThat(r.body().get("error").getAsString()).as(refusal.getKey()).startsWith(refusal.getValue());
        }
        Daemon.Reply image = lightd.daemon().request("POST", "/containers", body(bad, "UPPER/Case::", "{}").toString());
        assertThat(image.status()).isEqualTo(400);
        assertThat(image.body().get("error").getAsString())
                .startsWith("image \"UPPER/Case::\" is not a valid image reference");
        assertThat(lightd.daemon().request("GET", "/containers/" + bad, null).status()).isEqualTo(404);
        assertThat(EngineApi.managedContainers()).noneMatch(c -> EngineApi.internalIdOf(c).equals(bad));

        String edge = lightd.id("edge-1");
        WsClient c = lightd.ws(edge);
        lightd.create(edge, "echo up", null, "{\"limits\":{\"memory\":6291456,\"cpu\":" + engineCpus + "}}");
        c.await(state("installed"));
        JsonObject stored = lightd.daemon().request("GET", "/containers/" + edge, null).body();
        assertThat(stored.get("install_state").getAsString()).isEqualTo("installed");
        assertThat(stored.getAsJsonObject("limits").get("memory").getAsLong()).isEqualTo(6291456);

        Daemon.Reply reinstall = lightd.daemon().request("POST", "/containers/" + edge + "/reinstall",
                "{\"image\":\"UPPER/Case::\"}");
        assertThat(reinstall.status()).isEqualTo(400);
        assertThat(reinstall.body().get("error").getAsString()).startsWith("image \"UPPER/Case::\"");
        assertThat(lightd.daemon().request("GET", "/containers/" + edge, null).body().get("image").getAsString())
                .isEqualTo(lightd.image());
    }
}
