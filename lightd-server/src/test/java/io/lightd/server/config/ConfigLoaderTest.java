package io.lightd.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void missingFileIsCreatedWithDefaultsAndAFreshToken() throws Exception {
        Path file = dir.resolve("config.json");
        LightdConfig a = ConfigLoader.loadOrCreate(file);
        assertThat(Files.exists(file)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(a.token()).startsWith("lightd_").hasSizeGreaterThan(40);
        assertThat(a.port()).isEqualTo(8070);
        assertThat(a.runtime()).isEqualTo(LightdConfig.RuntimeKind.DOCKER);
        assertThat(a.basePath()).isEqualTo(dir.resolve("data"));
        assertThat(a.limits()).isEqualTo(LightdConfig.Defaults.limits());
        assertThat(ConfigLoader.loadOrCreate(file).token()).isEqualTo(a.token());
        Path other = dir.resolve("other.json");
        assertThat(ConfigLoader.loadOrCreate(other).token()).isNotEqualTo(a.token());
    }

    @Test
    void lightdKeysAreRead() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 9000);
        json.getAsJsonObject("server").addProperty("transport", "nio");
        json.getAsJsonObject("docker").addProperty("socket_path", "/run/x.sock");
        json.getAsJsonObject("storage").addProperty("base_path", "/srv/lightd");
        json.addProperty("runtime", "process");
        json.getAsJsonObject("limits").addProperty("history_lines", 50);
        LightdConfig c = ConfigLoader.parse(json, dir);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.transport()).isEqualTo(LightdConfig.Transport.NIO);
        assertThat(c.dockerSocketPath()).isEqualTo("/run/x.sock");
        assertThat(c.basePath()).isEqualTo(Path.of("/srv/lightd"));
        assertThat(c.runtime()).isEqualTo(LightdConfig.RuntimeKind.PROCESS);
        assertThat(c.limits().historyLines()).isEqualTo(50);
    }

    @Test
    void invalidValuesNameTheirKey() {
        assertRefused(j -> j.getAsJsonObject("server").addProperty("port", 70000), "server.port");
        assertRefused(j -> j.getAsJsonObject("server").addProperty("port", "80"), "server.port");
        assertRefused(j -> j.getAsJsonObject("server").addProperty("transport", "carrier-pigeon"), "server.transport");
        assertRefused(j -> j.addProperty("runtime", "vm"), "runtime");
        assertRefused(j -> j.getAsJsonObject("authorization").addProperty("token", "short"), "authorization.token");
        assertRefused(j -> j.getAsJsonObject("authorization").addProperty("token", "nottheprefix_0123456789"),
                "authorization.token");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("max_frame_bytes", -1), "limits.max_frame_bytes");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("history_lines", 1.5), "limits.history_lines");
        assertRefused(j -> j.addProperty("allowed_origins", "*"), "allowed_origins");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("write_buffer_low_bytes", 10_000_000),
                "limits.write_buffer_low_bytes");
    }

    private void assertRefused(java.util.function.Consumer<JsonObject> change, String key) {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        change.accept(json);
        assertThatThrownBy(() -> ConfigLoader.parse(json, dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(key);
    }
}
