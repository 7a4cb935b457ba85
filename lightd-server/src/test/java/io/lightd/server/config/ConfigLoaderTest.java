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

    /** A key no config key names (a misspelling, most likely) is reported dotted; the known ones are not. */
    @Test
    void unknownKeysAreNamedWithTheirPath() {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        assertThat(ConfigLoader.unknownKeys(json)).as("the defaults file").isEmpty();
        json.getAsJsonObject("limits").addProperty("max_conections", 5);
        json.addProperty("runtme", "process");
        JsonObject odd = new JsonObject();
        odd.addProperty("x", 1);
        json.add("extra", odd);
        assertThat(ConfigLoader.unknownKeys(json))
                .containsExactlyInAnyOrder("limits.max_conections", "runtme", "extra");
    }

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
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("handshake_timeout_seconds", 0),
                "limits.handshake_timeout_seconds");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("response_timeout_seconds", 0),
                "limits.response_timeout_seconds");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("response_timeout_seconds", 3601),
                "limits.response_timeout_seconds");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("connection_attempts_per_ip_per_second", 0),
                "limits.connection_attempts_per_ip_per_second");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("connection_attempts_per_ip_burst", 0),
                "limits.connection_attempts_per_ip_burst");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("auth_failures_per_ip_per_minute", -1),
                "limits.auth_failures_per_ip_per_minute");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("max_command_bytes", 0), "limits.max_command_bytes");
        assertRefused(j -> j.getAsJsonObject("limits").addProperty("http_max_body_bytes", 100),
                "limits.http_max_body_bytes");
        assertRefused(j -> ssl(j).addProperty("enabled", "yes"), "server.ssl.enabled");
    }

    @Test
    void hardeningLimitsAreRead() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        JsonObject limits = json.getAsJsonObject("limits");
        limits.addProperty("handshake_timeout_seconds", 3);
        limits.addProperty("response_timeout_seconds", 120);
        limits.addProperty("connection_attempts_per_ip_per_second", 2.5);
        limits.addProperty("connection_attempts_per_ip_burst", 7);
        limits.addProperty("auth_failures_per_ip_per_minute", 4);
        limits.addProperty("max_command_bytes", 100);
        limits.addProperty("http_max_body_bytes", 2048);
        LightdConfig.Limits l = ConfigLoader.parse(json, dir).limits();
        assertThat(l.handshakeTimeoutSeconds()).isEqualTo(3);
        assertThat(l.responseTimeoutSeconds()).isEqualTo(120);
        assertThat(ConfigLoader.parse(ConfigLoader.defaultsJson("lightd_0123456789abcdefghij"), dir).limits()
                .responseTimeoutSeconds()).as("the default").isEqualTo(60);
        assertThat(l.connectionAttemptsPerIpPerSecond()).isEqualTo(2.5);
        assertThat(l.connectionAttemptsPerIpBurst()).isEqualTo(7);
        assertThat(l.authFailuresPerIpPerMinute()).isEqualTo(4);
        assertThat(l.maxCommandBytes()).isEqualTo(100);
        assertThat(l.httpMaxBodyBytes()).isEqualTo(2048);
        assertThat(l.withConsoleThrottle(1, 2048).httpMaxBodyBytes()).isEqualTo(2048);
        assertThat(l.withConsoleThrottle(1, 2048).responseTimeoutSeconds()).isEqualTo(120);
    }

    @Test
    void statsIdleIntervalIsReadAndRangeChecked() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        assertThat(ConfigLoader.parse(json, dir).stats().idleInterval()).isEqualTo(java.time.Duration.ofSeconds(10));
        json.getAsJsonObject("stats").addProperty("idle_interval_ms", 30_000);
        assertThat(ConfigLoader.parse(json, dir).stats().idleIntervalMs()).isEqualTo(30_000);
        assertRefused(j -> j.getAsJsonObject("stats").addProperty("idle_interval_ms", 999), "stats.idle_interval_ms");
        assertRefused(j -> j.getAsJsonObject("stats").addProperty("idle_interval_ms", 3_600_001), "stats.idle_interval_ms");
    }

    @Test
    void tlsIsOffByDefaultAndReadsPemFilesRelativeToTheConfig() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        assertThat(ConfigLoader.parse(json, dir).tls().enabled()).isFalse();
        copyResource("cert.pem");
        copyResource("key.pem");
        ssl(json).addProperty("enabled", true);
        ssl(json).addProperty("cert", "cert.pem");
        ssl(json).addProperty("key", dir.resolve("key.pem").toString());
        LightdConfig.Tls tls = ConfigLoader.parse(json, dir).tls();
        assertThat(tls).isEqualTo(new LightdConfig.Tls(true, dir.resolve("cert.pem"), dir.resolve("key.pem")));
        assertThat(TlsFiles.load(tls).chain()).hasSize(1);
    }

    @Test
    void tlsProblemsNameTheirKey() throws Exception {
        copyResource("cert.pem");
        copyResource("key.pem");
        copyResource("other-key.pem");
        Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        Files.writeString(dir.resolve("pkcs1.pem"), "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        assertTlsRefused("missing.pem", "key.pem", "invalid server.ssl.cert: " + dir.resolve("missing.pem") + " does not exist");
        assertTlsRefused("junk.pem", "key.pem", "invalid server.ssl.cert: " + dir.resolve("junk.pem"));
        assertTlsRefused("cert.pem", "missing.pem", "invalid server.ssl.key: " + dir.resolve("missing.pem") + " does not exist");
        assertTlsRefused("cert.pem", "cert.pem", "invalid server.ssl.key: " + dir.resolve("cert.pem") + ": it holds no PEM private key");
        assertTlsRefused("cert.pem", "pkcs1.pem", "the key is not in PKCS#8 form");
        assertTlsRefused("cert.pem", "other-key.pem", "invalid server.ssl.key: " + dir.resolve("other-key.pem")
                + " is not the private key of the certificate in " + dir.resolve("cert.pem"));
        assertTlsRefused("cert.pem", "", "invalid server.ssl.key: must be a non-empty string");
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        ssl(json).addProperty("enabled", true);
        ssl(json).remove("cert");
        assertThatThrownBy(() -> ConfigLoader.parse(json, dir)).hasMessage("server.ssl.cert is missing");
    }

    private void assertTlsRefused(String cert, String key, String message) {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        ssl(json).addProperty("enabled", true);
        ssl(json).addProperty("cert", cert);
        ssl(json).addProperty("key", key);
        assertThatThrownBy(() -> ConfigLoader.parse(json, dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    private static JsonObject ssl(JsonObject json) {
        return json.getAsJsonObject("server").getAsJsonObject("ssl");
    }

    private void copyResource(String name) throws Exception {
        try (var in = ConfigLoaderTest.class.getResourceAsStream("/tls/" + name)) {
            Files.copy(in, dir.resolve(name));
        }
    }

    private void assertRefused(java.util.function.Consumer<JsonObject> change, String key) {
        JsonObject json = ConfigLoader.defaultsJson("lightd_0123456789abcdefghij");
        change.accept(json);
        assertThatThrownBy(() -> ConfigLoader.parse(json, dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(key);
    }

    @Test
    void loggingLevelSetsLightdsOwnLoggers() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson("lightd_config-test-token-123456");
        assertThat(ConfigLoader.parse(json, dir).logging().level()).isEqualTo(LightdConfig.LogLevel.INFO);
        json.getAsJsonObject("logging").addProperty("level", "debug");
        LightdConfig.LogLevel level = ConfigLoader.parse(json, dir).logging().level();
        assertThat(level).isEqualTo(LightdConfig.LogLevel.DEBUG);
        ch.qos.logback.classic.Logger lightd = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger("io.lightd");
        ch.qos.logback.classic.Level before = lightd.getLevel();
        try {
            io.lightd.server.logging.LogOutput.level(level);
            assertThat(org.slf4j.LoggerFactory.getLogger("io.lightd.server.http.BadRequestHandler").isDebugEnabled())
                    .isTrue();
        } finally {
            lightd.setLevel(before);
        }
        json.getAsJsonObject("logging").addProperty("level", "loud");
        assertThatThrownBy(() -> ConfigLoader.parse(json, dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logging.level");
    }
}
