package io.lightd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import io.lightd.server.config.ConfigLoader;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/install --root DIR} lays out a node under a temporary root: jar, unit, storage
 * folder and a config with storage in /var/lib/lightd and a fresh token, which it prints with the
 * next steps; run again it keeps the config. The installed unit passes {@code systemd-analyze
 * verify} without a warning where systemd-analyze exists. The jar installed is a launcher of this
 * build's classes (the shaded jar is made after the tests).
 */
class InstallScriptTest {

    @TempDir
    Path dir;

    @Test
    void installsIntoARootAndKeepsAnExistingConfig() throws Exception {
        Path root = dir.resolve("root");
        Path jar = launcherJar(dir.resolve("lightd.jar"));

        ScriptsTest.Result first = run(List.of(script().toString(), "--root", root.toString(), "--jar", jar.toString()));
        assertThat(first.status()).as(first.output()).isZero();

        assertThat(root.resolve("opt/lightd/lightd.jar")).hasSameBinaryContentAs(jar);
        assertThat(root.resolve("etc/systemd/system/lightd.service")).hasSameTextualContentAs(
                script().resolveSibling("lightd.service"));
        assertThat(Files.readAllLines(script().resolveSibling("lightd.service")))
                .as("runs the installed jar with the installed config, restarts on failure, stops with SIGTERM")
                .contains("ExecStart=/usr/bin/java " + String.join(" ", jvmOptions())
                                + " -jar /opt/lightd/lightd.jar --config /etc/lightd/config.json",
                        "Restart=on-failure", "KillSignal=SIGTERM", "StateDirectory=lightd");
        assertThat(root.resolve("var/lib/lightd")).isDirectory();
        Path config = root.resolve("etc/lightd/config.json");
        JsonObject json = ConfigLoader.read(config);
        assertThat(json.getAsJsonObject("storage").get("base_path").getAsString()).isEqualTo("/var/lib/lightd");
        String token = json.getAsJsonObject("authorization").get("token").getAsString();
        assertThat(token).startsWith("lightd_");
        assertThat(ConfigLoader.parse(json, config.getParent()).basePath()).isEqualTo(Path.of("/var/lib/lightd"));
        assertThat(first.output())
                .contains("lightd: wrote " + config + " (storage.base_path /var/lib/lightd)")
                .contains("lightd: token " + token + "\n")
                .contains("  systemctl daemon-reload && systemctl enable --now lightd\n");

        ScriptsTest.Result again = run(List.of(script().toString(), "--root", root.toString(), "--jar", jar.toString()));
        assertThat(again.status()).as(again.output()).isZero();
        assertThat(again.output()).contains("lightd: keeping the existing " + config)
                .contains("lightd: token " + token + "\n");
    }

    @Test
    void unitPassesSystemdAnalyzeVerify() throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed here");
        ScriptsTest.Result verify = run(List.of("systemd-analyze", "verify", script().resolveSibling("lightd.service").toString()));
        assertThat(verify.status()).as(verify.output()).isZero();
        assertThat(verify.output()).as("systemd-analyze warnings").isBlank();
    }

    private static Path script() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("scripts/install"))) {
                return p.resolve("scripts/install");
            }
        }
        throw new AssertionError("no scripts/install above the module folder");
    }

    /** A jar whose manifest runs {@link Main} from this test's class path, as lightd.jar runs it from itself. */
    private static Path launcherJar(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        List<String> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toString());
        }
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            return jar;
        }
    }

    /** {@link ScriptsTest#run} from the working directory, with nothing added to the environment. */
    private static ScriptsTest.Result run(List<String> command) throws Exception {
        return ScriptsTest.run(command, Map.of(), Path.of("").toAbsolutePath());
    }

    private static boolean onPath(String program) {
        for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(folder, program))) {
                return true;
            }
        }
        return false;
    }

    /** The daemon's JVM options, as scripts/run and the benchmark scripts read them from scripts/lib/jvm-options. */
    private static List<String> jvmOptions() throws IOException {
        List<String> options = Files.readAllLines(script().resolveSibling("lib").resolve("jvm-options")).stream()
                .map(String::trim)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .toList();
        assertThat(options).as("scripts/lib/jvm-options names at least one option").isNotEmpty();
        return options;
    }
}
