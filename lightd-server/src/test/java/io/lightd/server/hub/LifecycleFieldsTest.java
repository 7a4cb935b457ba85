package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.StopSignal;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.record.ExitHistory;
import io.lightd.server.record.LifecycleSettings;
import io.lightd.server.record.RestartPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The create body's lifecycle fields, their round trip through the registry's JSON, and the disk walk. */
class LifecycleFieldsTest {

    @TempDir
    Path dir;

    private static ContainerRecord parse(String extra) {
        JsonObject body = JsonParser.parseString("{\"internal_id\":\"a-1\",\"image\":\"img\",\"startup_command\":\"run\""
                + extra + "}").getAsJsonObject();
        return ContainerRecord.fromCreateBody(body, Instant.EPOCH);
    }

    @Test
    void defaultsWhenAbsent() {
        ContainerRecord r = parse("");
        assertThat(r.lifecycle()).isEqualTo(LifecycleSettings.DEFAULTS);
        assertThat(r.lifecycle().stopSignal()).isEqualTo(StopSignal.SIGTERM);
        assertThat(r.lifecycle().restartPolicy().name()).isEqualTo(RestartPolicy.Name.NO);
        assertThat(r.toJson().get("last_exit").isJsonNull()).isTrue();
    }

    @Test
    void fieldsRoundTripThroughTheStoredJson() {
        ContainerRecord r = parse(",\"stop_signal\":\"sigint\",\"limits\":{\"memory\":1,\"disk\":1048576},"
                + "\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2,\"window_seconds\":60}");
        assertThat(r.lifecycle()).isEqualTo(new LifecycleSettings(StopSignal.SIGINT,
                new RestartPolicy(RestartPolicy.Name.ON_FAILURE, 2, 60), 1_048_576));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        ContainerRecord crashed = r.withExits(r.exits().withExit(3, false, t).withCrash(t, 60).withRestartPending(true), t);
        ContainerRecord back = ContainerRecord.fromStoredJson(crashed.toJson());
        assertThat(back.lifecycle()).isEqualTo(r.lifecycle());
        assertThat(back.exits()).isEqualTo(crashed.exits());
    }

    @Test
    void badFieldsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> parse(",\"stop_signal\":\"SIGKILL\"")).hasMessageStartingWith("stop_signal must be one of");
        assertThatThrownBy(() -> parse(",\"restart_policy\":{\"name\":\"sometimes\"}"))
                .hasMessageStartingWith("restart_policy.name must be");
        assertThatThrownBy(() -> parse(",\"restart_policy\":{\"name\":\"always\",\"max_retries\":-1}"))
                .hasMessageStartingWith("restart_policy.max_retries must be");
        assertThatThrownBy(() -> parse(",\"limits\":{\"disk\":-5}")).hasMessage("limits.disk must be a non-negative integer");
    }

    @Test
    void crashesOutsideTheWindowAreForgotten() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        ExitHistory h = ExitHistory.NONE.withCrash(t, 60).withCrash(t.plusSeconds(30), 60).withCrash(t.plusSeconds(61), 60);
        assertThat(h.recentCrashes()).containsExactly(t.plusSeconds(30), t.plusSeconds(61));
    }

    @Test
    void backoffDoublesUpToThirtySeconds() {
        assertThat(RestartPolicy.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(RestartPolicy.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(RestartPolicy.backoff(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(RestartPolicy.backoff(5)).isEqualTo(Duration.ofSeconds(16));
        assertThat(RestartPolicy.backoff(6)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RestartPolicy.backoff(40)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void diskUsageCountsRegularFilesAndNeverFollowsALink() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("volume"));
        Files.write(volume.resolve("a.bin"), new byte[1000]);
        Files.createDirectories(volume.resolve("sub"));
        Files.write(volume.resolve("sub/b.bin"), new byte[234]);
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.write(outside.resolve("huge.bin"), new byte[100_000]);
        Files.createSymbolicLink(volume.resolve("link-to-dir"), outside);
        Files.createSymbolicLink(volume.resolve("link-to-file"), outside.resolve("huge.bin"));
        assertThat(DiskUsage.measure(volume)).isEqualTo(1234);
        assertThat(DiskUsage.measure(dir.resolve("missing"))).isZero();
    }

    @Test
    void aFileWithSeveralHardLinksInTheVolumeCountsOnce() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("linked-volume"));
        Files.createDirectories(volume.resolve("sub"));
        Files.write(volume.resolve("data.bin"), new byte[5000]);
        Files.createLink(volume.resolve("second-name.bin"), volume.resolve("data.bin"));
        Files.createLink(volume.resolve("sub").resolve("third-name.bin"), volume.resolve("data.bin"));
        Files.write(volume.resolve("other.bin"), new byte[7]);
        assertThat(DiskUsage.measure(volume)).isEqualTo(5007);
    }
}
