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

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tokenWhatResetAndSet() throws Exception {
        Path config = dir.resolve("config.json");
        assertThat(run("--config", config.toString(), "--token", "what")).isZero();
        String first = out();
        assertThat(first).startsWith("lightd_");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(first + "\n");
        assertThat(err()).isEqualTo("lightd: created " + config + " with the defaults and a fresh master token\n");
        assertThat(run("--config", config.toString(), "--token", "what")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(first + "\n");
        assertThat(err()).isEmpty();
        assertThat(run("--config", config.toString(), "--token", "reset")).isZero();
        String second = out();
        assertThat(second).startsWith("lightd_").isNotEqualTo(first);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(second + "\n");
        assertThat(err()).isEqualTo("lightd: master token replaced in " + config
                + "; a running lightd switches to it at once\n");
        assertThat(ConfigLoader.loadOrCreate(config).token()).isEqualTo(second);

        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("lightd_chosen-by-operator-1\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("--config", config.toString(), "--token", "set")).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
            assertThat(err()).isEqualTo("lightd: master token set in " + config
                    + "; a running lightd switches to it at once\n");
            assertThat(ConfigLoader.loadOrCreate(config).token()).isEqualTo("lightd_chosen-by-operator-1");
            System.setIn(new ByteArrayInputStream("lightd_short\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("--config", config.toString(), "--token", "set")).isEqualTo(2);
            assertThat(err()).isEqualTo("lightd: the new token must be at least 20 characters\n");
            System.setIn(new ByteArrayInputStream("no_prefix_but_long_enough\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("--config", config.toString(), "--token", "set")).isEqualTo(2);
            assertThat(err()).isEqualTo("lightd: the new token must start with lightd_\n");
        } finally {
            System.setIn(stdin);
        }
        assertThat(ConfigLoader.loadOrCreate(config).token()).isEqualTo("lightd_chosen-by-operator-1");
    }

    @Test
    void unknownTokenActionIsRefusedWithoutCreatingAConfig() {
        Path config = dir.resolve("c.json");
        assertThat(run("--token", "eat", "--config", config.toString())).isEqualTo(2);
        assertThat(err()).isEqualTo("lightd: --token takes what, reset or set (got eat)\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(config).doesNotExist();
    }

    @Test
    void invalidConfigRefusesToStartNamingTheKey() throws Exception {
        Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"authorization\":{\"token\":\"lightd_0123456789abcdefghij\"},"
                + "\"server\":{\"port\":\"eighty\"}}");
        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("server.port");
    }

    /** A host that is no address of this machine stops the start with the address and the keys named. */
    @Test
    void anAddressThatCannotBeListenedOnIsNamedWithItsKeys() throws Exception {
        Path config = dir.resolve("host.json");
        Files.writeString(config, "{\"authorization\":{\"token\":\"lightd_0123456789abcdefghij\"},"
                + "\"server\":{\"host\":\"256.1.1.1\",\"port\":0},\"runtime\":\"process\","
                + "\"storage\":{\"base_path\":\"" + dir.resolve("data").toString().replace("\\", "\\\\") + "\"}}");
        assertThat(run("--config", config.toString())).isEqualTo(1);
        assertThat(err()).contains("cannot listen on 256.1.1.1:0", "server.host");
    }

    /**
     * The jar holds no {@code logback.xml}, which would take over the logging of an application that
     * embeds lightd; the command line's configuration is under a name Logback never picks by itself.
     */
    @Test
    void theJarLeavesLogbackXmlToTheApplication() {
        assertThat(Main.class.getResource("/logback.xml")).as("a logback.xml on the class path").isNull();
        assertThat(Main.class.getResource(Main.LOGBACK_CONFIGURATION)).isNotNull();
    }

    @Test
    void helpListsEveryOptionExactly() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("""
                usage: lightd [--config PATH] [--runtime docker|process]
                       lightd [--config PATH] --token what|reset|set
                       lightd --help | --version

                  --config PATH     configuration file (default ./config.json; created with defaults
                                    and a fresh random token when missing)
                  --runtime KIND    run with this runtime instead of the configured one
                  --token what      print the master token
                  --token reset     replace the master token with a fresh random one and print it; a
                                    running lightd switches to it at once and closes the sessions
                                    opened with the old one (4003)
                  --token set       read a new master token from standard input (it must start
                                    with lightd_ and be at least 20 characters)
                  --help, -h        print this help
                  --version         print the version
                """);
        assertThat(err()).isEmpty();
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(run("-h")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(help);
    }

    @Test
    void versionPrintsTheVersion() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("lightd " + LightdServer.version() + "\n");
        assertThat(LightdServer.version()).isNotBlank();
    }

    @Test
    void unknownOptionsAndMissingValuesAreRefusedWithTheHelp() {
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(err()).isEqualTo("lightd: unknown option --frobnicate\n" + Main.USAGE);
        assertThat(run("--config")).isEqualTo(2);
        assertThat(err()).isEqualTo("lightd: --config needs a value\n" + Main.USAGE);
        assertThat(run("--runtime", "vm")).isEqualTo(2);
        assertThat(err()).isEqualTo("lightd: --runtime must be docker or process (got vm)\n");
    }
}
