package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.server.record.ContainerRecord;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A create body parsed ({@link ContainerRecord#fromCreateBody}) and then held to the engine's rules
 * ({@link CreateRules}) on a host of 2 CPUs: each bad value the engine would refuse is refused with a
 * text that starts with the field's name, and the boundary values the engine takes pass.
 */
class CreateRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-30T00:00:00Z");
    private static final CreateRules TWO_CPUS = new CreateRules(2);

    private static ContainerRecord parse(String image, String extra) {
        JsonObject body = JsonParser.parseString("{\"internal_id\":\"srv-1\",\"startup_command\":\"true\""
                + extra + "}").getAsJsonObject();
        body.addProperty("image", image);
        return ContainerRecord.fromCreateBody(body, NOW);
    }

    private static void refused(String image, String extra, String messageStart) {
        ContainerRecord r = parse(image, extra);
        assertThatThrownBy(() -> TWO_CPUS.check(r)).isInstanceOf(IllegalArgumentException.class)
                .message().startsWith(messageStart);
    }

    private static void accepted(String image, String extra) {
        ContainerRecord r = parse(image, extra);
        assertThatCode(() -> TWO_CPUS.check(r)).doesNotThrowAnyException();
    }

    @Test
    void aCpuLimitOutsideTheEnginesRangeIsRefused() {
        refused("img", ",\"limits\":{\"cpu\":1000}", "limits.cpu must be from 0.01 to 2 (the host's CPUs)");
        refused("img", ",\"limits\":{\"cpu\":2.000000001}", "limits.cpu must be from 0.01 to 2");
        refused("img", ",\"limits\":{\"cpu\":0.0099}", "limits.cpu must be from 0.01 to 2");
        accepted("img", ",\"limits\":{\"cpu\":0.01}");
        accepted("img", ",\"limits\":{\"cpu\":2}");
        accepted("img", ",\"limits\":{\"cpu\":0}");
        assertThatCode(() -> new CreateRules(64).check(parse("img", ",\"limits\":{\"cpu\":48}")))
                .doesNotThrowAnyException();
    }

    @Test
    void aMemoryLimitUnderSixMibIsRefused() {
        refused("img", ",\"limits\":{\"memory\":1000}", "limits.memory must be at least 6 MiB (6291456 bytes)");
        refused("img", ",\"limits\":{\"memory\":6291455}", "limits.memory must be at least 6 MiB");
        accepted("img", ",\"limits\":{\"memory\":6291456}");
        accepted("img", ",\"limits\":{\"memory\":0}");
    }

    @Test
    void anImageThatIsNoDockerReferenceIsRefused() {
        refused("UPPER/Case::", "", "image \"UPPER/Case::\" is not a valid image reference");
        refused("Debian:12", "",
                "image \"Debian:12\" is not a valid image reference: the repository name must be lowercase");
        refused("debian::12", "", "image \"debian::12\" is not a valid image reference");
        refused("debian:12 ", "", "image ");
        refused("-debian", "", "image ");
        refused("debian:-12", "", "image ");
        refused("debian@sha256:abc", "", "image ");
        refused("a".repeat(256), "", "image is not a valid image reference: its name is longer than 255");
        for (String ok : new String[] {"debian", "debian:12", "library/debian:12-slim", "ghcr.io/owner/app:v1.2.3",
                "Registry.Example.com:5000/team/app_x__y.z-w:latest", "localhost:5000/app", "[::1]:5000/app:tag",
                "app@sha256:" + "a".repeat(64), "app:1@sha256:" + "0".repeat(64), "lightd-test:latest",
                "a".repeat(255)}) {
            accepted(ok, "");
        }
    }

    @Test
    void aPortIpThatIsNoAddressLiteralIsRefused() {
        refused("img", ",\"ports\":[{\"ip\":\"999.1.1.1\",\"port\":25565}]",
                "ports[0].ip must be an IPv4 or IPv6 address (got \"999.1.1.1\")");
        refused("img", ",\"ports\":[{\"port\":1},{\"ip\":\"localhost\",\"port\":2}]", "ports[1].ip must be");
        refused("img", ",\"ports\":[{\"ip\":\"[::1]\",\"port\":1}]", "ports[0].ip must be");
        refused("img", ",\"ports\":[{\"ip\":\"fe80::1%eth0\",\"port\":1}]", "ports[0].ip must be");
        refused("img", ",\"ports\":[{\"ip\":\"\",\"port\":1}]", "ports[0].ip must be");
        refused("img", ",\"ports\":[{\"ip\":\"1.2.3\",\"port\":1}]", "ports[0].ip must be");
        accepted("img", ",\"ports\":[{\"ip\":\"0.0.0.0\",\"port\":1},{\"ip\":\"::\",\"port\":2},"
                + "{\"ip\":\"2001:db8::1\",\"port\":3},{\"ip\":\"127.0.0.1\",\"port\":4},{\"port\":5}]");
    }

    @Test
    void storedRecordsAreNotHeldToTheRulesAgain() {
        JsonObject stored = parse("img", ",\"limits\":{\"cpu\":1000,\"memory\":1000}").toJson();
        ContainerRecord back = ContainerRecord.fromStoredJson(stored);
        assertThat(back.cpuLimit()).isEqualTo(1000);
        assertThat(back.memoryLimit()).isEqualTo(1000);
    }
}
