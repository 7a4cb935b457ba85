package io.lightd.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8).trim();
    }

    @Test
    void tokenWhatResetAndSet() throws Exception {
        Path config = dir.resolve("config.json");
        assertThat(run("--config", config.toString(), "--token", "what")).isZero();
        String first = out();
        assertThat(first).startsWith("lightd_");
        assertThat(run("--config", config.toString(), "--token", "what")).isZero();
        assertThat(out()).isEqualTo(first);
        assertThat(run("--config", config.toString(), "--token", "reset")).isZero();
        String second = out();
        assertThat(second).startsWith("lightd_").isNotEqualTo(first);
        assertThat(ConfigLoader.loadOrCreate(config).token()).isEqualTo(second);

        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("lightd_chosen-by-operator-1\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("--config", config.toString(), "--token", "set")).isZero();
            assertThat(ConfigLoader.loadOrCreate(config).token()).isEqualTo("lightd_chosen-by-operator-1");
            System.setIn(new ByteArrayInputStream("lightd_short\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("--config", config.toString(), "--token", "set")).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("at least 20 characters");
            System.setIn(new ByteArrayInputStream("no_prefix_but_long_enough\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("--config", config.toString(), "--token", "set")).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("must start with lightd_");
        } finally {
            System.setIn(stdin);
        }
        assertThat(ConfigLoader.loadOrCreate(config).token()).isEqualTo("lightd_chosen-by-operator-1");
    }

    @Test
    void invalidConfigRefusesToStartNamingTheKey() throws Exception {
        Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"authorization\":{\"token\":\"lightd_0123456789abcdefghij\"},"
                + "\"server\":{\"port\":\"eighty\"}}");
        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("server.port");
    }

    @Test
    void unknownOptionsAndHelp() {
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("--token what|reset|set");
        assertThat(run("--token", "eat", "--config", dir.resolve("c.json").toString())).isEqualTo(2);
    }
}
