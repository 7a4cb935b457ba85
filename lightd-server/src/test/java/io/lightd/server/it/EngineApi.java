package io.lightd.server.it;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.docker.DockerEngineExtension;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test's own line to the Docker engine, beside lightd: plain HTTP/1.0 requests over the engine
 * socket to look at, and remove, lightd's containers behind its back; and control of the engine
 * that {@code scripts/lib/docker-engine.sh} started. Stateless; blocking; any thread.
 */
final class EngineApi {

    /** An engine answer: status and body. */
    record Answer(int status, String body) {
        JsonElement json() {
            return JsonParser.parseString(body);
        }
    }

    private static final String MANAGED_FILTER = URLEncoder.encode("{\"label\":[\"lightd.managed\"]}",
            StandardCharsets.UTF_8);

    private EngineApi() {
    }

    /** The engine's name for the container of {@code internalId}. */
    static String containerName(String internalId) {
        return "lightd-" + internalId;
    }

    /** Every container (running or not) with a {@code lightd.managed} label. */
    static List<JsonObject> managedContainers() throws IOException {
        List<JsonObject> found = new ArrayList<>();
        for (JsonElement e : request("GET", "/containers/json?all=1&filters=" + MANAGED_FILTER).json().getAsJsonArray()) {
            found.add(e.getAsJsonObject());
        }
        return found;
    }

    /** The internal id a managed container belongs to (its own or the one it installs), or "". */
    static String internalIdOf(JsonObject container) {
        JsonObject labels = container.getAsJsonObject("Labels");
        for (String key : new String[] {"lightd.internal_id", "lightd.install_for"}) {
            if (labels != null && labels.has(key)) {
                return labels.get(key).getAsString();
            }
        }
        return "";
    }

    /** {@code docker rm -f}: true when the engine removed it. */
    static boolean removeForced(String internalId) throws IOException {
        return request("DELETE", "/containers/" + containerName(internalId) + "?force=1").status() == 204;
    }

    /** Removes every managed container whose internal id starts with {@code prefix}; how many. */
    static int removeAll(String prefix) throws IOException {
        int removed = 0;
        for (JsonObject container : managedContainers()) {
            if (internalIdOf(container).startsWith(prefix)) {
                request("DELETE", "/containers/" + container.get("Id").getAsString() + "?force=1");
                removed++;
            }
        }
        return removed;
    }

    /** The {@code State} of the container of {@code internalId}, or null when the engine has none. */
    static JsonObject state(String internalId) throws IOException {
        Answer answer = request("GET", "/containers/" + containerName(internalId) + "/json");
        return answer.status() == 404 ? null : answer.json().getAsJsonObject().getAsJsonObject("State");
    }

    static boolean running(String internalId) throws IOException {
        JsonObject state = state(internalId);
        return state != null && state.get("Running").getAsBoolean();
    }

    /** The host pid of the process of the running container of {@code internalId}, or 0. */
    static long pid(String internalId) throws IOException {
        JsonObject state = state(internalId);
        return state == null ? 0 : state.get("Pid").getAsLong();
    }

    /** Whether a host process {@code pid} exists (zombies included). */
    static boolean processExists(long pid) {
        return pid > 0 && Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    /** Sends {@code signal} (a name such as {@code TERM}) to host process {@code pid}, as root. */
    static void signal(long pid, String signal) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal, Long.toString(pid)));
        if (!"root".equals(System.getProperty("user.name"))) {
            command.addAll(0, List.of("sudo", "-n"));
        }
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " failed");
        }
    }

    /** Running managed containers whose internal id starts with {@code prefix}. */
    static int countRunning(String prefix) throws IOException {
        int count = 0;
        for (JsonObject container : managedContainers()) {
            if (internalIdOf(container).startsWith(prefix) && "running".equals(container.get("State").getAsString())) {
                count++;
            }
        }
        return count;
    }

    /** One request; the engine closes the connection after an HTTP/1.0 answer. */
    static Answer request(String method, String path) throws IOException {
        String raw = DockerEngineExtension.request(DockerEngineExtension.dockerHost(), method, path);
        int headerEnd = raw.indexOf("\r\n\r\n");
        int status = Integer.parseInt(raw.substring(9, 12));
        return new Answer(status, headerEnd < 0 ? "" : raw.substring(headerEnd + 4));
    }

    // ---- the engine of scripts/lib/docker-engine.sh ----------------------------------------------

    /** The script, found from the working directory upwards, or null. */
    static Path engineScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("scripts/lib/docker-engine.sh");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        return null;
    }

    /** Why the engine cannot be restarted by a test, or null when it was started by the script and can. */
    static String whyNotRestartable() {
        if (engineScript() == null) {
            return "scripts/lib/docker-engine.sh not found above " + Path.of("").toAbsolutePath();
        }
        String stateDir = System.getenv("LIGHTD_DOCKER_STATE_DIR");
        if (stateDir == null || stateDir.isBlank()) {
            String tmp = System.getenv("TMPDIR");
            stateDir = (tmp == null || tmp.isBlank() ? "/tmp" : tmp) + "/lightd-docker-engine";
        }
        Path pidfile = Path.of(stateDir, "dockerd.pid");
        try {
            String pid = Files.readString(pidfile).trim();
            String comm = Files.readString(Path.of("/proc", pid, "comm")).trim();
            return "dockerd".equals(comm) ? null : "process " + pid + " of " + pidfile + " is not dockerd";
        } catch (IOException e) {
            return "the engine was not started by scripts/lib/docker-engine.sh (no live pid in " + pidfile + ")";
        }
    }

    /** Runs {@code docker-engine.sh stop} or {@code start} and waits for it. */
    static void engine(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", engineScript().toString(), command).inheritIO().start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker-engine.sh " + command + " did not finish within 120 s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("docker-engine.sh " + command + " failed with exit code " + p.exitValue());
        }
    }
}
