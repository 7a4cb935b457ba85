package io.lightd.server.it;

import com.google.gson.JsonObject;
import io.lightd.server.Main;
import io.lightd.server.config.ConfigLoader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * lightd as a separate JVM ({@code java -cp <this test's class path> io.lightd.server.Main --config
 * FILE}), so a test can SIGKILL it mid-write and start it again on the same storage. Its output is
 * collected; its port is read from the line that says where it listens.
 */
final class DaemonProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on \\S*:(\\d+) ");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();

    private DaemonProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::readOutput, "daemon-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Writes a config for the process runtime on 127.0.0.1, any free port, storage in {@code storage}. */
    static Path writeConfig(Path dir, Path storage) throws Exception {
        JsonObject json = ConfigLoader.defaultsJson(Daemon.TOKEN);
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 0);
        json.getAsJsonObject("server").addProperty("event_loop_threads", 2);
        json.getAsJsonObject("storage").addProperty("base_path", storage.toString());
        json.addProperty("runtime", "process");
        Path config = dir.resolve("config.json");
        ConfigLoader.write(config, json);
        return config;
    }

    /** Starts lightd with {@code config} and returns once it listens. */
    static DaemonProcess start(Path config) throws Exception {
        return start(config, List.of());
    }

    /**
     * Starts lightd with {@code config} behind {@code launcher} (a command that ends by executing its
     * arguments, such as a shell that ignores some signals first), and returns once it listens.
     */
    static DaemonProcess start(Path config, List<String> launcher) throws Exception {
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The test class path holds two logback-test.xml files, and logback would print its status about that.
        command.addAll(List.of("-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                // The tests' logging, as in-process daemons have it; the command line would pick the shipped file.
                "-Dlogback.configurationFile=logback-test.xml",
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--config", config.toString()));
        DaemonProcess d = new DaemonProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
        try {
            d.port.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            d.close();
            throw new AssertionError("lightd did not start:\n" + d.output, e);
        }
        return d;
    }

    int port() {
        return port.join();
    }

    String output() {
        return output.toString();
    }

    /** SIGKILL: no shutdown hook, no pending write finished. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.append(line).append('\n');
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                }
            }
        } catch (java.io.IOException ignored) {
            // The process is gone.
        }
        port.completeExceptionally(new IllegalStateException("lightd exited"));
        outputEnded.complete(null);
    }

    /** SIGTERM, as systemd stops it; returns the exit status, or fails when it is not gone within {@code bound}. */
    int terminate(java.time.Duration bound) throws InterruptedException {
        // The handle's destroy sends the same SIGTERM as Process.destroy() but leaves the output pipe
        // open, so what lightd writes while it shuts down is read too.
        process.toHandle().destroy();
        if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new AssertionError("lightd did not exit within " + bound + " of SIGTERM:\n" + output);
        }
        try {
            outputEnded.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the output of lightd did not end", e);
        }
        return process.exitValue();
    }

    /** Stops it the ordinary way (SIGTERM, shutdown hook). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
